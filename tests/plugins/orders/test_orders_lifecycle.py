"""The lifecycle: every pair of states tried (allowed ones happen with their
history and audit rows, refused ones name both states and write nothing),
and what each transition does to stock and money."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from plugins.inventory.models import StockLock
from plugins.inventory.services import check_stock, release
from plugins.orders.models import STATES, Order, OrderHistory, Payment, Shipment
from plugins.orders.services import (TRANSITIONS, InvalidField, InvalidTransition, NotPaid, OrderNotFound,
                                     OrderNotLive, UnallocatedLine, allocate_again, allowed, cancel, change_state,
                                     close, pay, receive, record_payment, request_after_sales, ship, targets)
from portal import settings
from portal.access import AccessDenied
from portal.models import utcnow
from tests.conftest import create_user
from tests.plugins.orders.helpers import (audit_actions, count, figures, history, locks_of, order_in, pay_in_full,
                                          place_one, state_of)

LABELS = {"pending_payment": "pending payment", "pending_shipment": "pending shipment",
          "pending_receipt": "pending receipt", "completed": "completed", "cancelled": "cancelled",
          "after_sales": "after-sales", "closed": "closed"}


def attempt(order, to_state):
    """Ask for ``to_state`` the way staff would: a payment in full to pay, the
    lifecycle's action otherwise (closing a completed order after its window)."""
    if to_state == "pending_shipment" and allowed(order.state, to_state):
        return pay_in_full(order)
    details = {"carrier": "SF Express", "tracking_number": "SF123"} if to_state == "pending_receipt" else {}
    now = utcnow() + timedelta(days=8) if to_state == "closed" else None
    return change_state(None, order, to_state, note="Asked by the test", now=now, **details)


def test_the_table_allows_exactly_the_documented_transitions():
    assert set(TRANSITIONS) == {
        ("pending_payment", "pending_shipment"), ("pending_payment", "cancelled"),
        ("pending_shipment", "pending_receipt"), ("pending_shipment", "cancelled"),
        ("pending_receipt", "completed"), ("pending_receipt", "after_sales"), ("completed", "after_sales"),
        ("completed", "closed"), ("after_sales", "closed")}
    assert targets("cancelled") == [] and targets("closed") == []


@pytest.mark.parametrize("to_state", STATES)
@pytest.mark.parametrize("from_state", STATES)
def test_every_pair_of_states(db, store, from_state, to_state):
    order = order_in(store, from_state)
    rows, actions = len(history(db, order)), len(audit_actions(db))
    if (from_state, to_state) in TRANSITIONS:
        attempt(order, to_state)
        assert state_of(db, order) == to_state == order.state
        assert history(db, order)[-1] == (from_state, to_state)
        assert audit_actions(db)[-1] == f"orders.{TRANSITIONS[(from_state, to_state)]}"
    else:
        with pytest.raises(InvalidTransition) as err:
            attempt(order, to_state)
        assert f"cannot go from {LABELS[from_state]} to {LABELS[to_state]}" in str(err.value)
        assert order.number in str(err.value)
        assert state_of(db, order) == from_state
        assert (len(history(db, order)), len(audit_actions(db))) == (rows, actions)
    assert check_stock() == []


def test_an_order_loaded_before_someone_else_moved_it_is_refused_with_the_state_found(db, store):
    order = order_in(store, "pending_payment")
    db.session.execute(update(Order).where(Order.id == order.id).values(state="cancelled")
                       .execution_options(synchronize_session=False))
    with pytest.raises(InvalidTransition, match="from cancelled to pending shipment"):
        pay_in_full(order)
    assert order.state == "cancelled" and count(db, Payment) == 0


def test_paying_needs_the_total_covered(db, store):
    order = place_one(store)
    with pytest.raises(NotPaid, match="0 of 20.0+ CNY paid"):
        pay(None, order)
    record_payment(None, order, "alipay", "5.00", "CNY", "P-1")
    assert order.state == "pending_payment"
    record_payment(None, order, "wechat", "15.00", "CNY", "W-1")
    assert order.state == "pending_shipment" and order.paid_at is not None
    # paid: its reservations are kept until it ships or is cancelled
    assert db.session.execute(select(StockLock.expires_at).where(StockLock.order_ref == order.number)).all() == [
        (None,)]


