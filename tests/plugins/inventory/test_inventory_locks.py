"""Reservations: lock, deduct at shipment, release on cancel, expiry by the
scheduled job; and the ledger check that proves the figures add up."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from plugins.inventory.models import Stock, StockLedger, StockLock
from plugins.inventory.services import (InsufficientStock, LockNotLive, UnknownSku, UnknownWarehouse, check_stock,
                                        deduct, expire_locks, hold, increase, lock, order_locks, release)
from portal import jobs, settings
from portal.models import utcnow
from tests.conftest import create_user
from tests.plugins.inventory.helpers import audit_actions


def figures(db, sku, warehouse):
    row = db.session.execute(select(Stock).where(Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)
                             .execution_options(populate_existing=True)).scalar_one()
    return row.on_hand, row.locked, row.available


@pytest.fixture()
def stocked(db, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN")
    return shop


def test_lock_reserves_units_until_it_expires(db, stocked):
    before = utcnow()
    held = lock(None, stocked.a.id, stocked.sh.id, 3, "O-1", "L-1")
    assert figures(db, stocked.a, stocked.sh) == (5, 3, 2)
    assert held.status == "live" and (held.order_ref, held.line_ref, held.qty) == ("O-1", "L-1", 3)
    assert timedelta(minutes=29) < held.expires_at - before <= timedelta(minutes=31)
    assert order_locks("O-1") == [held]
    ledger = db.session.execute(select(StockLedger.state, StockLedger.delta, StockLedger.reason, StockLedger.document,
                                       StockLedger.lock_id).where(StockLedger.reason == "lock")).all()
    assert ledger == [("locked", 3, "lock", "O-1", held.id)]
    # the system reserves for an order, which keeps its own history: the ledger row is the trail
    assert "inventory.lock" not in audit_actions(db)
    assert check_stock() == []


def test_a_lock_made_by_a_person_is_audited(db, stocked):
    user = create_user("merchant_admin", stocked.m)
    held = lock(user, stocked.a.id, stocked.sh.id, 2, "O-9")
    assert "inventory.lock" in audit_actions(db)
    assert figures(db, stocked.a, stocked.sh) == (5, 2, 3)
    assert held.status == "live"


def test_lock_minutes_come_from_the_setting(db, stocked):
    settings.set_value("inventory.lock_minutes", "5")
    held = lock(None, stocked.a.id, stocked.sh.id, 1, "O-1")
    assert held.expires_at - utcnow() <= timedelta(minutes=5)


def test_locking_more_than_is_available_is_refused_and_writes_nothing(db, stocked):
    lock(None, stocked.a.id, stocked.sh.id, 4, "O-1")
    with pytest.raises(InsufficientStock) as err:
        lock(None, stocked.a.id, stocked.sh.id, 2, "O-2")
    assert (err.value.requested, err.value.available) == (2, 1)
    with pytest.raises(InsufficientStock):
        lock(None, stocked.b.id, stocked.sh.id, 1, "O-2")  # no stock row at all
    with pytest.raises(UnknownSku):
        lock(None, 999999, stocked.sh.id, 1, "O-2")
    assert figures(db, stocked.a, stocked.sh) == (5, 4, 1)
    assert db.session.execute(select(StockLock.order_ref)).scalars().all() == ["O-1"]


def test_other_merchants_staff_cannot_lock(db, stocked):
    staff = create_user("merchant_staff", stocked.other)
    with pytest.raises(UnknownSku):
        lock(staff, stocked.a.id, stocked.sh.id, 1, "O-1")
    assert figures(db, stocked.a, stocked.sh) == (5, 0, 5)


def test_deduct_ships_the_locked_units(db, stocked):
    held = lock(None, stocked.a.id, stocked.sh.id, 3, "O-1")
    deduct(None, held.id, "SHIP-1")
    assert figures(db, stocked.a, stocked.sh) == (2, 0, 2)
    assert held.status == "deducted" and held.closed_at is not None
    with pytest.raises(LockNotLive, match="deducted"):
        deduct(None, held.id)
    with pytest.raises(LockNotLive):
        release(None, held.id)
    with pytest.raises(LockNotLive, match="unknown"):
        deduct(None, 999999)
    assert figures(db, stocked.a, stocked.sh) == (2, 0, 2)
    assert check_stock() == []


def test_release_frees_the_units(db, stocked):
    held = lock(None, stocked.a.id, stocked.sh.id, 3, "O-1")
    release(None, held.id)
    assert figures(db, stocked.a, stocked.sh) == (5, 0, 5) and held.status == "released"
    with pytest.raises(LockNotLive):
        deduct(None, held.id)
    assert "inventory.release" in audit_actions(db)
    assert check_stock() == []


def test_expiry_releases_only_live_locks_past_their_time(db, stocked):
    past, future = utcnow() - timedelta(minutes=1), utcnow() + timedelta(minutes=10)
    old = lock(None, stocked.a.id, stocked.sh.id, 1, "O-1", expires_at=past)
    shipped = lock(None, stocked.a.id, stocked.sh.id, 1, "O-2", expires_at=past)
    fresh = lock(None, stocked.a.id, stocked.sh.id, 1, "O-3", expires_at=future)
    deduct(None, shipped.id)
    assert expire_locks() == "1 expired reservation(s) released"
    statuses = dict(db.session.execute(select(StockLock.id, StockLock.status)).all())
    assert (statuses[old.id], statuses[shipped.id], statuses[fresh.id]) == ("expired", "deducted", "live")
    assert figures(db, stocked.a, stocked.sh) == (4, 1, 3)
    assert check_stock() == []


def test_the_scheduled_job_expires_locks(db, stocked):
    lock(None, stocked.a.id, stocked.sh.id, 2, "O-1", expires_at=utcnow() - timedelta(seconds=1))
    results = jobs.run_due(["inventory.expire_locks"], force=True, echo=lambda *_: None)
    assert results == {"inventory.expire_locks": "ok"}
    assert figures(db, stocked.a, stocked.sh) == (5, 0, 5)


def test_check_explains_a_quantity_that_differs_from_its_ledger(db, stocked):
    lock(None, stocked.a.id, stocked.sh.id, 2, "O-1")
    db.session.execute(update(Stock).where(Stock.sku_id == stocked.a.id).values(on_hand=7))
    found = check_stock()
    assert [(a.kind, a.state, a.quantity, a.expected) for a in found] == [("ledger", "on_hand", 7, 5)]
    assert "on_hand is 7" in str(found[0])
    db.session.execute(update(StockLock).values(status="released"))
    assert ("locks", "locked", 2, 0) in [(a.kind, a.state, a.quantity, a.expected) for a in check_stock()]


def test_an_inactive_warehouse_cannot_take_locks(db, stocked):
    stocked.sh.active = False
    db.session.flush()
    with pytest.raises(UnknownWarehouse, match="inactive"):
        lock(None, stocked.a.id, stocked.sh.id, 1, "O-1")
    assert figures(db, stocked.a, stocked.sh) == (5, 0, 5)


def test_hold_lifts_the_expiry_of_an_orders_live_reservations(db, stocked):
    kept = lock(None, stocked.a.id, stocked.sh.id, 1, "O-7", "1")
    gone = lock(None, stocked.a.id, stocked.sh.id, 1, "O-7", "2")
    release(None, gone.id)
    other = lock(None, stocked.a.id, stocked.sh.id, 1, "O-8", "1")
    assert hold("O-7") == 1
    db.session.expire_all()
    assert kept.expires_at is None and other.expires_at is not None
    assert expire_locks(now=utcnow() + timedelta(days=365)) == "1 expired reservation(s) released"  # O-8 only
    assert db.session.get(StockLock, kept.id).status == "live"
