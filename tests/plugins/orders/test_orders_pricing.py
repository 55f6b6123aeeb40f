"""Pricing: list prices, explicit rounding to the currency's minor unit,
adjustments from a (fake) plugin answering ``orders_price_draft`` recorded with
their source and reason, totals that add up exactly, and answers that cannot
be recorded refused with nothing written."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.inventory.services import increase
from plugins.orders.models import Adjustment as AdjustmentRow
from plugins.orders.models import Order
from plugins.orders.services import Adjustment, PricingError, place, quote
from portal.plugins import kernel
from tests.plugins.orders.helpers import buyer, count, make_sku, place_one


@pytest.fixture(scope="module")
def app(fakes_app):
    return fakes_app


def stocked_sku(db, store, price, currency="CNY"):
    sku = make_sku(db, store.m, price=price, currency=currency)
    increase(None, sku.id, store.sh.id, 50, "GRN")
    return sku


def test_without_adjustments_an_order_costs_its_lines_at_list_price(db, store, fakes):
    order = place_one(store, [(store.a.id, 3), (store.b.id, 1)])
    assert (order.subtotal, order.adjustments_total, order.total) == (Decimal("40.00"), 0, Decimal("40.00"))
    assert count(db, AdjustmentRow) == 0
    draft = fakes.drafts[-1]
    assert (draft.merchant_id, draft.currency, draft.region) == (store.m.id, "CNY", "CN-GD")
    assert [(line.sku_id, line.qty, line.unit_price) for line in draft.lines] == [
        (store.a.id, 3, Decimal("10.00")), (store.b.id, 1, Decimal("10.00"))]


@pytest.mark.parametrize("price, qty, currency, line_total", [
    ("0.3333", 3, "CNY", "1.00"),  # 0.9999
    ("3.3350", 1, "CNY", "3.34"),  # half up
    ("3.3349", 1, "CNY", "3.33"),
    ("99.5", 1, "JPY", "100"),  # no minor unit
    ("1.2345", 7, "CNY", "8.64"),  # 8.6415
])
def test_line_totals_are_rounded_half_up_to_the_currencys_minor_unit(db, store, fakes, price, qty, currency,
                                                                     line_total):
    sku = stocked_sku(db, store, price, currency)
    order = place_one(store, [(sku.id, qty)])
    line = order.lines[0]
    assert line.unit_price == Decimal(price) and line.line_total == Decimal(line_total)
    assert order.total == Decimal(line_total) == order.checkout.total


def ten_percent_off_and_freight(draft):
    """10% off each line (rounded by the orders plugin), 8.00 freight."""
    answers = [Adjustment("fakepromo", "discount", f"10% off {line.sku_code}",
                          -(line.unit_price * line.qty) / 10, line.index) for line in draft.lines]
    return answers + [Adjustment("fakepromo", "freight", "Standard delivery", Decimal("8"))]


def test_adjustments_are_recorded_with_source_and_reason_and_the_totals_add_up(db, store, fakes):
    fakes.price = ten_percent_off_and_freight
    odd = stocked_sku(db, store, "20.05")
    order = place_one(store, [(odd.id, 1), (store.a.id, 3)])
    rows = db.session.execute(select(AdjustmentRow).where(AdjustmentRow.order_id == order.id)
                              .order_by(AdjustmentRow.id)).scalars().all()
    assert [(r.source, r.kind, r.reason, r.amount, r.line_id) for r in rows] == [
        ("fakepromo", "discount", f"10% off {odd.code}", Decimal("-2.01"), order.lines[0].id),  # -2.005
        ("fakepromo", "discount", f"10% off {store.a.code}", Decimal("-3.00"), order.lines[1].id),
        ("fakepromo", "freight", "Standard delivery", Decimal("8.00"), None)]
    assert order.subtotal == Decimal("50.05") and order.adjustments_total == Decimal("2.99")
    assert order.total == Decimal("53.04") == order.subtotal + order.adjustments_total
    stored = db.session.execute(select(Order.subtotal, Order.adjustments_total, Order.total)
                                .where(Order.id == order.id)).one()
    assert stored == (Decimal("50.05"), Decimal("2.99"), Decimal("53.04"))
    assert sum(line.line_total for line in order.lines) + sum(r.amount for r in rows) == order.total


def test_the_checkout_totals_are_the_sums_of_its_orders(db, store, fakes):
    fakes.price = ten_percent_off_and_freight
    checkout = place(None, "portal", buyer(), [(store.a.id, 1), (store.x.id, 1)])
    assert [o.total for o in checkout.orders] == [Decimal("17.00"), Decimal("30.95")]  # 10-1+8, 25.50-2.55+8
    assert checkout.total == Decimal("47.95") == checkout.subtotal + checkout.adjustments_total
    assert checkout.subtotal == Decimal("35.50")


def test_a_quote_shows_the_same_adjustments_and_writes_nothing(db, store, fakes):
    fakes.price = ten_percent_off_and_freight
    (priced,) = quote(None, [(store.a.id, 2)], "CN-SH")
    assert [(a.kind, a.amount) for a in priced.adjustments] == [("discount", Decimal("-2.00")),
                                                                  ("freight", Decimal("8.00"))]
    assert priced.total == Decimal("26.00") and fakes.drafts[-1].region == "CN-SH"
    assert count(db, Order) == 0


def test_a_merchant_that_switched_the_pricing_plugin_off_gets_list_price(db, store, fakes):
    fakes.price = ten_percent_off_and_freight
    kernel().set_enabled("fakepromo", False, merchant_id=store.m.id)
    db.session.flush()
    checkout = place(None, "portal", buyer(), [(store.a.id, 1), (store.x.id, 1)])
    mine, theirs = checkout.orders
    assert (mine.total, mine.adjustments_total) == (Decimal("10.00"), 0)
    assert theirs.total == Decimal("30.95")
    assert [d.merchant_id for d in fakes.drafts] == [store.other.id]


@pytest.mark.parametrize("answer, message", [
    (lambda d: [{"amount": "-1"}], "not an Adjustment"),
    (lambda d: [Adjustment("fakepromo", "discount", "Float", -1.5)], "not a Decimal amount"),
    (lambda d: [Adjustment("", "discount", "Anonymous", Decimal("-1"))], "does not name its source"),
    (lambda d: [Adjustment("fakepromo", "discount", "Line 9", Decimal("-1"), 9)], "names line 9"),
    (lambda d: [Adjustment("fakepromo", "discount", "Too much", Decimal("-20.01"))], "below zero"),
])
def test_an_answer_that_cannot_be_recorded_places_nothing(db, store, fakes, answer, message):
    fakes.price = answer
    with pytest.raises(PricingError, match=message):
        place_one(store)
    assert count(db, Order) == 0


def test_a_discount_to_zero_leaves_nothing_to_pay(db, store, fakes):
    fakes.price = lambda draft: [Adjustment("fakepromo", "discount", "Free sample", -draft.list_total)]
    order = place_one(store)
    assert order.total == 0 and order.state == "pending_shipment"
