"""Logistics in the browser: the freight calculator answers as the form
changes (HTMX) with the demo merchant's templates, showing the freight, why,
and the refusal for a region the merchant does not deliver to."""
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# a demo SKU on the shelf of a merchant with a store template: "<merchant id> <SKU code>"
FIND = """
from sqlalchemy import select
from wsgi import app
from portal.extensions import db
from plugins.catalog.models import Product, Sku
from plugins.logistics.models import FreightTemplate

with app.app_context():
    merchant_id = db.session.execute(select(FreightTemplate.merchant_id).where(
        FreightTemplate.category_id.is_(None)).order_by(FreightTemplate.merchant_id).limit(1)).scalar_one()
    code = db.session.execute(select(Sku.code).join(Sku.product).where(Sku.merchant_id == merchant_id)
                              .order_by(Sku.id).limit(1)).scalar_one()
    print(merchant_id, code)
"""


def test_the_calculator_shows_freight_as_the_form_changes(signed_in, server, server_env, demo_data, screenshot):
    result = subprocess.run([sys.executable, "-c", FIND], cwd=ROOT, env=server_env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    merchant_id, code = result.stdout.strip().splitlines()[-1].split()
    page = signed_in
    page.goto(server + "/logistics/calculator/")
    page.select_option("#merchant_id", merchant_id)
    page.fill('[data-testid="calc-sku-1"]', code)
    page.fill('[data-testid="calc-qty-1"]', "1")
    page.select_option('[data-testid="calc-region"]', "CN-GD")
    total = page.locator('[data-testid="calc-total"]')
    total.wait_for()
    assert total.inner_text().startswith("Freight: ")
    assert code in page.locator('[data-testid="calc-breakdown"]').inner_text()
    screenshot("logistics-calculator")
    page.select_option('[data-testid="calc-region"]', "CN-XZ")
    refused = page.locator('[data-testid="calc-refused"]')
    refused.wait_for()
    assert "does not deliver to CN-XZ" in refused.inner_text() and code in refused.inner_text()
