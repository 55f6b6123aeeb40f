"""Orders fixtures: a store of two merchants with SKUs on the shelf, stock in
their warehouses, and an application with fake plugins beside the real
orders plugin (a pricing plugin, an event listener).

``store``: merchant ``m`` with SKUs ``a`` and ``b`` (10.00 CNY), merchant
``other`` with SKU ``x`` (25.50 CNY); warehouses ``sh`` (m's, CN, priority
10), ``gz`` (m's, CN-GD, priority 20), ``hub`` (platform-run, CN and HK,
priority 50), ``far`` (other's, CN). Stock: ``a`` 10 in sh, ``b`` 5 in sh and
5 in hub, ``x`` 10 in far.
"""
from types import SimpleNamespace

import pytest

from plugins.inventory.services import create_warehouse, increase
from tests.conftest import create_merchant
from tests.core.plugin_fakes import make_app_with
from tests.plugins.orders.fakes import Fakes, fake_plugins
from tests.plugins.orders.helpers import make_sku


def make_warehouse(merchant_id, code, regions, priority):
    return create_warehouse(None, merchant_id, {"code": code, "name": f"Warehouse {code}", "regions": regions,
                                                "priority": priority, "address": "1 Dock Road"})


@pytest.fixture()
def store(db):
    m, other = create_merchant(), create_merchant()
    s = SimpleNamespace(
        m=m, other=other, a=make_sku(db, m), b=make_sku(db, m), x=make_sku(db, other, price="25.50"),
        sh=make_warehouse(m.id, f"OSH{m.id}", ("CN",), 10), gz=make_warehouse(m.id, f"OGZ{m.id}", ("CN-GD",), 20),
        hub=make_warehouse(None, f"OHUB{m.id}", ("CN", "HK"), 50),
        far=make_warehouse(other.id, f"OFAR{m.id}", ("CN",), 1))
    increase(None, s.a.id, s.sh.id, 10, "GRN")
    increase(None, s.b.id, s.sh.id, 5, "GRN")
    increase(None, s.b.id, s.hub.id, 5, "GRN")
    increase(None, s.x.id, s.far.id, 10, "GRN")
    return s


# the orders and what they need, without the plugins built on them: switching the
# orders off is refused while a plugin requiring them (finance) is on
ALONE = ("permissions", "catalog", "inventory", "orders")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The portal with the orders and what they need."""
    return make_app_with(tmp_path_factory, [], installed=ALONE, suffix="orders")


@pytest.fixture(scope="session")
def fakes_app(tmp_path_factory):
    """The installed catalog, inventory and orders with the fake pricing plugin
    and event listener (``tests/plugins/orders/fakes.py``)."""
    return make_app_with(tmp_path_factory, fake_plugins(), installed=("catalog", "inventory", "orders"),
                         suffix="orders_fakes")


@pytest.fixture()
def fakes(db):
    """The fakes' answers and what they saw, reset for the test."""
    Fakes.reset()
    yield Fakes
    Fakes.reset()
