"""The inventory's order checks answered by the real orders plugin: placed,
paid, partly shipped orders add up; an order changed behind the services'
back shows as an orphan reservation or an order line without its
reservation, and each is repaired (by the inventory, or by allocating the
order again)."""
from datetime import timedelta

from sqlalchemy import select, text

from plugins.inventory.models import StockLock
from plugins.inventory.services import check_stock, order_checks_available, release, repair
from plugins.orders.hooks import inventory_lines_to_lock, inventory_live_orders
from plugins.orders.services import allocate_again, cancel_unpaid, ship
from portal.models import utcnow
from tests.plugins.orders.helpers import figures, order_in, place_one


def anomalies(**where):
    return [(a.kind, a.order_ref, a.line_ref, a.quantity, a.expected) for a in check_stock(**where)]


def test_the_orders_plugin_answers_the_inventory(db, store):
    s = store
    unpaid = place_one(s, [(s.a.id, 2)])
    paid = order_in(s, "pending_shipment", lines=[(s.b.id, 8)], region="CN-BJ")
    shipped = order_in(s, "pending_receipt")
    cancelled = order_in(s, "cancelled")
    assert order_checks_available()
    refs = [o.number for o in (unpaid, paid, shipped, cancelled)] + ["NO-SUCH-ORDER"]
    assert sorted(inventory_live_orders(refs)) == sorted([unpaid.number, paid.number])
    assert sorted(inventory_lines_to_lock(None)) == sorted([
        (unpaid.number, str(unpaid.lines[0].id), s.a.id, 2), (paid.number, str(paid.lines[0].id), s.b.id, 8)])
    assert inventory_lines_to_lock({s.other.id}) == []
    assert check_stock() == []


def test_a_partly_shipped_line_expects_only_its_unshipped_units(db, store):
    s = store
    order = order_in(s, "pending_shipment", lines=[(s.b.id, 8)], region="CN-BJ")
    first = min(order.shipments, key=lambda sh: sh.warehouse_id)
    ship(None, order, "SF Express", "SF1", shipment=first)
    assert inventory_lines_to_lock(None) == [(order.number, str(order.lines[0].id), s.b.id, 3)]
    assert check_stock() == []


def test_an_order_cancelled_behind_the_back_leaves_orphan_reservations_the_inventory_releases(db, store):
    s = store
    order = place_one(s, [(s.a.id, 2), (s.b.id, 1)])
    db.session.execute(text("UPDATE orders_order SET state = 'cancelled' WHERE id = :id"), {"id": order.id})
    found = check_stock()
    assert sorted((a.kind, a.order_ref, a.sku_id, a.quantity) for a in found) == [
        ("orphan_lock", order.number, s.a.id, 2), ("orphan_lock", order.number, s.b.id, 1)]
    for anomaly in found:
        repair(None, "orphan_lock", lock_id=anomaly.lock_id)
    assert figures(db, s.a, s.sh) == (10, 0) and check_stock() == []


def test_a_reservation_released_behind_the_order_is_a_line_without_reservation(db, store):
    s = store
    order = order_in(s, "pending_shipment", lines=[(s.a.id, 3)])
    release(None, db.session.execute(select(StockLock.id).where(StockLock.order_ref == order.number)).scalar())
    line = order.lines[0]
    assert anomalies() == [("unlocked_line", order.number, str(line.id), 0, 3)]
    assert anomalies(merchant_ids=[s.other.id]) == []
    allocate_again(None, order)
    assert check_stock() == [] and figures(db, s.a, s.sh) == (10, 3)


def test_a_paid_orders_reservations_never_expire_an_unpaid_orders_do(db, store):
    s = store
    placed = utcnow()
    paid = order_in(s, "pending_shipment", now=placed)
    unpaid = place_one(s, [(s.a.id, 1)], now=placed)
    later = placed + timedelta(days=3)
    assert [(a.kind, a.order_ref) for a in check_stock(now=later)] == [("expired_lock", unpaid.number)]
    cancel_unpaid(now=later)
    assert check_stock(now=later) == []
    assert figures(db, s.a, s.sh) == (10, 2) and paid.state == "pending_shipment"


def test_an_unpaid_order_cancelled_by_its_timer_before_its_reservation_expires(db, store):
    # the reservation outlives the unpaid timer, so the order (not the inventory) releases it
    placed = utcnow()
    order = place_one(store, now=placed)
    expires = db.session.execute(select(StockLock.expires_at).where(StockLock.order_ref == order.number)).scalar()
    assert expires > placed + timedelta(minutes=30)
    cancel_unpaid(now=placed + timedelta(minutes=30))
    assert db.session.execute(select(StockLock.status).where(StockLock.order_ref == order.number)).scalar() == \
        "released"
