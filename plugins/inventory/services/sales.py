"""The sales layer: what a SKU can be sold for now."""
from sqlalchemy import case, func, select

from portal.extensions import db

from ..models import SkuPolicy, Stock, Warehouse


def _free():
    free = Stock.on_hand - Stock.locked - Stock.damaged - Stock.quality_hold
    return case((free > 0, free), else_=0)


def sellable_many(sku_ids):
    """``{sku_id: sellable}``: the sum over active warehouses of each one's free
    units (never below zero there), minus the SKU's safety stock, never below zero."""
    sku_ids = list(sku_ids)
    if not sku_ids:
        return {}
    totals = dict(db.session.execute(
        select(Stock.sku_id, func.sum(_free())).join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Stock.sku_id.in_(sku_ids), Warehouse.active.is_(True)).group_by(Stock.sku_id)).all())
    safety = dict(db.session.execute(select(SkuPolicy.sku_id, SkuPolicy.safety_stock)
                                     .where(SkuPolicy.sku_id.in_(sku_ids))).all())
    return {sku_id: max(0, int(totals.get(sku_id) or 0) - safety.get(sku_id, 0)) for sku_id in sku_ids}


def sellable(sku_id):
    """The sellable quantity of one SKU (see ``sellable_many``)."""
    return sellable_many([sku_id])[sku_id]


def low_stock(merchant_ids=None, limit=50):
    """SKUs of ``merchant_ids`` (None: every merchant) whose sellable quantity
    is at or below their low-stock threshold (only SKUs with a threshold above
    zero): ``[(sku_id, sellable, threshold)]``."""
    query = select(SkuPolicy.sku_id, SkuPolicy.low_stock_threshold).where(SkuPolicy.low_stock_threshold > 0)
    if merchant_ids is not None:
        query = query.where(SkuPolicy.merchant_id.in_([int(m) for m in merchant_ids]))
    policies = dict(db.session.execute(query.order_by(SkuPolicy.sku_id)).all())
    levels = sellable_many(policies)
    found = [(sku_id, levels[sku_id], threshold) for sku_id, threshold in policies.items()
             if levels[sku_id] <= threshold]
    return found[:limit]
