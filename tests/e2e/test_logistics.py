"""Logistics in the browser: a freight template gains a zone row (HTMX) whose
city is picked from its province (the cities load when the province is
opened), the live calculator then shows that city's freight and why, and a
tracking event recorded on a shipment appears in its timeline (HTMX).

Only what the journey needs is set up, through the services: one merchant,
one SKU on the shelf with stock, a store template, and one shipped order."""
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# prints "<merchant id> <SKU code> <template id> <shipment id>"
SETUP = """
from decimal import Decimal
from wsgi import app
from portal.extensions import db
from portal.models import Merchant
from portal.money import ensure_currencies
from plugins.catalog.models import Category, Product, Sku
from plugins.inventory.services import create_warehouse, increase
from plugins.logistics.models import FreightTemplate, FreightZone
from plugins.logistics.services.carriers import create_carrier
from plugins.orders.services import paid_amount, place, record_payment, ship

with app.app_context():
    ensure_currencies()
    merchant = Merchant(code="E2ELOG", name="E2E Logistics", legal_name="E2E Logistics Ltd", status="active",
                        country="CN", default_currency="CNY")
    category = Category(name_en="E2E tea")
    db.session.add_all([merchant, category])
    db.session.flush()
    category.path = f"/{category.id}/"
    product = Product(merchant_id=merchant.id, category_id=category.id, title_en="E2E green tea", shelf_status="on")
    sku = Sku(product=product, merchant_id=merchant.id, code="E2ELOGTEA", price=Decimal("30.00"), currency="CNY",
              weight_g=500)
    db.session.add(sku)
    template = FreightTemplate(merchant_id=merchant.id, name="E2E store rates", basis="count", zones=[
        FreightZone(position=0, regions="CN", first_units=1, first_fee=10, additional_units=1, additional_fee=5)])
    db.session.add(template)
    db.session.flush()
    warehouse = create_warehouse(None, merchant.id, {"code": "E2ELOGWH", "name": "E2E", "regions": "CN",
                                                     "priority": 1})
    increase(None, sku.id, warehouse.id, 10, "E2E-GRN")
    # a carrier of its own: the demo's (SF, ZTO, JD) may be there already
    create_carrier(None, {"code": "E2EPOST", "name": "E2E Post", "tracking_pattern": "EP[0-9]{10}", "active": "1"})
    order = place(None, "portal", {"name": "E2E Buyer", "phone": "+86 138 0000 0002", "region": "CN-GD",
                                   "address": "9 Test Road"}, [(sku.id, 1)], "E2E-LOG-1").orders[0]
    record_payment(None, order, "alipay", order.total - paid_amount(order), order.currency, "E2E-PAY-LOG")
    ship(None, order, "E2EPOST", "EP0000000001")
    db.session.commit()
    print(merchant.id, sku.code, template.id, order.shipments[0].id)
"""


def test_edit_a_template_price_to_a_city_and_track_a_shipment(signed_in, server, server_env, screenshot):
    result = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    merchant_id, code, template_id, shipment_id = result.stdout.strip().splitlines()[-1].split()
    page = signed_in

    # the template editor: a new zone row, its city picked under its province
    page.goto(f"{server}/logistics/templates/{template_id}")
    rows = page.locator('[data-testid="zone-row"]')
    expect(rows).to_have_count(1)
    page.locator('[data-testid="add-zone"]').click()
    expect(rows).to_have_count(2)
    new_row = rows.nth(1)
    new_row.locator('[data-testid="pick-regions"]').click()
    guangdong = new_row.locator('[data-testid="province-CN-GD"]')
    guangdong.locator("summary .text-muted").click()  # opening the province loads its cities
    new_row.get_by_label("Shenzhen (440300)").check()
    new_row.locator('[data-testid="apply-regions"]').click()
    expect(new_row.locator('[data-testid="zone-regions"]')).to_have_value("440300")
    new_row.get_by_label("First fee").fill("5")
    screenshot("logistics-template-city-zone")
    page.locator('[data-testid="save-template"]').click()
    page.wait_for_url(f"**/logistics/templates/{template_id}")
    expect(page.locator('[data-testid="zone-regions"]')).to_have_count(2)
    expect(page.locator('[data-testid="zone-regions"]').nth(1)).to_have_value("440300")

    # the live calculator: the province, then its city (listed once the province is chosen)
    page.goto(f"{server}/logistics/calculator/")
    page.select_option("#merchant_id", merchant_id)
    page.fill('[data-testid="calc-sku-1"]', code)
    page.fill('[data-testid="calc-qty-1"]', "1")
    page.select_option('[data-testid="calc-region"]', "CN-GD")
    expect(page.locator('[data-testid="calc-total"]')).to_have_text("Freight: 10.00 CNY")
    page.locator('[data-testid="calc-city"]').select_option("440300")
    expect(page.locator('[data-testid="calc-total"]')).to_have_text("Freight: 5.00 CNY")
    expect(page.locator('[data-testid="calc-destination"]')).to_have_text("To Shenzhen (440300)")
    breakdown = page.locator('[data-testid="calc-breakdown"]')
    expect(breakdown).to_contain_text(code)
    expect(breakdown).to_contain_text("E2E store rates")
    screenshot("logistics-calculator-city")

    # a tracking event recorded on the shipment joins its timeline
    page.goto(f"{server}/logistics/shipments/{shipment_id}")
    form = page.locator('[data-testid="tracking-form"]')
    form.locator('select[name="status"]').select_option("in_transit")
    form.locator('input[name="occurred_at"]').fill("2026-05-01T10:30")
    form.locator('input[name="location"]').fill("Shenzhen hub")
    form.locator('input[name="description"]').fill("Left the sorting centre")
    page.locator('[data-testid="add-event"]').click()
    expect(page.locator('[data-testid="timeline"]')).to_contain_text("Left the sorting centre")
    expect(page.locator('[data-testid="tracking-panel"]')).to_contain_text("Tracking event recorded.")
    screenshot("logistics-tracking-timeline")
