"""Low stock for the product analysis, from the inventory's own rule (sellable
at or below the SKU's threshold), within the user's merchants."""
from sqlalchemy import select

from plugins.catalog.models import Product, Sku
from plugins.inventory.services.sales import low_stock
from portal import access
from portal.extensions import db

SHOWN = 50


def low_stock_rows(user, merchant_id=None):
    """``[(sku_code, product title, sellable, threshold)]`` of the user's merchants."""
    merchants = access.access(user).values_at("merchant", access.READ)
    if user.merchant_id is not None:
        merchants = {str(user.merchant_id)} if merchants is None or str(user.merchant_id) in merchants else set()
    if merchant_id is not None:
        merchants = {str(merchant_id)} if merchants is None or str(merchant_id) in merchants else set()
    if merchants == set():
        return []
    found = low_stock(merchants, limit=SHOWN)
    names = {sku_id: (code, title) for sku_id, code, title in db.session.execute(
        select(Sku.id, Sku.code, Product.title_en).join(Product, Product.id == Sku.product_id)
        .where(Sku.id.in_([r[0] for r in found]))).all()}
    return [(*names.get(sku_id, (sku_id, "")), sellable, threshold) for sku_id, sellable, threshold in found]
