"""The staff order form in the browser: typing a code prices the order live
(HTMX posts the form, the rows' notes swap in out of band), rows are added and
removed, and placing it opens the new order."""
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# a SKU on the shelf with ten units in a warehouse that ships to CN
SETUP = """
from sqlalchemy import select
from wsgi import app
from portal.extensions import db
from plugins.catalog.models import Product, Sku
from plugins.inventory.services import create_warehouse, increase

with app.app_context():
    sku = db.session.execute(select(Sku).join(Product).where(Sku.active.is_(True), Product.shelf_status == "on")
                             .order_by(Sku.id).limit(1)).scalar_one()
    warehouse = create_warehouse(None, sku.merchant_id, {"code": "E2ENEWORD", "name": "E2E", "regions": "CN",
                                                         "priority": 1})
    increase(None, sku.id, warehouse.id, 10, "E2E-GRN")
    db.session.commit()
    print(sku.code)
"""


def test_type_price_add_remove_and_place(signed_in, server, server_env, demo_data, screenshot):
    result = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    code = result.stdout.strip().splitlines()[-1]
    page = signed_in
    page.goto(server + "/orders/new/")
    for name, value in {"name": "Li Lei", "phone": "+86 138 0000 0000", "region": "CN-GD",
                        "address": "1 Keji Road"}.items():
        page.fill(f'[data-testid="buyer-{name}"]', value)
    page.fill('[data-testid="sku-code"]', code)
    page.fill('[data-testid="qty"]', "2")
    page.locator('[data-testid="qty"]').press("Tab")
    page.locator('[data-testid="quote-merchant"]').wait_for()
    assert "sellable" in page.locator('[data-testid="line-sellable"]').inner_text()
    page.get_by_role("button", name="Add a line").click()
    # a locator, not a JavaScript string: the page's Content Security Policy forbids eval
    expect(page.locator("tr.order-line")).to_have_count(2)
    page.locator('[data-testid="sku-code"]').nth(1).fill("NO-SUCH-CODE")
    page.locator('[data-testid="sku-code"]').nth(1).press("Tab")
    page.locator('[data-testid="line-error"]').wait_for()
    assert "NO-SUCH-CODE does not exist" in page.locator('[data-testid="line-error"]').inner_text()
    screenshot("orders-new-line-error")
    page.locator('[data-testid="remove-line"]').nth(1).click()
    expect(page.locator("tr.order-line")).to_have_count(1)
    page.locator('[data-testid="quote-merchant"]').wait_for()  # priced again without the removed row
    screenshot("orders-new-priced")
    page.get_by_role("button", name="Place the order").click()
    page.wait_for_url("**/orders/*")
    assert "/orders/new" not in page.url and "Placed order" in page.content()
