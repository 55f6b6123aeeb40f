"""Reservations for order lines: lock (reserve), deduct (at shipment),
release (order cancelled) and expiry (unpaid order timed out)."""
from datetime import timedelta

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.orm import make_transient_to_detached

from portal import settings
from portal.extensions import db
from portal.models import utcnow

from ..models import DEDUCTED, EXPIRED, LIVE, LOCKED, ON_HAND, RELEASED, StockLock
from .core import (audit, change, check_merchant, explain_missing, guard, ledger, positive, refuse,
                   stock_row)
from .errors import LockNotLive
from .lowstock import operation, watch_lock
from .reserve import reserve


def lock(actor, sku_id, warehouse_id, qty, order_ref, line_ref="", expires_at=None):
    """Reserve ``qty`` available units for an order line; the returned
    ``StockLock`` is live until deducted, released or expired (by default after
    the ``inventory.lock_minutes`` setting). ``InsufficientStock`` when fewer
    are available: the conditional UPDATE is the first write, so concurrent
    callers can never oversell, and a refusal has written nothing.

    This is the hot path of every order placed: its writes go straight to the
    connection (see ``reserve``), no savepoint. The ledger row is the trail of
    a reservation the system makes for an order (the order records its own
    history); one a person makes is audited as well."""
    guard(actor, "inventory.adjust", "write")
    qty = positive(qty)
    done = reserve(sku_id, warehouse_id, qty, getattr(actor, "merchant_id", None), order_ref, line_ref, expires_at,
                   getattr(actor, "id", None))
    if done is None:
        refuse(sku_id, warehouse_id, qty, actor=actor)
    watch_lock(sku_id, warehouse_id, qty, done.threshold)
    values = {"sku_id": sku_id, "warehouse_id": warehouse_id, "merchant_id": done.merchant_id, "qty": qty,
              "order_ref": str(order_ref)[:64], "line_ref": str(line_ref)[:64], "status": LIVE,
              "expires_at": done.expires_at, "created_at": done.now, "closed_at": None}
    held = _as_session_object(done.lock_id, values)
    _audit_lock(actor, held)
    return held


_INSERT_LOCK = insert(StockLock.__table__).returning(StockLock.__table__.c.id)


def _record_lock(actor, sku_id, warehouse_id, merchant_id, qty, order_ref, line_ref, expires_at):
    now = utcnow()
    if expires_at is None:
        expires_at = now + timedelta(minutes=settings.get("inventory.lock_minutes", merchant_id))
    values = {"sku_id": sku_id, "warehouse_id": warehouse_id, "merchant_id": merchant_id, "qty": qty,
              "order_ref": str(order_ref)[:64], "line_ref": str(line_ref)[:64], "status": LIVE,
              "expires_at": expires_at, "created_at": now, "closed_at": None}
    lock_id = db.session.connection().execute(_INSERT_LOCK, values).scalar_one()
    held = _as_session_object(lock_id, values)
    ledger(sku_id, warehouse_id, merchant_id, {LOCKED: qty}, "lock", actor, str(order_ref), lock_id=lock_id)
    _audit_lock(actor, held)
    return held


def _as_session_object(lock_id, values):
    """The reservation just written, as the session's object, without reading
    it back. Its attributes are the row's as stored, so they are set as a
    load would set them (the constructor would record each as a change only
    to have ``make_transient_to_detached`` discard them all)."""
    held = _NEW_LOCK()
    held.__dict__.update(values, id=lock_id)
    make_transient_to_detached(held)
    db.session.add(held)
    return held


_NEW_LOCK = inspect(StockLock).class_manager.new_instance


def _audit_lock(actor, held):
    if actor is not None:
        audit("lock", actor, held.merchant_id, f"lock {held.id}", sku=held.sku_id, warehouse=held.warehouse_id,
              qty=held.qty, order=held.order_ref, line=held.line_ref)


def _close(lock_id, status, actor=None):
    """Move a live lock to ``status`` (a conditional UPDATE, so a deduct and an
    expiry racing for one lock cannot both win); the lock, or ``LockNotLive``."""
    done = db.session.execute(update(StockLock).where(StockLock.id == lock_id, StockLock.status == LIVE)
                              .values(status=status, closed_at=utcnow())
                              .execution_options(synchronize_session=False))
    held = db.session.execute(select(StockLock).where(StockLock.id == lock_id)
                              .execution_options(populate_existing=True)).scalar_one_or_none()
    if done.rowcount != 1:
        raise LockNotLive(lock_id, held.status if held else None)
    check_merchant(actor, held.merchant_id, held.sku_id)
    return held


def deduct(actor, lock_id, document=""):
    """Goods shipped: the locked units leave the warehouse."""
    guard(actor, "inventory.adjust", "write")
    with operation():
        held = _close(lock_id, DEDUCTED, actor)
        deltas = {ON_HAND: -held.qty, LOCKED: -held.qty}
        if not change(held.sku_id, held.warehouse_id, deltas):
            refuse(held.sku_id, held.warehouse_id, held.qty, LOCKED)
        ledger(held.sku_id, held.warehouse_id, held.merchant_id, deltas, "deduct", actor,
               document or held.order_ref, lock_id=held.id)
        audit("deduct", actor, held.merchant_id, f"lock {held.id}", qty=held.qty, order=held.order_ref,
              document=document)
    return held


def release(actor, lock_id, expired=False):
    """The order was cancelled (or, ``expired``, never paid): the units are free again."""
    guard(actor, "inventory.adjust", "write")
    with operation():
        held = _close(lock_id, EXPIRED if expired else RELEASED, actor)
        if not change(held.sku_id, held.warehouse_id, {LOCKED: -held.qty}):
            if stock_row(held.sku_id, held.warehouse_id) is None:
                explain_missing(held.sku_id, held.warehouse_id)
            refuse(held.sku_id, held.warehouse_id, held.qty, LOCKED)
        reason = "expire" if expired else "release"
        ledger(held.sku_id, held.warehouse_id, held.merchant_id, {LOCKED: -held.qty}, reason, actor,
               held.order_ref, lock_id=held.id)
        audit(reason, actor, held.merchant_id, f"lock {held.id}", qty=held.qty, order=held.order_ref)
    return held


def hold(order_ref):
    """The order is paid: its live reservations no longer expire (they end
    when the goods are deducted at shipment or released). Returns how many."""
    done = db.session.execute(update(StockLock).where(StockLock.order_ref == str(order_ref), StockLock.status == LIVE)
                              .values(expires_at=None).execution_options(synchronize_session="fetch"))
    return done.rowcount


def order_locks(order_ref, status=LIVE):
    """The locks of an order, by line then id."""
    return db.session.execute(select(StockLock).where(StockLock.order_ref == str(order_ref),
                                                      StockLock.status == status)
                              .order_by(StockLock.line_ref, StockLock.id)).scalars().all()


def expire_locks(now=None, batch=500):
    """Release every live lock past its expiry, one commit each (the job's
    work); a lock deducted meanwhile is skipped. Returns a message."""
    now = now or utcnow()
    ids = db.session.execute(select(StockLock.id).where(StockLock.status == LIVE, StockLock.expires_at < now)
                             .order_by(StockLock.id).limit(batch)).scalars().all()
    db.session.commit()
    released = 0
    for lock_id in ids:
        try:
            release(None, lock_id, expired=True)
        except LockNotLive:
            db.session.rollback()
            continue
        db.session.commit()
        released += 1
    return f"{released} expired reservation(s) released"
