"""Orders in the browser: an order placed through the service (a demo SKU
with stock received for it) is opened from the list, paid in full from the
payment form, then shipped with a carrier and tracking number, and its
invoice issued with the "Issue invoice" button and printed; each form's
answer is swapped in by HTMX, and the page shows "Pending receipt" with the
tracking number and the invoice's number."""
import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# run against the server's database: ten units of a demo SKU on the shelf
# received into a warehouse shipping to China, and an order of two placed
SETUP = """
from sqlalchemy import select
from wsgi import app
from portal.extensions import db
from plugins.catalog.models import Product, Sku
from plugins.inventory.services import create_warehouse, increase
from plugins.orders.services import place

with app.app_context():
    sku = db.session.execute(select(Sku).join(Sku.product).where(Product.shelf_status == "on", Sku.active.is_(True))
                             .order_by(Sku.id).limit(1)).scalar_one()
    warehouse = create_warehouse(None, sku.merchant_id, {"code": "E2EORD", "name": "E2E orders", "regions": "CN",
                                                          "priority": 1})
    increase(None, sku.id, warehouse.id, 10, "E2E-GRN")
    buyer = {"name": "E2E Buyer", "phone": "+86 138 0000 0001", "region": "CN-GD", "address": "8 Test Road"}
    checkout = place(None, "portal", buyer, [(sku.id, 2)], "E2E-ORDER-1")
    db.session.commit()
    print(checkout.orders[0].number)
"""


def test_an_order_is_paid_shipped_and_its_invoice_printed_from_its_page(signed_in, server, server_env, demo_data, screenshot):
    result = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    number = result.stdout.strip().splitlines()[-1]
    page = signed_in
    page.goto(server + "/orders/?buyer=E2E-ORDER-1")
    page.get_by_role("link", name=number).click()
    state = page.locator('[data-testid="order-state"]')
    assert state.inner_text() == "Pending payment"
    payment = page.locator('[data-testid="payment-form"]')
    assert payment.locator('input[name="amount"]').input_value() != ""  # what is owed, filled in
    payment.locator('input[name="provider_ref"]').fill("E2E-PAY-1")
    payment.get_by_role("button", name="Record payment").click()
    page.locator('[data-testid="action-done"]', has_text="Payment recorded.").wait_for()
    assert state.inner_text() == "Pending shipment"
    ship = page.locator('[data-testid="ship-form"]')
    ship.locator('input[name="carrier"]').fill("SF Express")
    ship.locator('input[name="tracking_number"]').fill("SFE2E0001")
    ship.get_by_role("button", name="Ship").click()
    page.locator('[data-testid="action-done"]', has_text="Shipped.").wait_for()
    assert state.inner_text() == "Pending receipt"
    assert "SFE2E0001" in page.locator('[data-testid="shipments"]').inner_text()
    screenshot("orders-shipped")
    page.reload()  # written, not only shown
    assert page.locator('[data-testid="order-state"]').inner_text() == "Pending receipt"
    assert "SFE2E0001" in page.locator('[data-testid="tracking"]').first.inner_text()
    page.get_by_role("button", name="Issue invoice").click()
    page.locator('[data-testid="action-done"]', has_text="issued.").wait_for()
    link = page.locator('[data-testid="invoice-link"]')
    assert link.inner_text().startswith("Invoice INV-")
    invoice = page.request.get(server + link.get_attribute("href"))
    assert invoice.status == 200 and invoice.headers["content-type"] == "application/pdf"
    assert invoice.body().startswith(b"%PDF-")
    assert page.request.get(server + link.get_attribute("href")).body() == invoice.body()  # the stored copy
    screenshot("orders-invoiced")
