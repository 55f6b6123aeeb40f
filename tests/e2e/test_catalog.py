"""A merchant admin creates a product with two spec attributes (colour x
size) in the browser, sees its SKUs and puts it on the shelf (HTMX toggle)."""
import re

import pytest

from portal.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def sign_in(page, server, email):
    page.goto(server + "/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_create_a_product_with_colour_and_size_and_put_it_on_the_shelf(page, server, demo_data, screenshot):
    assert "Catalog:" in demo_data, demo_data
    sign_in(page, server, "blue-admin@demo.test")
    page.goto(server + "/catalog/products/")
    page.click('[data-testid="new-product"]')
    page.fill('[data-testid="title-en"]', "E2E trail tee")
    page.fill('[data-testid="title-zh"]', "端到端越野T恤")
    # choosing the category loads its spec attributes and parameters (HTMX)
    page.select_option('[data-testid="category"]', label="Outdoor › Outdoor clothing › T-shirts")
    page.locator('[data-testid="spec-colour-Red"]').wait_for()
    page.select_option('[data-testid="brand"]', label="Blue River / 蓝河")
    for testid in ("spec-colour-Red", "spec-colour-Navy", "spec-size-M", "spec-size-L"):
        page.check(f'[data-testid="{testid}"]')
    page.fill('[data-testid="code-prefix"]', "E2E-TEE")
    page.fill('[data-testid="price"]', "29.95")
    page.click('[data-testid="save-product"]')

    page.wait_for_url(re.compile(r"/catalog/products/\d+$"))
    assert "Product created with 4 SKU(s)." in page.content()
    assert page.locator('[data-testid="product-title"]').inner_text().startswith("E2E trail tee")
    rows = page.locator('[data-testid="sku-table"] tbody tr')
    assert rows.count() == 4
    codes = sorted(rows.nth(i).locator("td").first.inner_text() for i in range(4))
    assert codes == ["E2E-TEE-NAVY-L", "E2E-TEE-NAVY-M", "E2E-TEE-RED-L", "E2E-TEE-RED-M"]
    assert "Red / M" in page.locator('[data-testid="sku-row-E2E-TEE-RED-M"]').inner_text()

    status = page.locator('[data-testid="shelf-status"]')
    assert status.inner_text() == "Off the shelf"
    product_id = re.search(r"/catalog/products/(\d+)$", page.url).group(1)
    page.click(f'[data-testid="shelf-toggle-{product_id}"]')
    # the page's CSP forbids eval, so wait through a locator rather than wait_for_function
    page.locator('[data-testid="shelf-status"]', has_text="On the shelf").wait_for()
    assert page.locator('[data-testid="shelf-status"]').inner_text() == "On the shelf"
    screenshot("catalog-product-on-shelf")

    # the list agrees, after a reload
    page.goto(server + "/catalog/products/?shelf=on&q=E2E+trail")
    assert "E2E trail tee" in page.content()
    screenshot("catalog-products-on-shelf-list")
