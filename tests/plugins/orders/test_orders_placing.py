"""Placing a checkout: validation naming the line or field, the split per
merchant and per warehouse, numbers, totals at list price, the rows every
placement leaves, and all or nothing when the stock is short."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.inventory.models import StockLock
from plugins.inventory.services import InsufficientStock, check_stock
from plugins.orders.models import Checkout, Order, OrderLine, Shipment, ShipmentLine
from plugins.orders.services import (EmptyOrder, InvalidField, InvalidQuantity, MixedCurrencies, OutOfStock,
                                     SkuNotOnSale, UnknownSku, place, quote)
from portal.access import AccessDenied
from tests.conftest import create_user
from tests.plugins.orders.helpers import (audit_actions, buyer, count, figures, history, locks_of, make_sku,
                                          place_one)


def test_a_checkout_of_two_merchants_becomes_two_orders_each_with_its_stock(db, store):
    s = store
    checkout = place(None, "shop-app", buyer("CN-GD"), [(s.a.id, 2), {"sku_id": s.x.id, "qty": 3}], "CUST-42")
    mine, theirs = checkout.orders
    assert (mine.merchant_id, theirs.merchant_id) == (s.m.id, s.other.id)
    assert [(line.sku_code, line.qty, line.unit_price, line.line_total) for line in mine.lines] == [
        (s.a.code, 2, Decimal("10.00"), Decimal("20.00"))]
    assert [(line.sku_code, line.qty, line.line_total) for line in theirs.lines] == [(s.x.code, 3, Decimal("76.50"))]
    assert (mine.total, theirs.total, checkout.total) == (Decimal("20.00"), Decimal("76.50"), Decimal("96.50"))
    assert all(o.state == "pending_payment" and o.currency == "CNY" for o in checkout.orders)
    assert (checkout.channel, checkout.customer_ref, checkout.ship_region, checkout.ship_country) == (
        "shop-app", "CUST-42", "CN-GD", "CN")
    assert checkout.buyer_name == "Li Lei" and checkout.ship_address == "1 Keji Road"
    # each merchant's stock, reserved under its own order number, per line
    assert locks_of(db, mine) == [(str(mine.lines[0].id), s.a.id, s.sh.id, 2, "live")]
    assert locks_of(db, theirs) == [(str(theirs.lines[0].id), s.x.id, s.far.id, 3, "live")]
    assert figures(db, s.a, s.sh) == (10, 2) and figures(db, s.x, s.far) == (10, 3)
    assert check_stock() == []


def test_a_line_no_single_warehouse_covers_is_split_into_two_shipments(db, store):
    s = store
    order = place_one(s, [(s.b.id, 8), (s.a.id, 1)], region="CN-BJ")
    shipments = db.session.execute(select(Shipment).where(Shipment.order_id == order.id)
                                   .order_by(Shipment.warehouse_id)).scalars().all()
    b_line = next(line for line in order.lines if line.sku_id == s.b.id)
    contents = {sh.warehouse_id: sorted((sl.line.sku_code, sl.qty) for sl in sh.lines) for sh in shipments}
    assert contents == {s.sh.id: sorted([(s.b.code, 5), (s.a.code, 1)]), s.hub.id: [(s.b.code, 3)]}
    assert all(sh.status == "pending" and sh.merchant_id == s.m.id for sh in shipments)
    # every shipment line is one live reservation of that warehouse
    for sh in shipments:
        for sl in sh.lines:
            held = db.session.get(StockLock, sl.lock_id)
            assert (held.warehouse_id, held.qty, held.line_ref, held.status) == (
                sh.warehouse_id, sl.qty, str(sl.line_id), "live")
    assert sum(sl.qty for sh in shipments for sl in sh.lines if sl.line_id == b_line.id) == 8
    assert check_stock() == []


def test_numbers_are_readable_and_unique(db, store):
    first, second = place_one(store), place_one(store, [(store.a.id, 1)])
    for order in (first, second):
        assert order.number == f"O{order.placed_at:%Y%m%d}{order.id:07d}"
        assert order.checkout.number == f"C{order.placed_at:%Y%m%d}{order.checkout.id:07d}"
    assert first.number != second.number


def test_placing_leaves_history_audit_and_no_buyer_detail_lost(db, store):
    order = place_one(store)
    assert history(db, order) == [(None, "pending_payment")]
    assert audit_actions(db) == ["orders.place"]
    # a SKU given twice is one line
    merged = place_one(store, [(store.a.id, 1), (store.a.id, 2)])
    assert [(line.sku_id, line.qty) for line in merged.lines] == [(store.a.id, 3)]


def test_a_line_the_stock_cannot_serve_places_nothing(db, store):
    s = store
    before = (count(db, Checkout), count(db, Order), count(db, OrderLine), count(db, StockLock), count(db, Shipment))
    # merchant m's order is reserved first; the other merchant's line cannot be served
    with pytest.raises(OutOfStock) as err:
        place(None, "portal", buyer("CN-GD"), [(s.a.id, 2), (s.b.id, 1), (s.x.id, 11)], "C-1")
    assert isinstance(err.value, InsufficientStock)
    message = str(err.value)
    assert "Line 3" in message and s.x.code in message and "11 units wanted, 10 available" in message
    assert "CN-GD" in message and "Nothing was ordered" in message
    assert (count(db, Checkout), count(db, Order), count(db, OrderLine), count(db, StockLock),
            count(db, Shipment)) == before
    # m's reservations, made before the refusal, are gone with it
    assert figures(db, s.a, s.sh) == (10, 0) and figures(db, s.b, s.sh) == (5, 0)
    assert audit_actions(db) == []
    assert check_stock() == []


def test_a_region_no_warehouse_ships_to_is_out_of_stock(db, store):
    with pytest.raises(OutOfStock, match="0 available to ship to US"):
        place_one(store, [(store.a.id, 1)], region="US")
    assert count(db, Order) == 0


@pytest.mark.parametrize("qty", [0, -1, "1.5", 1.0, True, None, "two", Decimal("2.5")])
def test_a_quantity_that_is_not_a_whole_number_above_zero_names_the_line(db, store, qty):
    with pytest.raises(InvalidQuantity, match="Line 2: the quantity"):
        place(None, "portal", buyer(), [(store.a.id, 1), (store.b.id, qty)])
    assert count(db, Order) == 0


def test_whole_numbers_written_as_text_are_quantities(db, store):
    order = place_one(store, [(store.a.id, "3"), (store.b.id, Decimal("2"))])
    assert sorted(line.qty for line in order.lines) == [2, 3]


def test_unknown_and_off_shelf_skus_name_the_line(db, store):
    s = store
    with pytest.raises(UnknownSku, match=r"Line 2: SKU 999999 does not exist"):
        place(None, "portal", buyer(), [(s.a.id, 1), (999999, 1)])
    off = make_sku(db, s.m, on_shelf=False)
    with pytest.raises(SkuNotOnSale, match=f"Line 1: SKU {off.code} is not on sale"):
        place(None, "portal", buyer(), [(off.id, 1)])
    s.b.active = False
    with pytest.raises(SkuNotOnSale, match=f"Line 1: SKU {s.b.code}"):
        place(None, "portal", buyer(), [(s.b.id, 1)])
    assert count(db, Order) == 0


def test_mixed_currencies_are_refused_naming_the_line(db, store):
    dollars = make_sku(db, store.m, price="3.00", currency="USD")
    with pytest.raises(MixedCurrencies, match=f"Line 2: SKU {dollars.code} is priced in USD, the lines before it "
                                              "in CNY"):
        place(None, "portal", buyer(), [(store.a.id, 1), (dollars.id, 1)])


def test_no_lines_and_bad_buyer_fields_are_named(db, store):
    with pytest.raises(EmptyOrder):
        place(None, "portal", buyer(), [])
    for field, value, problem in [("name", "  ", "required"), ("region", "CN_GD", "not an ISO"),
                                  ("address", "", "required"), ("email", "not-an-address", "not an e-mail"),
                                  ("phone", "", "required")]:
        with pytest.raises(InvalidField, match=f"{field}: .*{problem}"):
            place(None, "portal", buyer(**{field: value}), [(store.a.id, 1)])
    with pytest.raises(InvalidField, match="channel: required"):
        place(None, "", buyer(), [(store.a.id, 1)])
    assert count(db, Order) == 0


def test_merchant_staff_order_only_their_own_merchants_skus(db, store):
    s = store
    staff = create_user("merchant_staff", s.m)
    with pytest.raises(UnknownSku, match=f"Line 2: SKU {s.x.id} does not exist"):
        place(staff, "portal", buyer(), [(s.a.id, 1), (s.x.id, 1)])
    checkout = place(staff, "portal", buyer(), [(s.a.id, 1)])
    assert checkout.created_by_id == staff.id and checkout.orders[0].merchant_id == s.m.id
    with pytest.raises(AccessDenied):
        place(create_user("finance"), "portal", buyer(), [(s.a.id, 1)])


def test_a_quote_prices_like_placing_and_writes_nothing(db, store):
    s = store
    priced = quote(None, [(s.a.id, 2), (s.x.id, 1)], "CN-GD")
    assert [(p.draft.merchant_id, p.total) for p in priced] == [(s.m.id, Decimal("20.00")),
                                                                (s.other.id, Decimal("25.50"))]
    assert count(db, Order) == 0 and count(db, StockLock) == 0


def test_shipment_lines_point_at_their_reservations(db, store):
    order = place_one(store, [(store.a.id, 4)])
    rows = db.session.execute(select(ShipmentLine.qty, StockLock.qty, StockLock.order_ref)
                              .join(StockLock, StockLock.id == ShipmentLine.lock_id)).all()
    assert rows == [(4, 4, order.number)]
