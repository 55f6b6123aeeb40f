"""Logistics fixtures: a merchant with SKUs in two categories (a child
category under ``parent``), measures set, stock in a warehouse serving China,
and helpers to make templates and ship orders through the real services.

``shop``: merchant ``m`` with SKUs ``tea`` (category ``leaf``, a child of
``parent``; 500 g, 10x10x20 cm, 30.00) and ``pot`` (category ``ware``; 1,200
g, 20x20x15 cm, 80.00); merchant ``other`` with SKU ``x``.
"""
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest

from plugins.catalog.models import Category, Product, Sku
from plugins.inventory.services import create_warehouse, increase
from plugins.logistics.models import FreightTemplate, FreightZone
from tests.conftest import create_merchant

_codes = itertools.count(1)
NUMBERS = {"first_units", "first_fee", "additional_units", "additional_fee", "free_over_amount"}


def category(db, name, parent=None):
    node = Category(name_en=name, parent_id=parent.id if parent else None, depth=(parent.depth + 1) if parent else 0)
    db.session.add(node)
    db.session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    db.session.flush()
    return node


def sku(db, merchant, category_, price, weight_g=None, dims=(None, None, None), title="Teapot"):
    product = Product(merchant_id=merchant.id, category_id=category_.id, title_en=title, shelf_status="on")
    row = Sku(product=product, merchant_id=merchant.id, code=f"LSKU{next(_codes)}", price=Decimal(price),
              currency="CNY", weight_g=weight_g, length_mm=dims[0], width_mm=dims[1], height_mm=dims[2])
    db.session.add(row)
    db.session.flush()
    return row


def template(db, merchant, basis="count", category_=None, zones=None, name=None, divisor=6000):
    """A template with zones given as dicts of ``FreightZone`` columns."""
    zones = zones or [{"regions": "CN", "first_units": 1, "first_fee": 10, "additional_units": 1,
                       "additional_fee": 5}]
    row = FreightTemplate(merchant_id=merchant.id, category_id=category_.id if category_ else None,
                          name=name or f"T{next(_codes)}", basis=basis, volume_divisor=divisor,
                          zones=[FreightZone(position=n, **{k: Decimal(str(v)) if k in NUMBERS else v
                                                            for k, v in z.items()})
                                 for n, z in enumerate(zones)])
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture()
def shop(db):
    m, other = create_merchant(), create_merchant()
    parent = category(db, "Tea things")
    leaf, ware = category(db, "Leaf tea", parent), category(db, "Teaware")
    s = SimpleNamespace(m=m, other=other, parent=parent, leaf=leaf, ware=ware,
                        tea=sku(db, m, leaf, "30.00", 500, (100, 100, 200), "Green tea"),
                        pot=sku(db, m, ware, "80.00", 1200, (200, 200, 150), "Clay pot"),
                        x=sku(db, other, ware, "25.00", 100, (10, 10, 10), "Cup"))
    s.wh = create_warehouse(None, m.id, {"code": f"LWH{m.id}", "name": "Main", "regions": ("CN",), "priority": 1,
                                          "address": "1 Dock Road"})
    s.wh_other = create_warehouse(None, other.id, {"code": f"LWO{other.id}", "name": "Other", "regions": ("CN",),
                                                   "priority": 1, "address": "2 Dock Road"})
    for row in (s.tea, s.pot):
        increase(None, row.id, s.wh.id, 100, "GRN")
    increase(None, s.x.id, s.wh_other.id, 100, "GRN")
    return s
