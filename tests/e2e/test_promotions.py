"""A promotion in the browser: staff create a spend-X-save-Y rule for a
merchant and see it in the price of a new order for that merchant, live in the
form and then on the placed order with its explanation."""
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import start_order, stocked_sku

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_spend_x_save_y_rule_shows_in_a_new_orders_price(signed_in, server, server_env, demo_data, screenshot):
    code, merchant_id, price = stocked_sku(server_env, "E2EPROMO", newest=True)
    page = signed_in

    # the rule: spend at least one unit's price, save 5; exclusive and first, so no demo rule stands in its way
    page.goto(server + "/promotions/rules/new?kind=tiers")
    page.fill('[data-testid="field-name"]', "E2E spend and save")
    page.select_option("#merchant_id", merchant_id)
    page.fill('[data-testid="field-tiers"]', f"{Decimal(price):.2f}:5")
    page.select_option('[data-testid="field-scope"]', "store")
    page.fill('[data-testid="field-priority"]', "1000")
    page.check("#exclusive")
    page.click('[data-testid="save-rule"]')
    expect(page.locator('[data-testid="rule-state"]')).to_be_visible()
    assert "E2E spend and save" in page.content()

    # the order form prices two units live: the rule's saving is one of the adjustments
    start_order(page, server, {"name": "Han Mei", "phone": "+86 139 0000 0000", "region": "CN-GD",
                               "address": "8 Binhai Road"}, code, 2)
    saving = page.locator('[data-testid="adjustment"]', has_text="E2E spend and save")
    expect(saving).to_be_visible()
    assert "-5.00" in saving.inner_text()
    screenshot("promotions-order-priced")

    page.get_by_role("button", name="Place the order").click()
    page.wait_for_url("**/orders/*")
    assert "/orders/new" not in page.url and "Placed order" in page.content()
    explanation = page.locator('[data-testid="promotions-explanation"]')
    expect(explanation).to_contain_text("E2E spend and save")
    screenshot("promotions-order-explained")
