"""Repairs for what ``check_stock`` finds. Each one re-checks its anomaly
inside its own savepoint (``AnomalyGone`` when it was fixed meanwhile, nothing
written), needs ``inventory.adjust`` at manage level on the record, writes an
``inventory.repair`` audit row and returns a sentence saying what it did.

Which side is the truth: the quantities on the stock row are what was counted
and what the operations left, so a ledger that disagrees is brought to them
with a "reconcile" row; the locked quantity must equal the live reservations,
so it is set to their sum (with a "reconcile" row). What only a person can
settle (goods missing, an order to allocate again) raises ``StocktakeNeeded``
or ``CannotRepair``.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal import access, plugins
from portal.extensions import db
from portal.models import utcnow

from ..models import LOCKED, STATES, Stock, StockLedger
from .check import (EXPIRED_LOCK, LEDGER, LIVE_ORDERS_HOOK, LOCKS, NEGATIVE, ORPHAN_LOCK, OVER_COMMITTED,
                    UNLOCKED_LINE, live_locked, live_orders, recompute_fixes)
from .core import audit, change, check_merchant, guard, ledger
from .errors import AnomalyGone, CannotRepair, InvalidState, StocktakeNeeded, UnknownSku
from .locks import release
from .lowstock import operation

ADJUST = "inventory.adjust"


def repair(actor, kind, sku_id=None, warehouse_id=None, state=None, lock_id=None):
    """Repair one anomaly named as the check reports it; the sentence saying what was done."""
    if kind == LEDGER:
        return reconcile_ledger(actor, sku_id, warehouse_id, state)
    if kind in (LOCKS, NEGATIVE, OVER_COMMITTED):
        return recompute_locked(actor, sku_id, warehouse_id, kind, state)
    if kind == EXPIRED_LOCK:
        return expire_lock_now(actor, lock_id)
    if kind == ORPHAN_LOCK:
        return release_orphan_lock(actor, lock_id)
    if kind == UNLOCKED_LINE:
        raise CannotRepair(_("The inventory cannot repair an order line without a reservation: "
                             "allocate the order again from the order."))
    raise CannotRepair(_("%(kind)r is not something the stock check reports.", kind=kind))


def _hold(sku_id, warehouse_id):
    """The stock row (or None), held until the transaction ends. On SQLite the
    write lock is taken first by a write that changes nothing (``updated_at``
    alone, so no constraint a damaged row breaks is checked); on PostgreSQL
    ``FOR UPDATE``, which checks none either."""
    where = (Stock.sku_id == sku_id, Stock.warehouse_id == warehouse_id)
    query = select(Stock).where(*where).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    else:
        db.session.execute(update(Stock).where(*where).values(updated_at=Stock.updated_at)
                           .execution_options(synchronize_session=False))
    return db.session.execute(query).scalar_one_or_none()


def _reach(actor, merchant_id, warehouse_id, sku_id):
    """The acting user must manage stock changes on this record: outside the
    user's data scope the record does not exist (``UnknownSku``); inside it
    but below manage, ``AccessDenied``."""
    if actor is None:
        return
    check_merchant(actor, merchant_id, sku_id)
    scopes = {"merchant": merchant_id, "warehouse": warehouse_id}
    user_access = access.access(actor)
    if any(user_access.data_level(scope, value) < access.READ for scope, value in scopes.items()):
        raise UnknownSku(sku_id)
    if user_access.record_level(ADJUST, scopes) < access.MANAGE:
        raise access.AccessDenied(_("You need manage access to stock changes in this warehouse to repair it."))


def _ledger_sum(sku_id, warehouse_id, state):
    return int(db.session.execute(select(func.coalesce(func.sum(StockLedger.delta), 0)).where(
        StockLedger.sku_id == sku_id, StockLedger.warehouse_id == warehouse_id, StockLedger.state == state)).scalar())


def _where(sku_id, warehouse_id):
    return _("SKU %(sku)s in warehouse %(warehouse)s", sku=sku_id, warehouse=warehouse_id)


def reconcile_ledger(actor, sku_id, warehouse_id, state):
    """The ledger of one state disagrees with the quantity: write a
    "reconcile" ledger row for the difference; the quantity stays."""
    guard(actor, ADJUST, "manage")
    if state not in STATES:
        raise InvalidState(state)
    with operation():
        row = _hold(sku_id, warehouse_id)
        total = _ledger_sum(sku_id, warehouse_id, state)
        owner = db.session.execute(select(func.max(StockLedger.merchant_id)).where(
            StockLedger.sku_id == sku_id, StockLedger.warehouse_id == warehouse_id)).scalar()
        merchant_id = row.merchant_id if row is not None else owner
        if merchant_id is None:
            raise AnomalyGone(_where(sku_id, warehouse_id))
        _reach(actor, merchant_id, warehouse_id, sku_id)
        quantity = getattr(row, state) if row is not None else 0
        delta = quantity - total
        if not delta:
            raise AnomalyGone(_where(sku_id, warehouse_id))
        ledger(sku_id, warehouse_id, merchant_id, {state: delta}, "reconcile", actor,
               note=f"ledger {total} brought to the quantity {quantity}")
        audit("repair", actor, merchant_id, f"sku {sku_id} @ {warehouse_id}", kind=LEDGER, state=state,
              quantity=quantity, ledger=total, delta=delta)
    return _("Repaired: a “reconcile” ledger row of %(delta)s was written; the quantity stays %(quantity)s.",
             delta=f"{delta:+d}", quantity=quantity)


def _still(kind, row, state, live):
    if kind == LOCKS:
        return row.locked != live
    if kind == NEGATIVE:
        return getattr(row, state if state in STATES else LOCKED) < 0
    return row.locked + row.damaged + row.quality_hold > row.on_hand


def recompute_locked(actor, sku_id, warehouse_id, kind=LOCKS, state=None):
    """Set locked to the sum of the live reservations, with a "reconcile"
    ledger row: the repair for a locked quantity that disagrees with them,
    and for a negative or over-committed row when that is enough to make it
    sound (``StocktakeNeeded`` otherwise)."""
    guard(actor, ADJUST, "manage")
    with operation():
        row = _hold(sku_id, warehouse_id)
        if row is None:
            raise AnomalyGone(_where(sku_id, warehouse_id))
        _reach(actor, row.merchant_id, warehouse_id, sku_id)
        live = live_locked(sku_id, warehouse_id)
        if not _still(kind, row, state, live):
            raise AnomalyGone(_where(sku_id, warehouse_id))
        old = row.locked
        if old == live or not recompute_fixes(row.on_hand, row.damaged, row.quality_hold, live):
            raise StocktakeNeeded(sku_id, warehouse_id)
        if not change(sku_id, warehouse_id, {LOCKED: live - old}):  # cannot happen while the row is held
            raise StocktakeNeeded(sku_id, warehouse_id)
        # the ledger is brought to the reservations too (not moved by the same
        # delta): a locked figure changed without a ledger row leaves the ledger right
        ledgered = _ledger_sum(sku_id, warehouse_id, LOCKED)
        ledger(sku_id, warehouse_id, row.merchant_id, {LOCKED: live - ledgered}, "reconcile", actor,
               note=f"locked {old} (ledger {ledgered}) set to the live reservations {live}")
        audit("repair", actor, row.merchant_id, f"sku {sku_id} @ {warehouse_id}", kind=kind, locked=old,
              ledger=ledgered, live=live)
    return _("Repaired: locked set from %(old)s to %(new)s, the sum of the live reservations.", old=old, new=live)


def expire_lock_now(actor, lock_id, now=None):
    """A live reservation past its expiry that the job missed: expire it now
    (its units are free again), as the job would have."""
    guard(actor, ADJUST, "manage")
    now = now or utcnow()
    with operation():
        held = release(actor, lock_id, expired=True)  # the write comes first; checks below roll it back
        _reach(actor, held.merchant_id, held.warehouse_id, held.sku_id)
        if held.expires_at is None or held.expires_at >= now:
            raise AnomalyGone(_("Reservation %(lock)s", lock=lock_id))
        audit("repair", actor, held.merchant_id, f"lock {held.id}", kind=EXPIRED_LOCK, qty=held.qty,
              order=held.order_ref, expires_at=held.expires_at.isoformat())
    return _("Repaired: reservation %(lock)s expired; its %(qty)s units are free again.", lock=held.id,
             qty=held.qty)


def release_orphan_lock(actor, lock_id):
    """A live reservation whose order is no longer live (the orders plugin
    says so): release it."""
    guard(actor, ADJUST, "manage")
    if not plugins.implementers(LIVE_ORDERS_HOOK):
        raise CannotRepair(_("Order checks need the orders module; without it no reservation is known to "
                             "have lost its order."))
    with operation():
        held = release(actor, lock_id)
        _reach(actor, held.merchant_id, held.warehouse_id, held.sku_id)
        if held.order_ref in live_orders([held.order_ref]):
            raise AnomalyGone(_("Reservation %(lock)s", lock=lock_id))
        audit("repair", actor, held.merchant_id, f"lock {held.id}", kind=ORPHAN_LOCK, qty=held.qty,
              order=held.order_ref)
    return _("Repaired: reservation %(lock)s released; its %(qty)s units are free again.", lock=held.id,
             qty=held.qty)

