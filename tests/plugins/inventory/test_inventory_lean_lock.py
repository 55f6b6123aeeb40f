"""A reservation's writes go to the DBAPI cursor, compiled once, while
nothing watches the connection's statements, and through SQLAlchemy when
something does: both write the same rows, refuse with the same errors and
write nothing when they refuse."""
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from plugins.inventory.models import Stock, StockLedger, StockLock, Warehouse
from plugins.inventory.services import InsufficientStock, UnknownSku, UnknownWarehouse, increase, lock
from portal.models import utcnow
from tests.conftest import create_user


@pytest.fixture()
def stocked(db, shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    return shop


@contextmanager
def watched(db):
    """Statements seen by a ``before_cursor_execute`` listener on the engine."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def lock_and_ledger(db, held):
    """The reservation's row and its ledger row as stored, without the keys that differ between two locks."""
    db.session.expire_all()
    row = db.session.execute(select(StockLock.sku_id, StockLock.warehouse_id, StockLock.merchant_id, StockLock.qty,
                                    StockLock.line_ref, StockLock.status, StockLock.closed_at)
                             .where(StockLock.id == held.id)).one()
    entry = db.session.execute(select(StockLedger.sku_id, StockLedger.warehouse_id, StockLedger.merchant_id,
                                      StockLedger.state, StockLedger.delta, StockLedger.reason, StockLedger.note,
                                      StockLedger.user_id).where(StockLedger.lock_id == held.id)).all()
    expires_at, created_at = db.session.execute(select(StockLock.expires_at, StockLock.created_at)
                                                .where(StockLock.id == held.id)).one()
    return tuple(row), [tuple(e) for e in entry], expires_at - created_at


def test_watched_and_unwatched_locks_write_the_same_rows(db, stocked):
    user = create_user("merchant_admin", stocked.m)
    lean = lock(user, stocked.a.id, stocked.sh.id, 2, "O-1", "L-1")
    with watched(db) as seen:
        plain = lock(user, stocked.a.id, stocked.sh.id, 2, "O-2", "L-1")
    assert any("inventory_stock_lock" in s for s in seen)  # the second went through SQLAlchemy
    assert lock_and_ledger(db, lean) == lock_and_ledger(db, plain)
    row, ledger, _ = lock_and_ledger(db, lean)
    assert row == (stocked.a.id, stocked.sh.id, stocked.m.id, 2, "L-1", "live", None)
    assert ledger == [(stocked.a.id, stocked.sh.id, stocked.m.id, "locked", 2, "lock", "", user.id)]
    assert db.session.execute(select(StockLedger.document).where(StockLedger.lock_id == lean.id)).scalar() == "O-1"
    assert db.session.execute(select(Stock.locked).where(Stock.sku_id == stocked.a.id,
                                                         Stock.warehouse_id == stocked.sh.id)).scalar() == 4


def test_the_returned_lock_is_the_row_as_stored(db, stocked):
    until = utcnow().replace(microsecond=0) + timedelta(hours=2)
    held = lock(None, stocked.a.id, stocked.sh.id, 1, "O-1", expires_at=until)
    values = (held.id, held.qty, held.status, held.expires_at, held.created_at, held.merchant_id)
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(StockLock, values[0])
    assert (again.id, again.qty, again.status, again.expires_at, again.created_at, again.merchant_id) == values
    assert again.expires_at == until


def test_dates_are_stored_as_sqlalchemy_stores_them(db, stocked):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite stores dates as text")
    lean = lock(None, stocked.a.id, stocked.sh.id, 1, "O-1")
    with watched(db):
        plain = lock(None, stocked.a.id, stocked.sh.id, 1, "O-2")
    raw = db.session.execute(text("SELECT id, created_at, expires_at FROM inventory_stock_lock ORDER BY id")).all()
    ledger = db.session.execute(text("SELECT created_at FROM inventory_stock_ledger WHERE lock_id IS NOT NULL")).all()
    stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
    assert [r[0] for r in raw] == [lean.id, plain.id]
    assert all(stamp.match(value) for r in raw for value in r[1:]) and all(stamp.match(r[0]) for r in ledger)


@pytest.mark.parametrize("watch", [False, True], ids=["cursor", "sqlalchemy"])
def test_refusals_name_the_same_error_and_write_nothing(db, stocked, watch):
    def attempt(actor, sku_id, warehouse_id, qty):
        if watch:
            with watched(db):
                return lock(actor, sku_id, warehouse_id, qty, "O-X")
        return lock(actor, sku_id, warehouse_id, qty, "O-X")
    counts = lambda: (db.session.execute(select(func.count()).select_from(StockLock)).scalar(),  # noqa: E731
                      db.session.execute(select(func.count()).select_from(StockLedger)).scalar())
    before = counts()
    with pytest.raises(InsufficientStock) as err:
        attempt(None, stocked.a.id, stocked.sh.id, 11)
    assert (err.value.requested, err.value.available) == (11, 10)
    with pytest.raises(UnknownSku):
        attempt(create_user("merchant_admin", stocked.other), stocked.a.id, stocked.sh.id, 1)
    db.session.execute(Warehouse.__table__.update().where(Warehouse.id == stocked.sh.id).values(active=False))
    with pytest.raises(UnknownWarehouse):
        attempt(None, stocked.a.id, stocked.sh.id, 1)
    assert counts() == before
