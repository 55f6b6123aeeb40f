"""Inventory in the browser: goods received and a refused write-off in a stock
row (its forms load when "Change stock" opens, and the row is swapped in place
by HTMX); and the exceptions page, where a stock figure changed behind the
services' back is listed with its explanation and repaired in place."""
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# run against the server's database: ten units received, then on-hand changed
# with plain SQL, as a faulty script would
SETUP = """
from sqlalchemy import select, text
from wsgi import app
from portal.extensions import db
from plugins.catalog.models import Sku
from plugins.inventory.services import create_warehouse, increase

with app.app_context():
    sku = db.session.execute(select(Sku).order_by(Sku.id).limit(1)).scalar_one()
    warehouse = create_warehouse(None, sku.merchant_id, {"code": "E2EANOM", "name": "E2E", "regions": "CN"})
    increase(None, sku.id, warehouse.id, 10, "E2E-GRN")
    db.session.execute(text("UPDATE inventory_stock SET on_hand = 7 WHERE warehouse_id = :w"), {"w": warehouse.id})
    db.session.commit()
    print(sku.code)
"""


def test_a_ledger_mismatch_is_repaired_in_place(signed_in, server, server_env, demo_data, screenshot):
    result = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    page = signed_in
    page.goto(server + "/inventory/anomalies/")
    row = page.locator("tr", has_text="E2EANOM").filter(has_text="Quantity differs from its ledger")
    assert "The on-hand quantity is 7 but its ledger adds up to 10" in row.inner_text()
    screenshot("inventory-anomalies")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    row.get_by_role("button", name="Reconcile the ledger").click()
    page.locator('[data-testid="repaired"]').wait_for()
    assert "reconcile" in dialogs[0] and "-3" in dialogs[0]
    assert "Repaired" in page.locator('[data-testid="repaired"]').inner_text()
    screenshot("inventory-anomaly-repaired")
    page.reload()
    assert page.locator("tr", has_text="E2EANOM").count() == 0


STOCK_SETUP = """
from sqlalchemy import select
from wsgi import app
from portal.extensions import db
from plugins.catalog.models import Sku
from plugins.inventory.services import create_warehouse, increase

with app.app_context():
    sku = db.session.execute(select(Sku).order_by(Sku.id.desc()).limit(1)).scalar_one()
    warehouse = create_warehouse(None, sku.merchant_id, {"code": "E2ESTOCK", "name": "E2E", "regions": "CN"})
    increase(None, sku.id, warehouse.id, 10, "E2E-GRN")
    db.session.commit()
    print(sku.code)
"""


def test_goods_received_and_a_refused_write_off_in_the_stock_list(signed_in, server, server_env, demo_data,
                                                                  screenshot):
    result = subprocess.run([sys.executable, "-c", STOCK_SETUP], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip().splitlines()[-1]
    page = signed_in
    page.goto(server + "/inventory/stock/?q=" + code)
    row = page.locator("tbody[data-testid^='stock-row-']", has_text="E2ESTOCK")
    assert row.locator('[data-testid="on-hand"]').inner_text() == "10"
    row.locator("summary", has_text="Change stock").click()  # the forms load when it opens
    receive = row.locator('[data-testid="receive-form"]')
    receive.get_by_placeholder("Quantity").fill("5")
    receive.get_by_placeholder("Document number").fill("DN-E2E-1")
    receive.get_by_role("button", name="Receive").click()
    page.locator("tbody[data-testid^='stock-row-']", has_text="E2ESTOCK").locator(
        '[data-testid="row-saved"]').wait_for()
    row = page.locator("tbody[data-testid^='stock-row-']", has_text="E2ESTOCK")
    assert row.locator('[data-testid="on-hand"]').inner_text() == "15"
    assert row.locator('[data-testid="sellable"]').inner_text() == "15"
    # nothing is damaged: writing off damaged units is refused in the row, after the confirmation
    write_off = row.locator('[data-testid="write_off-form"]')
    write_off.get_by_placeholder("Quantity").fill("2")
    page.once("dialog", lambda dialog: dialog.accept())
    write_off.get_by_role("button", name="Write off").click()
    error = page.locator("tbody[data-testid^='stock-row-']", has_text="E2ESTOCK").locator('[data-testid="row-error"]')
    error.wait_for()
    assert "damaged" in error.inner_text().lower()
    assert page.locator("tbody[data-testid^='stock-row-']", has_text="E2ESTOCK").locator(
        '[data-testid="on-hand"]').inner_text() == "15"
    screenshot("inventory-stock-row")
    page.goto(server + f"/inventory/stock/?q={code}")
    ledger = page.locator("tbody[data-testid^='stock-row-']", has_text="E2ESTOCK").get_by_role("link", name="Ledger")
    ledger.click()
    assert "DN-E2E-1" in page.content()
