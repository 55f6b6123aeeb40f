"""The staff order form in the browser: typing a code prices the order live
(HTMX posts the form, the rows' notes swap in out of band), rows are added and
removed, and placing it opens the new order."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import start_order, stocked_sku

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_type_price_add_remove_and_place(signed_in, server, server_env, demo_data, screenshot):
    code, _merchant, _price = stocked_sku(server_env, "E2ENEWORD")
    page = signed_in
    start_order(page, server, {"name": "Li Lei", "phone": "+86 138 0000 0000", "region": "CN-GD",
                               "address": "1 Keji Road"}, code, 2)
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
