"""Inventory fixtures: SKUs of two merchants, and warehouses.

``shop`` holds merchant ``m`` with SKUs ``a`` and ``b``, another merchant
``other`` with SKU ``x``, and warehouses: ``sh`` (m's, ships to CN, priority
10), ``gz`` (m's, ships to CN-GD, priority 20), ``hub`` (platform-run, ships
to CN and HK, priority 50) and ``far`` (other's, ships to CN).
"""
from types import SimpleNamespace

import pytest

from tests.conftest import create_merchant
from tests.core.plugin_fakes import make_app_with
from tests.plugins.inventory.helpers import make_sku, make_warehouse


# the inventory on its own: reservations here name made-up orders ("O-1"), which
# the orders plugin, when installed, would rightly report as orphans
ALONE = ("permissions", "catalog", "inventory")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The portal with the inventory and what it needs, without the plugins built on it."""
    return make_app_with(tmp_path_factory, [], installed=ALONE, suffix="inventory")


@pytest.fixture()
def shop(db):
    m, other = create_merchant(), create_merchant()
    return SimpleNamespace(
        m=m, other=other, a=make_sku(db, m), b=make_sku(db, m), x=make_sku(db, other),
        sh=make_warehouse(m.id, f"SH{m.id}", ("CN",), 10),
        gz=make_warehouse(m.id, f"GZ{m.id}", ("CN-GD",), 20),
        hub=make_warehouse(None, f"HUB{m.id}", ("CN", "HK"), 50),
        far=make_warehouse(other.id, f"FAR{m.id}", ("CN",), 1),
    )
