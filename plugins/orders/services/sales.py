"""Sales figures other plugins read through extension points (the content
plugin's top-seller floors): units sold per product, paid orders only."""
from sqlalchemy import func, select

from plugins.catalog.models import Product, Sku
from portal.extensions import db

from ..models import CANCELLED, PENDING_PAYMENT, Order, OrderLine


def top_products(category_ids, merchant_id, since, limit):
    """``[(product_id, units sold)]``, best first, of orders placed since
    ``since`` that were paid and not cancelled, in the given categories."""
    units = func.sum(OrderLine.qty).label("units")
    query = (select(Sku.product_id, units)
             .join(Order, Order.id == OrderLine.order_id)
             .join(Sku, Sku.id == OrderLine.sku_id)
             .join(Product, Product.id == Sku.product_id)
             .where(Order.placed_at >= since, Order.state.not_in((PENDING_PAYMENT, CANCELLED)),
                    Product.category_id.in_(category_ids))
             .group_by(Sku.product_id).order_by(units.desc(), Sku.product_id).limit(limit))
    if merchant_id is not None:
        query = query.where(OrderLine.merchant_id == merchant_id)
    return [(product_id, int(n)) for product_id, n in db.session.execute(query).all()]
