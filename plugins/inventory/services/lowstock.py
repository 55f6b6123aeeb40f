"""Stock operations as one unit, and the ``StockLow`` event they raise.

Every stock operation runs inside ``operation()``: a savepoint (all or
nothing) during which ``change()`` notes how much each (SKU, warehouse) gained
or lost in free units. At the end, for the SKUs that lost some and have a
low-stock threshold, the sellable quantity now is read and the one before is
worked out from the noted changes (no read before the first write, which
SQLite needs: see ``core``); a SKU that went from above its threshold to at or
below it raises ``StockLow``, once per operation. SKUs without a threshold
cost nothing more: ``change()`` learns the threshold from its own UPDATE.
"""
from collections import defaultdict
from contextlib import contextmanager

from sqlalchemy import select

from portal.events import publish
from portal.extensions import db

from ..events import StockLow
from ..models import SkuPolicy, Stock, Warehouse

_NOTED = "inventory_free_deltas"
_WATCHED = "inventory_watched_skus"


def note(sku_id, warehouse_id, free_delta, watched):
    """Record that a (SKU, warehouse) gained (or lost) ``free_delta`` free units
    in the operation under way, and whether the SKU has a low-stock threshold
    (``watched``); nothing outside an operation."""
    noted = db.session.info.get(_NOTED)
    if noted is not None and free_delta:
        noted[(sku_id, warehouse_id)] += free_delta
        if watched:
            db.session.info[_WATCHED].add(sku_id)


@contextmanager
def operation():
    """A stock operation: a savepoint, then ``StockLow`` for each SKU it took
    to its threshold. An operation inside another joins the outer one, which
    publishes (the caller must then let an inner failure end both)."""
    if _NOTED in db.session.info:
        with db.session.begin_nested():
            yield
        return
    noted = db.session.info[_NOTED] = defaultdict(int)
    db.session.info[_WATCHED] = set()
    try:
        with db.session.begin_nested():
            yield
            publish_low_stock(noted, db.session.info[_WATCHED])
    finally:
        db.session.info.pop(_NOTED, None)
        db.session.info.pop(_WATCHED, None)


def watch_lock(sku_id, warehouse_id, qty, threshold):
    """``StockLow`` for a reservation of ``qty`` units, which is not an
    ``operation`` (no savepoint: its only refusal comes before its first
    write): inside an operation it is noted for that one to publish; alone it
    publishes at once, and only when the SKU has a threshold."""
    if _NOTED in db.session.info:
        note(sku_id, warehouse_id, -qty, threshold > 0)
    elif threshold > 0:
        publish_low_stock({(sku_id, warehouse_id): -qty}, {sku_id})


def _free_by_warehouse(sku_ids):
    """``{sku_id: {warehouse_id: free}}`` over active warehouses, read now."""
    free = Stock.on_hand - Stock.locked - Stock.damaged - Stock.quality_hold
    rows = db.session.execute(select(Stock.sku_id, Stock.warehouse_id, free)
                              .join(Warehouse, Warehouse.id == Stock.warehouse_id)
                              .where(Stock.sku_id.in_(sku_ids), Warehouse.active.is_(True)))
    found = defaultdict(dict)
    for sku_id, warehouse_id, units in rows:
        found[sku_id][warehouse_id] = int(units)
    return found


def sellable_from(free, safety_stock):
    """The sellable quantity from each warehouse's free units (see ``sales``)."""
    return max(0, sum(max(units, 0) for units in free.values()) - safety_stock)


def publish_low_stock(noted, watched):
    """``StockLow`` for every SKU whose noted changes took its sellable quantity
    from above its threshold to at or below it (``watched``: the SKUs known to
    have a threshold)."""
    losing = {sku_id for (sku_id, _), delta in noted.items() if delta < 0 and sku_id in watched}
    if not losing:
        return
    policies = db.session.execute(
        select(SkuPolicy.sku_id, SkuPolicy.merchant_id, SkuPolicy.safety_stock, SkuPolicy.low_stock_threshold)
        .where(SkuPolicy.sku_id.in_(sorted(losing)), SkuPolicy.low_stock_threshold > 0)).all()
    if not policies:
        return
    now = _free_by_warehouse([p.sku_id for p in policies])
    for sku_id, merchant_id, safety_stock, threshold in policies:
        after = now.get(sku_id, {})
        before = {w: units - noted.get((sku_id, w), 0) for w, units in after.items()}
        was, is_now = sellable_from(before, safety_stock), sellable_from(after, safety_stock)
        if was > threshold >= is_now:
            publish(StockLow(merchant_id=merchant_id, sku_id=sku_id, sellable=is_now, threshold=threshold))


def is_low(sellable, threshold):
    """At or below a threshold; a threshold of zero watches nothing."""
    return threshold > 0 and sellable <= threshold


def publish_if_crossed(merchant_id, sku_id, before, after):
    """``StockLow`` when ``(sellable, threshold)`` was not low and now is (a
    policy change moves the threshold or the safety stock)."""
    if not is_low(*before) and is_low(*after):
        publish(StockLow(merchant_id=merchant_id, sku_id=sku_id, sellable=after[0], threshold=after[1]))