def test_cancelling_an_unpaid_order_releases_its_stock(db, store):
    s = store
    order = place_one(s, [(s.a.id, 3), (s.b.id, 8)])
    assert figures(db, s.a, s.sh) == (10, 3) and figures(db, s.b, s.hub) == (5, 3)
    assert cancel(None, order, "Buyer changed their mind") == 0
    assert order.state == "cancelled" and order.cancelled_at is not None
    assert figures(db, s.a, s.sh) == (10, 0) and figures(db, s.b, s.sh) == (5, 0) and figures(db, s.b, s.hub) == (5, 0)
    assert {status for *_rest, status in locks_of(db, order)} == {"released"}
    assert {sh.status for sh in order.shipments} == {"cancelled"}
    assert count(db, Payment) == 0
    assert check_stock() == []


def test_cancelling_a_paid_order_records_the_refund_per_method(db, store):
    order = place_one(store)
    record_payment(None, order, "alipay", "12.00", "CNY", "A-1")
    record_payment(None, order, "wechat", "8.00", "CNY", "W-1")
    assert cancel(None, order, "Out of time") == Decimal("20.00")
    refunds = db.session.execute(select(Payment.kind, Payment.method, Payment.amount).where(Payment.kind == "refund")
                                 .order_by(Payment.method)).all()
    assert refunds == [("refund", "alipay", Decimal("-12.00")), ("refund", "wechat", Decimal("-8.00"))]
    assert figures(db, store.a, store.sh) == (10, 0) and check_stock() == []


def test_merchant_staff_cannot_cancel_a_paid_order_without_refund_rights(db, store):
    order = order_in(store, "pending_shipment")
    with pytest.raises(AccessDenied, match="orders.refund"):
        cancel(create_user("merchant_staff", store.m), order)
    assert state_of(db, order) == "pending_shipment"
    cancel(create_user("merchant_admin", store.m), order)
    assert order.state == "cancelled"


def test_shipping_deducts_the_reserved_stock_and_the_stock_still_adds_up(db, store):
    s = store
    order = order_in(s, "pending_shipment", lines=[(s.a.id, 3)])
    ship(None, order, "SF Express", "SF0001")
    assert order.state == "pending_receipt" and order.shipped_at is not None
    assert figures(db, s.a, s.sh) == (7, 0)
    assert {status for *_rest, status in locks_of(db, order)} == {"deducted"}
    shipment = order.shipments[0]
    assert (shipment.status, shipment.carrier, shipment.tracking_number) == ("shipped", "SF Express", "SF0001")
    assert check_stock() == []


def test_a_two_warehouse_order_ships_per_warehouse_and_moves_with_the_last(db, store):
    s = store
    order = order_in(s, "pending_shipment", lines=[(s.b.id, 8)], region="CN-BJ")
    first, second = sorted(order.shipments, key=lambda sh: sh.warehouse_id)
    ship(None, order, "SF Express", "SF-A", shipment=first)
    assert order.state == "pending_shipment" and first.status == "shipped" and second.status == "pending"
    assert figures(db, s.b, s.sh) == (0, 0) and figures(db, s.b, s.hub) == (5, 3)
    # the stock check expects the unshipped units only
    assert check_stock() == []
    with pytest.raises(InvalidTransition, match="has left its warehouse"):
        cancel(None, order)
    ship(None, order, "YTO", "YT-B", shipment=second)
    assert order.state == "pending_receipt" and figures(db, s.b, s.hub) == (2, 0)
    assert history(db, order)[-2:] == [("pending_shipment", "pending_shipment"),
                                       ("pending_shipment", "pending_receipt")]
    assert check_stock() == []


def test_shipping_needs_carrier_tracking_and_a_pending_shipment(db, store):
    order = order_in(store, "pending_shipment")
    with pytest.raises(InvalidField, match="tracking_number: required"):
        ship(None, order, "SF Express", " ")
    with pytest.raises(InvalidField, match="carrier: required"):
        ship(None, order, "", "SF1")
    other = order_in(store, "pending_shipment")
    with pytest.raises(InvalidField, match="not a pending shipment of order"):
        ship(None, order, "SF Express", "SF1", shipment=other.shipments[0])
    assert order.state == "pending_shipment" and figures(db, store.a, store.sh) == (10, 4)


