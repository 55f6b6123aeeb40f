"""The allocation layer: choose the warehouse(s) for each order line and lock
the stock there, all or nothing.

Rule, per line: only active warehouses that ship to the destination region
(and are platform-run or the SKU's merchant's) with free units; the fewest
warehouses that can cover the line (a line is split only when no single one
can); among those, the best priorities (smaller first), then the lower id.
The stock rows of every SKU in the order are locked first, in (sku_id,
warehouse_id) order, so concurrent allocations neither deadlock nor plan on
figures that change under them.
"""
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from flask_babel import gettext as _
from sqlalchemy import select, update

from portal.extensions import db

from ..models import LOCKED, Stock, Warehouse
from .core import change, guard, positive
from .errors import InsufficientStock, UnknownSku
from .locks import _record_lock
from .lowstock import operation
from .sales import sellable_many

# beyond this many candidate warehouses for one line, the search is greedy
EXHAUSTIVE_LIMIT = 12


@dataclass(frozen=True)
class Line:
    """One order line to allocate."""

    line_ref: str
    sku_id: int
    qty: int


def _lock_rows(sku_ids):
    """Hold the stock rows of these SKUs until the transaction ends: on SQLite
    a (no-op) write takes the database's write lock before anything is read;
    on PostgreSQL ``FOR UPDATE`` in a fixed order."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Stock).where(Stock.sku_id.in_(sku_ids)).values(on_hand=Stock.on_hand)
                           .execution_options(synchronize_session=False))
    return db.session.execute(
        select(Stock.sku_id, Stock.warehouse_id, Stock.merchant_id,
               Stock.on_hand - Stock.locked - Stock.damaged - Stock.quality_hold)
        .where(Stock.sku_id.in_(sku_ids)).order_by(Stock.sku_id, Stock.warehouse_id).with_for_update()).all()


def _choose(candidates, qty):
    """``candidates`` [(warehouse, free)] -> [(warehouse, qty)] covering ``qty``
    with the fewest warehouses, then the best priorities; None when impossible."""
    if sum(free for _, free in candidates) < qty:
        return None
    by_free = sorted(candidates, key=lambda c: (-c[1], c[0].priority, c[0].id))
    needed, covered = 0, 0
    while covered < qty:
        covered += by_free[needed][1]
        needed += 1
    if len(candidates) <= EXHAUSTIVE_LIMIT:
        sets = [s for s in combinations(candidates, needed) if sum(f for _, f in s) >= qty]
        chosen = min(sets, key=lambda s: sorted((w.priority, w.id) for w, _ in s))
    else:
        chosen = by_free[:needed]
    plan, remaining = [], qty
    for warehouse, free in sorted(chosen, key=lambda c: (c[0].priority, c[0].id)):
        take = min(free, remaining)
        if take:
            plan.append((warehouse, take))
            remaining -= take
    return plan


def plan_allocation(lines, destination, rows):
    """The plan ``[(line, warehouse, qty)]`` for ``lines`` given the locked
    stock ``rows``; ``InsufficientStock`` naming the first line that cannot be served."""
    warehouses = {w.id: w for w in db.session.execute(
        select(Warehouse).where(Warehouse.id.in_({r[1] for r in rows}), Warehouse.active.is_(True))).scalars()}
    free = {(r[0], r[1]): r[3] for r in rows}
    merchant = {r[0]: r[2] for r in rows}
    plan = []
    for line in lines:
        candidates = [(w, free[(line.sku_id, w.id)]) for w in warehouses.values()
                      if (line.sku_id, w.id) in free and free[(line.sku_id, w.id)] > 0
                      and w.ships_to(destination) and w.merchant_id in (None, merchant.get(line.sku_id))]
        chosen = _choose(candidates, line.qty)
        if chosen is None:
            raise InsufficientStock(line.sku_id, line.qty, sum(f for _, f in candidates),
                                    state=_("available for %(region)s", region=destination))
        for warehouse, qty in chosen:
            free[(line.sku_id, warehouse.id)] -= qty
            plan.append((line, warehouse, qty))
    return plan


def _check_sellable(lines):
    wanted = defaultdict(int)
    for line in lines:
        wanted[line.sku_id] += line.qty
    levels = sellable_many(wanted)
    for sku_id, qty in wanted.items():
        if qty > levels[sku_id]:
            raise InsufficientStock(sku_id, qty, levels[sku_id], state=_("sellable"))


def allocate(actor, lines, destination, order_ref, expires_at=None):
    """Lock stock for every order line (``Line`` or ``(line_ref, sku_id, qty)``)
    shipped to ``destination`` (``CN`` or ``CN-GD``), splitting a line across
    warehouses only when needed; returns the ``StockLock``s. All or nothing:
    ``InsufficientStock`` (or ``UnknownSku``) and nothing is locked."""
    guard(actor, "inventory.adjust", "write")
    lines = [line if isinstance(line, Line) else Line(str(line[0]), int(line[1]), line[2]) for line in lines]
    lines = [Line(line.line_ref, line.sku_id, positive(line.qty, f"line {line.line_ref}")) for line in lines]
    destination = (destination or "").strip().upper()
    with operation():
        rows = _lock_rows(sorted({line.sku_id for line in lines}))
        known = {r[0] for r in rows}
        for line in lines:
            if line.sku_id not in known:
                _unknown_or_empty(actor, line)
            if actor is not None and actor.merchant_id not in (None, next(r[2] for r in rows if r[0] == line.sku_id)):
                raise UnknownSku(line.sku_id)
        _check_sellable(lines)
        plan = plan_allocation(lines, destination, rows)
        locks = []
        for line, warehouse, qty in sorted(plan, key=lambda p: (p[0].sku_id, p[1].id)):
            if not change(line.sku_id, warehouse.id, {LOCKED: qty}):  # cannot happen while rows are held
                raise InsufficientStock(line.sku_id, qty, 0, warehouse.id)
            locks.append(_record_lock(actor, line.sku_id, warehouse.id, warehouse_merchant(rows, line.sku_id),
                                      qty, order_ref, line.line_ref, expires_at))
    return locks


def warehouse_merchant(rows, sku_id):
    """The merchant of a SKU, from its locked stock rows."""
    return next(r[2] for r in rows if r[0] == sku_id)


def _unknown_or_empty(actor, line):
    from plugins.catalog.models import Sku
    sku = db.session.get(Sku, line.sku_id)
    if sku is None or (actor is not None and actor.merchant_id not in (None, sku.merchant_id)):
        raise UnknownSku(line.sku_id)
    raise InsufficientStock(line.sku_id, line.qty, 0)
