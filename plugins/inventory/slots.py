"""What the inventory adds to other plugins' pages through template slots
(``portal_template_slot``): the catalog never imports the inventory."""
from flask import render_template
from sqlalchemy import func, select

from portal import access
from portal.extensions import db

from .models import Stock
from .services.sales import sellable_many

PRODUCT_SKUS = "catalog_product_skus"


def template_slot(slot, context):
    """The markup for ``slot``, or None when the inventory has nothing there."""
    if slot == PRODUCT_SKUS:
        return product_stock(context.get("product"))
    return None


def product_stock(product):
    """Per SKU of a catalog product: sellable (the sales layer), on hand and
    locked over the stock rows the user may read; nothing for users who may
    not read stock."""
    if product is None or not access.has_level("inventory.stock", "read"):
        return None
    skus = list(product.skus)
    if not skus:
        return None
    ids = [sku.id for sku in skus]
    totals = {sku_id: (on_hand, locked) for sku_id, on_hand, locked in db.session.execute(
        access.scoped(select(Stock.sku_id, func.sum(Stock.on_hand), func.sum(Stock.locked)), Stock, "read")
        .where(Stock.sku_id.in_(ids)).group_by(Stock.sku_id))}
    sellable = sellable_many(ids)
    rows = [(sku, sellable[sku.id], *(int(n or 0) for n in totals.get(sku.id, (0, 0)))) for sku in skus]
    return render_template("inventory/_product_stock.html", rows=rows)