def test_a_line_whose_reservation_lapsed_cannot_ship_until_allocated_again(db, store):
    s = store
    order = order_in(s, "pending_shipment", lines=[(s.a.id, 2)])
    release(None, locks_of_ids(db, order)[0])  # behind the order's back
    with pytest.raises(UnallocatedLine, match="0 of 2 units reserved; allocate the order again"):
        ship(None, order, "SF Express", "SF1")
    assert order.state == "pending_shipment"
    locks = allocate_again(None, order)
    assert [(held.qty, held.expires_at) for held in locks] == [(2, None)]
    ship(None, order, "SF Express", "SF1")
    assert order.state == "pending_receipt" and figures(db, s.a, s.sh) == (8, 0)
    assert check_stock() == []


def test_only_a_live_order_is_allocated_again(db, store):
    order = order_in(store, "pending_receipt")
    with pytest.raises(OrderNotLive, match="is pending receipt: only orders waiting for payment or shipment"):
        allocate_again(None, order)
    assert allocate_again(None, order_in(store, "pending_payment")) == []


def locks_of_ids(db, order):
    return db.session.execute(select(StockLock.id).where(StockLock.order_ref == order.number)).scalars().all()


def test_receiving_opens_the_after_sales_window_for_the_set_days(db, store):
    settings.set_value("orders.after_sales_days", "3")
    order = order_in(store, "pending_receipt")
    now = utcnow()
    receive(None, order, now=now)
    assert order.received_at == now and order.after_sales_deadline == now + timedelta(days=3)


def test_after_sales_is_asked_with_a_reason_within_the_window(db, store):
    order = order_in(store, "completed")
    with pytest.raises(InvalidField, match="reason: required"):
        request_after_sales(None, order, "")
    late = order.after_sales_deadline + timedelta(minutes=1)
    with pytest.raises(InvalidTransition, match="the after-sales window closed"):
        request_after_sales(None, order, "Broken", now=late)
    request_after_sales(None, order, "Broken", now=order.after_sales_deadline)
    assert order.state == "after_sales"
    assert db.session.execute(select(OrderHistory.note).order_by(OrderHistory.id.desc())).scalar() == "Broken"


def test_a_completed_order_closes_only_once_its_window_passed(db, store):
    order = order_in(store, "completed")
    with pytest.raises(InvalidTransition, match="the after-sales window is open until"):
        close(None, order)
    close(None, order, now=order.after_sales_deadline + timedelta(seconds=1))
    assert order.state == "closed" and order.closed_at is not None


def test_finishing_after_sales_needs_refund_rights(db, store):
    order = order_in(store, "after_sales")
    with pytest.raises(AccessDenied):
        close(create_user("merchant_staff", store.m), order)
    close(create_user("finance"), order, "Refunded")
    assert order.state == "closed"


def test_another_merchants_order_does_not_exist_for_its_staff(db, store):
    order = order_in(store, "pending_shipment")
    outsider = create_user("merchant_admin", store.other)
    for act in (lambda: ship(outsider, order, "SF", "1"), lambda: cancel(outsider, order),
                lambda: record_payment(outsider, order, "cash", "1.00", "CNY")):
        with pytest.raises(OrderNotFound, match=f"Order {order.number} does not exist"):
            act()
    with pytest.raises(AccessDenied):
        ship(create_user("finance"), order, "SF", "1")
    ship(create_user("merchant_staff", store.m), order, "SF", "1")
    assert order.state == "pending_receipt"


def test_a_warehouse_limited_user_ships_only_their_warehouses_shipments(db, store):
    from portal import access
    from portal.models import DataGrant, Role, RoleGrant
    s = store
    order = order_in(s, "pending_shipment", lines=[(s.b.id, 8)], region="CN-BJ")
    first, second = sorted(order.shipments, key=lambda sh: sh.warehouse_id)
    role = Role(name="Shanghai dispatch", kind="merchant", merchant_id=s.m.id,
                grants=[RoleGrant(resource="orders.order", level=access.WRITE)],
                data_grants=[DataGrant(scope="merchant", value="@own", level=access.WRITE),
                             DataGrant(scope="warehouse", value=str(first.warehouse_id), level=access.WRITE)])
    db.session.add(role)
    db.session.flush()
    clerk = create_user([role], s.m)
    with pytest.raises(OrderNotFound):
        ship(clerk, order, "SF", "B-2", shipment=second)
    with pytest.raises(AccessDenied, match="ship your own shipments one by one"):
        ship(clerk, order, "SF", "B-2")
    ship(clerk, order, "SF", "B-1", shipment=first)
    assert first.status == "shipped" and second.status == "pending"
    assert count(db, Shipment) == 2
