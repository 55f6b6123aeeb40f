"""Which cart lines a rule's scope covers."""
from ..models import BRAND, CATEGORY, MERCHANT, PRODUCT, SKU, STORE


def in_scope(scope, targets, line):
    """Does a scope (``store``, ``category`` with its children, ``brand``,
    ``product``, ``sku``, ``merchant``) with ``targets`` (ids) cover ``line``?"""
    if scope == STORE:
        return True
    if scope == CATEGORY:
        return not targets.isdisjoint(line.category_ids)
    if scope == BRAND:
        return line.brand_id in targets
    if scope == PRODUCT:
        return line.product_id in targets
    if scope == SKU:
        return line.sku_id in targets
    if scope == MERCHANT:
        return line.merchant_id in targets
    return False
