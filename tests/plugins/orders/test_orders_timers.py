"""The timers, with a frozen clock: unpaid orders cancel (stock released),
shipped orders complete, after-sales windows close; each run is idempotent,
the durations come from the settings, and the jobs are registered."""
from datetime import timedelta

from sqlalchemy import select

from plugins.inventory.services import check_stock
from plugins.orders.models import OrderHistory
from plugins.orders.services import cancel_unpaid, close_after_sales, complete_shipped, ship
from portal import jobs, settings
from portal.models import utcnow
from tests.plugins.orders.helpers import figures, order_in, place_one, state_of


def test_unpaid_orders_cancel_after_the_set_minutes_and_release_stock(db, store):
    s = store
    placed = utcnow()
    old = place_one(s, [(s.a.id, 3)], now=placed)
    fresh = place_one(s, [(s.a.id, 2)], now=placed + timedelta(minutes=20))
    paid = order_in(s, "pending_shipment", now=placed)
    assert figures(db, s.a, s.sh) == (10, 7)
    assert cancel_unpaid(now=placed + timedelta(minutes=29)) == "0 order(s) cancelled"
    assert cancel_unpaid(now=placed + timedelta(minutes=30)) == "1 order(s) cancelled"
    assert (state_of(db, old), state_of(db, fresh), state_of(db, paid)) == (
        "cancelled", "pending_payment", "pending_shipment")
    assert figures(db, s.a, s.sh) == (10, 4)
    note, user = db.session.execute(select(OrderHistory.note, OrderHistory.user_id)
                                    .where(OrderHistory.order_id == old.id, OrderHistory.to_state == "cancelled")
                                    ).one()
    assert "Not paid in time" in note and user is None
    # a second run finds nothing left to do
    assert cancel_unpaid(now=placed + timedelta(minutes=31)) == "0 order(s) cancelled"
    assert check_stock() == []


def test_the_unpaid_minutes_come_from_the_setting(db, store):
    settings.set_value("orders.unpaid_cancel_minutes", "5")
    placed = utcnow()
    order = place_one(store, now=placed)
    assert cancel_unpaid(now=placed + timedelta(minutes=5)) == "1 order(s) cancelled"
    assert state_of(db, order) == "cancelled"


def test_shipped_orders_complete_after_the_set_days(db, store):
    start = utcnow()
    order = order_in(store, "pending_shipment", now=start)
    ship(None, order, "SF Express", "SF1", now=start)
    assert complete_shipped(now=start + timedelta(days=14, hours=23)) == "0 order(s) completed"
    run = start + timedelta(days=15)
    assert complete_shipped(now=run) == "1 order(s) completed"
    db.session.refresh(order)
    assert order.state == "completed" and order.received_at == run
    assert order.after_sales_deadline == run + timedelta(days=7)
    assert complete_shipped(now=run + timedelta(days=1)) == "0 order(s) completed"


def test_after_sales_windows_close_when_passed(db, store):
    settings.set_value("orders.after_sales_days", "2")
    order = order_in(store, "completed")
    deadline = order.after_sales_deadline
    asking = order_in(store, "after_sales")
    assert close_after_sales(now=deadline) == "0 order(s) closed"
    assert close_after_sales(now=deadline + timedelta(seconds=1)) == "1 order(s) closed"
    assert state_of(db, order) == "closed" and state_of(db, asking) == "after_sales"
    assert close_after_sales(now=deadline + timedelta(days=1)) == "0 order(s) closed"


def test_the_timers_work_through_more_orders_than_one_batch(db, store):
    placed = utcnow()
    orders = [place_one(store, [(store.a.id, 1)], now=placed) for _ in range(5)]
    assert cancel_unpaid(now=placed + timedelta(hours=1), batch=2) == "5 order(s) cancelled"
    assert {state_of(db, o) for o in orders} == {"cancelled"}
    assert figures(db, store.a, store.sh) == (10, 0)


def test_the_jobs_are_registered_and_run_through_the_scheduler(db, store):
    assert {"orders.cancel_unpaid", "orders.complete_shipped", "orders.close_after_sales"} <= set(jobs.registered())
    order = place_one(store, now=utcnow() - timedelta(hours=2))
    results = jobs.run_due(["orders.cancel_unpaid"], force=True, echo=lambda *_: None)
    assert results == {"orders.cancel_unpaid": "ok"}
    assert state_of(db, order) == "cancelled"
