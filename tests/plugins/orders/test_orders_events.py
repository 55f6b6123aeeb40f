"""Domain events: one per transition, with the order's merchant, delivered to
a (fake) listener inside the transaction; a listener that refuses undoes the
whole operation."""
from datetime import timedelta
from decimal import Decimal

import pytest

from plugins.inventory.models import StockLock
from plugins.orders.events import (AfterSalesRequested, OrderCancelled, OrderClosed, OrderCompleted, OrderPaid,
                                   OrderPlaced, OrderShipped)
from plugins.orders.models import Checkout, Order, Payment
from plugins.orders.services import cancel, cancel_unpaid, place, record_payment
from portal.events import EventRejected
from portal.models import utcnow
from tests.plugins.orders.helpers import (buyer, count, figures, history, order_in, pay_in_full, place_one,
                                          state_of)


@pytest.fixture(scope="module")
def app(fakes_app):
    return fakes_app


def kinds(fakes):
    return [type(event).__name__ for event in fakes.events]


def test_placing_publishes_one_order_placed_per_merchant(db, store, fakes):
    checkout = place(None, "portal", buyer(), [(store.a.id, 1), (store.x.id, 2)], "CUST-1")
    mine, theirs = checkout.orders
    assert fakes.events == [
        OrderPlaced(mine.id, mine.number, store.m.id, checkout.id, Decimal("10.00"), "CNY", "CUST-1"),
        OrderPlaced(theirs.id, theirs.number, store.other.id, checkout.id, Decimal("51.00"), "CNY", "CUST-1")]


def test_each_transition_publishes_its_event_once(db, store, fakes):
    order = order_in(store, "closed")
    assert kinds(fakes) == ["OrderPlaced", "OrderPaid", "ShipmentShipped", "OrderShipped", "OrderCompleted",
                            "AfterSalesRequested", "OrderClosed"]
    assert {event.merchant_id for event in fakes.events} == {store.m.id}
    assert {event.number for event in fakes.events} == {order.number}
    paid, parcel, shipped = fakes.events[1], fakes.events[2], fakes.events[3]
    assert paid == OrderPaid(order.id, order.number, store.m.id, Decimal("20.00"), "CNY")
    assert (parcel.shipment_id, parcel.tracking_number) == (order.shipments[0].id, f"SF{order.id:010d}")
    assert shipped == OrderShipped(order.id, order.number, store.m.id, (f"SF{order.id:010d}",))
    assert isinstance(fakes.events[4], OrderCompleted) and not fakes.events[4].automatic
    assert fakes.events[5] == AfterSalesRequested(order.id, order.number, store.m.id, "Broken lid")
    assert fakes.events[6] == OrderClosed(order.id, order.number, store.m.id, False)


def test_a_repeated_payment_publishes_nothing_more(db, store, fakes):
    order = order_in(store, "pending_shipment")
    before = len(fakes.events)
    record_payment(None, order, "alipay", order.total, "CNY", f"PAY-{order.number}")
    assert len(fakes.events) == before and count(db, Payment) == 1


def test_cancelling_a_paid_order_says_what_is_owed_back(db, store, fakes):
    order = order_in(store, "cancelled")
    assert fakes.events[-1] == OrderCancelled(order.id, order.number, store.m.id, Decimal("0"), "CNY",
                                              "Changed my mind", False)
    paid = order_in(store, "pending_shipment")
    cancel(None, paid, "Sold out at the till")
    assert fakes.events[-1].refunded == Decimal("20.00") and kinds(fakes).count("OrderCancelled") == 2


def test_a_timer_cancellation_is_marked_automatic(db, store, fakes):
    placed = utcnow()
    order = place_one(store, now=placed)
    cancel_unpaid(now=placed + timedelta(hours=1))
    assert fakes.events[-1].number == order.number and fakes.events[-1].automatic


def test_a_listener_refusing_the_placement_leaves_nothing(db, store, fakes):
    fakes.reject = OrderPlaced
    with pytest.raises(EventRejected, match="OrderPlaced refused"):
        place(None, "portal", buyer(), [(store.a.id, 2), (store.x.id, 1)])
    assert (count(db, Checkout), count(db, Order), count(db, StockLock)) == (0, 0, 0)
    assert figures(db, store.a, store.sh) == (10, 0)


def test_a_listener_refusing_the_payment_leaves_the_order_unpaid(db, store, fakes):
    order = place_one(store)
    fakes.reject = OrderPaid
    with pytest.raises(EventRejected):
        pay_in_full(order)
    assert count(db, Payment) == 0 and state_of(db, order) == "pending_payment"
    assert history(db, order) == [(None, "pending_payment")]


def test_a_listener_refusing_one_timer_cancellation_does_not_stop_the_others(db, store, fakes):
    placed = utcnow()
    refused, other = [place_one(store, [(store.a.id, 1)], now=placed) for _ in range(2)]
    fakes.reject = lambda event: isinstance(event, OrderCancelled) and event.number == refused.number
    assert cancel_unpaid(now=placed + timedelta(hours=1)) == "1 order(s) cancelled, 1 failed (see the log)"
    assert (state_of(db, refused), state_of(db, other)) == ("pending_payment", "cancelled")
    assert figures(db, store.a, store.sh) == (10, 1)
    fakes.reject = None
    assert cancel_unpaid(now=placed + timedelta(hours=1)) == "1 order(s) cancelled"
