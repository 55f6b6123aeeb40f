"""Proof that the stock adds up: every quantity equals the sum of its ledger
rows, nothing is negative, nothing is locked, damaged or held beyond what is on
hand, the locked quantity equals the live reservations, and no live
reservation is past its expiry. When an enabled plugin answers the inventory's
extension points (``hookspecs.py``, the orders plugin), also: no live
reservation without a live order, and no order line without its reservation.

Each ``Anomaly`` carries the repair the inventory can make (``repair``, see
``services.repair``) or "" when only a person can fix it (a stocktake, or the
order allocated again).
"""
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from plugins.catalog.models import Sku
from portal import plugins
from portal.extensions import db
from portal.models import utcnow

from ..models import LIVE, LOCKED, ON_HAND, STATES, Stock, StockLedger, StockLock

LEDGER, NEGATIVE, OVER_COMMITTED, LOCKS = "ledger", "negative", "over_committed", "locks"
EXPIRED_LOCK, ORPHAN_LOCK, UNLOCKED_LINE = "expired_lock", "orphan_lock", "unlocked_line"
KINDS = (LEDGER, NEGATIVE, OVER_COMMITTED, LOCKS, EXPIRED_LOCK, ORPHAN_LOCK, UNLOCKED_LINE)
# what the inventory can do about an anomaly ("" : a person must act)
RECONCILE, RECOMPUTE, EXPIRE, RELEASE = "reconcile", "recompute", "expire", "release"
LIVE_ORDERS_HOOK, LINES_HOOK = "inventory_live_orders", "inventory_lines_to_lock"
# the expiry job runs every minute: a reservation expired moments ago is its
# work, not an anomaly
EXPIRY_GRACE = timedelta(minutes=5)
BATCH = 500


@dataclass(frozen=True)
class Anomaly:
    """One thing that does not add up, with the figures that show it.

    ``quantity`` is what the stock row (or the reservation, or the order line's
    reservations) says, ``expected`` what it should be; ``repair`` the repair
    the inventory offers and ``repair_value`` its figure (the ledger row to
    write, or the locked quantity to set)."""

    kind: str
    sku_id: int
    warehouse_id: int  # None for an order line
    state: str
    quantity: int
    expected: int
    merchant_id: int = None
    repair: str = ""
    repair_value: int = None
    lock_id: int = None
    order_ref: str = ""
    line_ref: str = ""
    expires_at: datetime = None

    @property
    def key(self):
        """A name for the anomaly, unique on a page and safe in an HTML id."""
        parts = (self.kind, self.sku_id, self.warehouse_id, self.state, self.lock_id, self.order_ref, self.line_ref)
        return re.sub(r"[^A-Za-z0-9_-]", "_", "-".join(str(p) for p in parts if p not in ("", None)))

    def __str__(self):
        if self.lock_id is not None:
            return (f"Reservation {self.lock_id} (order {self.order_ref}) of SKU {self.sku_id} in warehouse "
                    f"{self.warehouse_id}: {self.kind}, {self.quantity} units")
        if self.kind == UNLOCKED_LINE:
            return (f"Order {self.order_ref} line {self.line_ref} (SKU {self.sku_id}): {self.quantity} units "
                    f"reserved, {self.expected} needed")
        return (f"SKU {self.sku_id} in warehouse {self.warehouse_id}: {self.state} is {self.quantity}, "
                f"{self.kind} says {self.expected}")


def order_checks_available():
    """Does an enabled plugin answer the extension points the order checks need?"""
    return bool(plugins.implementers(LIVE_ORDERS_HOOK) or plugins.implementers(LINES_HOOK))


def check_stock(sku_ids=None, merchant_ids=None, now=None):
    """Every ``Anomaly`` found (an empty list when the stock adds up);
    ``sku_ids`` and ``merchant_ids`` (None: all) limit the check."""
    merchant_ids = None if merchant_ids is None else [int(m) for m in merchant_ids]
    found = _stock_anomalies(sku_ids, merchant_ids)
    found += _lock_anomalies(sku_ids, merchant_ids, now or utcnow())
    if plugins.implementers(LINES_HOOK):
        found += _line_anomalies(sku_ids, merchant_ids)
    return found


def _limit(query, model, sku_ids, merchant_ids):
    if sku_ids is not None:
        query = query.where(model.sku_id.in_(sku_ids))
    if merchant_ids is not None:
        query = query.where(model.merchant_id.in_(merchant_ids))
    return query


def live_locked(sku_id, warehouse_id):
    """The units held by the live reservations of one stock row."""
    return int(db.session.execute(select(func.coalesce(func.sum(StockLock.qty), 0)).where(
        StockLock.sku_id == sku_id, StockLock.warehouse_id == warehouse_id, StockLock.status == LIVE)).scalar())


def recompute_fixes(on_hand, damaged, quality_hold, live):
    """Would setting locked to the live reservations leave the row sound?"""
    return min(on_hand, damaged, quality_hold, live) >= 0 and live + damaged + quality_hold <= on_hand


