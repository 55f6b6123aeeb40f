"""Names for the keys of a dimension (merchant names, category names in the
user's language, product titles...), looked up for the rows shown only."""
from flask_babel import get_locale
from sqlalchemy import select

from plugins.catalog.models import Brand, Category, Product
from portal.extensions import db
from portal.models import Merchant


def _chinese():
    locale = get_locale()
    return locale is not None and locale.language == "zh"


def _named(model, english, chinese, keys):
    ids = [k for k in keys if k is not None]
    if not ids:
        return {}
    rows = db.session.execute(select(model.id, english, chinese).where(model.id.in_(ids))).all()
    return {i: (zh if _chinese() and zh else en) for i, en, zh in rows}


def labels(dimension, keys):
    """``{key: label}`` for ``keys`` of ``dimension``."""
    keys = list(keys)
    if dimension == "merchant":
        ids = [k for k in keys if k is not None]
        if not ids:
            return {}
        return dict(db.session.execute(select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids))).all())
    if dimension == "category":
        return _named(Category, Category.name_en, Category.name_zh, keys)
    if dimension == "brand":
        return _named(Brand, Brand.name_en, Brand.name_zh, keys)
    if dimension == "product":
        return _named(Product, Product.title_en, Product.title_zh, keys)
    return {k: k for k in keys}
