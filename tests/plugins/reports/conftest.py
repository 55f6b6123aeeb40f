"""Reports fixtures: two merchants with SKUs in stock (``shop``), and helpers
that read the rollups back as comparable rows."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from plugins.inventory.services import create_warehouse, increase
from plugins.reports.models import ProductDay, SalesDay, ShipmentDay
from tests.conftest import create_merchant
from tests.plugins.orders.helpers import make_sku


@pytest.fixture()
def shop(db):
    m, other = create_merchant(), create_merchant()
    s = SimpleNamespace(m=m, other=other, a=make_sku(db, m, title="Teapot"),
                        b=make_sku(db, m, price="4.50", title="Cup"), x=make_sku(db, other, price="25.50", title="Kettle"))
    for merchant, skus in ((m, (s.a, s.b)), (other, (s.x,))):
        house = create_warehouse(None, merchant.id, {"code": f"RW{merchant.id}", "name": "Main", "regions": ("CN",),
                                                     "priority": 10, "address": "1 Dock Road"})
        for sku in skus:
            increase(None, sku.id, house.id, 500, "GRN")
    return s


def rollup_rows(db):
    """Every rollup row as plain tuples (ids left out), sorted."""
    out = {}
    for model in (SalesDay, ProductDay, ShipmentDay):
        columns = [c for c in model.__table__.columns if c.name != "id"]
        rows = db.session.execute(select(*columns)).all()
        out[model.__tablename__] = sorted(tuple(str(v) for v in row) for row in rows)
    return out
