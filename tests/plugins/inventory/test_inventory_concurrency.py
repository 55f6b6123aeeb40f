"""Several processes (each its own app and connection, as several gunicorn
workers or hosts) take the last units of one SKU at once, by ``lock`` and by
``allocate``: exactly the stock there is gets locked, never more, nothing goes
negative, and the ledger still adds up. On SQLite (one file) always; on
PostgreSQL too when PORTAL_TEST_DATABASE_URL is set."""
import multiprocessing
import os

import pytest
from sqlalchemy import select

from tests.conftest import create_merchant, make_app, worker_database

pytestmark = pytest.mark.slow

PROCESSES, UNITS = 6, 20


def _take_until_refused(url, sku_id, warehouse_id, number, barrier, results):
    from plugins.inventory import services as inv
    from portal import config, create_app
    from portal.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(url),
                      "SECRET_KEY": "race", "TESTING": True}, plugins=["catalog", "inventory"])
    taken, problem = 0, None
    with app.app_context():
        db.session.execute(select(1)).all()  # connect before the start line
        db.session.commit()
        barrier.wait(timeout=60)
        try:
            while True:
                try:
                    if number % 2:
                        inv.allocate(None, [("1", sku_id, 1)], "CN", f"P{number}-{taken}")
                    else:
                        inv.lock(None, sku_id, warehouse_id, 1, f"P{number}-{taken}")
                    db.session.commit()
                    taken += 1
                except inv.InsufficientStock:
                    db.session.rollback()
                    break
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            problem = f"{type(exc).__name__}: {exc}"
        db.session.remove()
        db.engine.dispose()
    results.put((taken, problem))


def _backends():
    backends = ["sqlite"]
    if os.environ.get("PORTAL_TEST_DATABASE_URL"):
        backends.append("postgresql")
    return backends


@pytest.fixture(params=_backends())
def race_app(request, tmp_path_factory, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = worker_database(os.environ["PORTAL_TEST_DATABASE_URL"], "inventory_race")
    return make_app(tmp_path_factory, plugins=["catalog", "inventory"], SQLALCHEMY_DATABASE_URI=url)


def test_processes_racing_for_the_last_units_never_oversell(race_app):
    from plugins.inventory import services as inv
    from plugins.inventory.models import Stock, StockLock
    from portal.extensions import db
    from tests.plugins.inventory.helpers import make_sku, make_warehouse

    url = race_app.config["SQLALCHEMY_DATABASE_URI"]
    with race_app.app_context():
        merchant = create_merchant()
        sku = make_sku(db, merchant)
        warehouse = make_warehouse(merchant.id, "RACE", ("CN",), 1)
        inv.increase(None, sku.id, warehouse.id, UNITS, "GRN-RACE")
        db.session.commit()
        sku_id, warehouse_id = sku.id, warehouse.id
        db.session.remove()
        db.engine.dispose()

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    processes = [ctx.Process(target=_take_until_refused, args=(url, sku_id, warehouse_id, n, barrier, results))
                 for n in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert [problem for _, problem in outcomes if problem] == []
    assert sum(taken for taken, _ in outcomes) == UNITS
    with race_app.app_context():
        stock = db.session.execute(select(Stock).where(Stock.sku_id == sku_id)).scalar_one()
        assert (stock.on_hand, stock.locked) == (UNITS, UNITS)
        assert db.session.execute(select(StockLock.qty).where(StockLock.sku_id == sku_id)).scalars().all() \
            == [1] * UNITS
        assert inv.check_stock([sku_id]) == []
        db.session.remove()
        db.engine.dispose()