def _stock_anomalies(sku_ids, merchant_ids):
    ledger_q = _limit(select(StockLedger.sku_id, StockLedger.warehouse_id, StockLedger.state,
                             func.sum(StockLedger.delta), func.max(StockLedger.merchant_id))
                      .group_by(StockLedger.sku_id, StockLedger.warehouse_id, StockLedger.state),
                      StockLedger, sku_ids, merchant_ids)
    locks_q = _limit(select(StockLock.sku_id, StockLock.warehouse_id, func.sum(StockLock.qty))
                     .where(StockLock.status == LIVE).group_by(StockLock.sku_id, StockLock.warehouse_id),
                     StockLock, sku_ids, merchant_ids)
    stock_q = _limit(select(Stock), Stock, sku_ids, merchant_ids).order_by(Stock.sku_id, Stock.warehouse_id)
    sums, owners = {}, {}
    for s, w, state, total, merchant_id in db.session.execute(ledger_q):
        sums[(s, w, state)] = int(total)
        owners[(s, w)] = merchant_id
    live = {(s, w): int(total) for s, w, total in db.session.execute(locks_q)}
    found, seen = [], set()
    for stock in db.session.execute(stock_q.execution_options(populate_existing=True)).scalars():
        key = (stock.sku_id, stock.warehouse_id)
        seen.add(key)
        held = live.get(key, 0)
        fixable = stock.locked != held and recompute_fixes(stock.on_hand, stock.damaged, stock.quality_hold, held)
        common = {"merchant_id": stock.merchant_id}
        for state in STATES:
            value, total = getattr(stock, state), sums.get(key + (state,), 0)
            if value != total:
                found.append(Anomaly(LEDGER, *key, state, value, total, repair=RECONCILE,
                                     repair_value=value - total, **common))
            if value < 0:
                found.append(Anomaly(NEGATIVE, *key, state, value, 0, repair=RECOMPUTE if fixable else "",
                                     repair_value=held, **common))
        committed = stock.locked + stock.damaged + stock.quality_hold
        if committed > stock.on_hand:
            found.append(Anomaly(OVER_COMMITTED, *key, ON_HAND, stock.on_hand, committed,
                                 repair=RECOMPUTE if fixable else "", repair_value=held, **common))
        if stock.locked != held:
            found.append(Anomaly(LOCKS, *key, LOCKED, stock.locked, held, repair=RECOMPUTE if fixable else "",
                                 repair_value=held, **common))
    for (s, w, state), total in sorted(sums.items()):
        if (s, w) not in seen and total:
            found.append(Anomaly(LEDGER, s, w, state, 0, total, merchant_id=owners[(s, w)], repair=RECONCILE,
                                 repair_value=-total))
    return found


def _lock_anomalies(sku_ids, merchant_ids, now):
    """Live reservations past their expiry; and, when the orders plugin
    answers, live reservations whose order is no longer live."""
    query = _limit(select(StockLock.id, StockLock.sku_id, StockLock.warehouse_id, StockLock.merchant_id,
                          StockLock.qty, StockLock.order_ref, StockLock.line_ref, StockLock.expires_at)
                   .where(StockLock.status == LIVE), StockLock, sku_ids, merchant_ids).order_by(StockLock.id)
    locks = db.session.execute(query).all()
    found, others = [], []
    for held in locks:
        if held.expires_at is not None and held.expires_at < now - EXPIRY_GRACE:
            found.append(_lock_anomaly(EXPIRED_LOCK, held, EXPIRE))
        else:
            others.append(held)
    if others and plugins.implementers(LIVE_ORDERS_HOOK):
        live = live_orders({held.order_ref for held in others})
        found += [_lock_anomaly(ORPHAN_LOCK, held, RELEASE) for held in others if held.order_ref not in live]
    return found


def _lock_anomaly(kind, held, repair):
    return Anomaly(kind, held.sku_id, held.warehouse_id, LOCKED, held.qty, 0, merchant_id=held.merchant_id,
                   repair=repair, lock_id=held.id, order_ref=held.order_ref, line_ref=held.line_ref,
                   expires_at=held.expires_at)


def _batches(values):
    values = sorted(values)
    for start in range(0, len(values), BATCH):
        yield values[start:start + BATCH]


def live_orders(order_refs):
    """The references among ``order_refs`` that some enabled plugin says are
    still live (``inventory_live_orders``)."""
    live = set()
    for batch in _batches({str(ref) for ref in order_refs}):
        for answer in plugins.call(LIVE_ORDERS_HOOK, order_refs=batch):
            live.update(str(ref) for ref in answer or ())
    return live


def lines_to_lock(merchant_ids=None):
    """``[(order_ref, line_ref, sku_id, qty)]`` from every enabled plugin
    answering ``inventory_lines_to_lock``."""
    lines = []
    for answer in plugins.call(LINES_HOOK, merchant_ids=None if merchant_ids is None else set(merchant_ids)):
        lines += [(str(order_ref), str(line_ref), int(sku_id), int(qty))
                  for order_ref, line_ref, sku_id, qty in answer or ()]
    return lines


def _line_anomalies(sku_ids, merchant_ids):
    """Order lines that must hold stock and whose live reservations hold less."""
    wanted = None if sku_ids is None else set(sku_ids)
    lines = [line for line in lines_to_lock(merchant_ids) if wanted is None or line[2] in wanted]
    owners = {}
    for batch in _batches({line[2] for line in lines}):
        owners.update(db.session.execute(select(Sku.id, Sku.merchant_id).where(Sku.id.in_(batch))).all())
    if merchant_ids is not None:
        lines = [line for line in lines if owners.get(line[2]) in merchant_ids]
    held = defaultdict(int)
    for batch in _batches({line[0] for line in lines}):
        for order_ref, line_ref, sku_id, qty in db.session.execute(
                select(StockLock.order_ref, StockLock.line_ref, StockLock.sku_id, func.sum(StockLock.qty))
                .where(StockLock.status == LIVE, StockLock.order_ref.in_(batch))
                .group_by(StockLock.order_ref, StockLock.line_ref, StockLock.sku_id)):
            held[(order_ref, line_ref, sku_id)] = int(qty)
    return [Anomaly(UNLOCKED_LINE, sku_id, None, LOCKED, held[(order_ref, line_ref, sku_id)], qty,
                    merchant_id=owners.get(sku_id), order_ref=order_ref, line_ref=line_ref)
            for order_ref, line_ref, sku_id, qty in lines if held[(order_ref, line_ref, sku_id)] < qty]

