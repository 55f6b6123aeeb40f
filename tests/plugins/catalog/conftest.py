"""Catalog fixtures: a small shared library and a product factory.

The library (made by the system, ``actor=None``):

    Clothing            colour (spec: Red, Blue, Green), size (spec: S, M, L),
      Shirts              material (param: Cotton, Linen), origin (param: free text)
      Trousers
    Electronics
"""
from types import SimpleNamespace

import pytest

from plugins.catalog.services import library, products
from portal import settings


@pytest.fixture()
def lib(db):
    clothing = library.create_category(None, "Clothing", "服装")
    shirts = library.create_category(None, "Shirts", "衬衫", parent_id=clothing.id)
    trousers = library.create_category(None, "Trousers", "裤子", parent_id=clothing.id)
    electronics = library.create_category(None, "Electronics", "电子产品")
    colour = library.create_attribute(None, clothing, "colour", "Colour", "颜色", "spec",
                                      [("Red", "红色"), ("Blue", "蓝色"), ("Green", "绿色")])
    size = library.create_attribute(None, clothing, "size", "Size", "尺码", "spec", [("S", ""), ("M", ""), ("L", "")])
    material = library.create_attribute(None, clothing, "material", "Material", "材质", "param",
                                        [("Cotton", "棉"), ("Linen", "麻")])
    origin = library.create_attribute(None, clothing, "origin", "Origin", "产地", "param")
    brand = library.create_brand(None, "Acme", "极品")
    db.session.flush()
    values = {v.value_en: v for a in (colour, size) for v in a.values}
    return SimpleNamespace(clothing=clothing, shirts=shirts, trousers=trousers, electronics=electronics,
                           colour=colour, size=size, material=material, origin=origin, brand=brand, v=values)


@pytest.fixture()
def make_product(lib):
    """``make_product(merchant, colours=("Red",), sizes=("S",), actor=None, **fields)``."""
    def make(merchant, colours=(), sizes=(), actor=None, prefix=None, price="99.00", currency="CNY", **fields):
        data = {"title_en": "Linen shirt", "title_zh": "亚麻衬衫", "category_id": lib.shirts.id,
                "brand_id": lib.brand.id, **fields}
        value_ids = [lib.v[c].id for c in colours] + [lib.v[s].id for s in sizes]
        return products.create_product(actor, merchant.id, data, value_ids, {},
                                       {"code_prefix": prefix or f"P{merchant.id}", "price": price,
                                        "currency": currency})
    return make


@pytest.fixture()
def review_on(db):
    settings.set_value("catalog.review_required", "1")
    db.session.flush()
    return True
