"""The members' main journey in the browser: a member found from the list,
their completed order and earned points on their page, points adjusted with
a reason (the form's answer swapped in by HTMX), then a segment built from
rules while its live count follows each change; and a coupon issued to a
segment's members after the confirmation, seen on the member's page.

No demo data: a small shop and one completed order are made through the
services, so the test stays fast and reads the same whatever else ran."""
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# a merchant with one SKU in stock, and an order of two placed, paid, shipped and received
# (its completion earns the member a point per unit paid: 60, less any platform promotion the
# demo data runs); the member consents to marketing and gets a
# tag no other member has; the platform has a coupon rule (a platform segment issues the platform's)
SETUP = """
from sqlalchemy import select
from wsgi import app
from portal.extensions import db
from portal.models import Merchant
from plugins.catalog.models import Category, Product, Sku
from plugins.inventory.services import create_warehouse, increase
from plugins.members.models import MemberOrder, Member, Tag
from plugins.orders.services import place, receive, record_payment, ship
from plugins.promotions.services import create_rule

with app.app_context():
    merchant = Merchant(code="E2EMEM", name="E2E Members Shop", legal_name="E2E Members Shop Ltd", country="CN",
                        default_currency="CNY")
    category = Category(name_en="E2E things")
    db.session.add_all([merchant, category])
    db.session.flush()
    product = Product(merchant_id=merchant.id, category=category, title_en="E2E teapot", shelf_status="on")
    sku = Sku(product=product, merchant_id=merchant.id, code="E2E-MEM-POT", price="30.00", currency="CNY")
    db.session.add(sku)
    db.session.flush()
    warehouse = create_warehouse(None, merchant.id, {"code": "E2EMEMWH", "name": "E2E members", "regions": "CN",
                                                     "priority": 1})
    increase(None, sku.id, warehouse.id, 10, "E2E-GRN")
    buyer = {"name": "Mei Journey", "phone": "+86 138 0000 0042", "region": "CN-GD", "address": "42 Test Road"}
    order = place(None, "portal", buyer, [(sku.id, 2)], "E2E-MEMBER-1").orders[0]
    record_payment(None, order, "alipay", order.total, "CNY", "E2E-MEM-PAY")
    ship(None, order, "SF Express", "SFE2E0042")
    receive(None, order)
    member = db.session.get(Member, db.session.get(MemberOrder, order.id).member_id)
    member.tags.append(Tag(tag="e2e-journey"))
    member.marketing_consent = True
    create_rule(None, {"name": "E2E thanks", "kind": "coupon", "benefit": "amount", "amount": "5", "scope": "store",
                       "funder": "platform"})
    db.session.commit()
    print(member.id, order.number, member.points_balance)
"""


@pytest.fixture(scope="module")
def journey(server_env):
    result = subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    member_id, number, points = result.stdout.strip().splitlines()[-1].split()
    assert int(points) > 0
    return int(member_id), number, int(points)


def test_open_a_member_adjust_points_and_build_a_segment(signed_in, server, journey, screenshot):
    member_id, number, earned = journey
    page = signed_in
    page.goto(server + "/members/?q=E2E-MEMBER-1")
    page.locator(f'[data-testid="member-row-{member_id}"]').get_by_role("link", name="Mei Journey").click()
    page.wait_for_url(f"**/members/{member_id}")
    expect(page.locator('[data-testid="member-orders"]')).to_contain_text(number)
    balance = page.locator('[data-testid="points-balance"]')
    expect(balance).to_have_text(str(earned))  # what the completed order earned
    expect(page.locator('[data-testid="points-ledger"]')).to_contain_text(f"Order {number} completed")

    form = page.locator('[data-testid="adjust-form"]')
    form.locator('input[name="points"]').fill("150")
    form.locator('input[name="reason"]').fill("Apology for a late parcel")
    form.get_by_role("button", name="Adjust points").click()
    expect(page.locator('[data-testid="action-done"]')).to_have_text("Points adjusted.")
    expect(balance).to_have_text(str(earned + 150))
    expect(page.locator('[data-testid="points-ledger"] tbody tr').first).to_contain_text("Apology for a late parcel")
    screenshot("members-points-adjusted")
    page.reload()  # written, not only shown
    expect(page.locator('[data-testid="points-balance"]')).to_have_text(str(earned + 150))

    page.goto(server + "/members/segments/new")
    count = page.locator("#segment-count")
    page.fill("#tags", "e2e-journey")
    page.locator("#tags").press("Tab")
    expect(count).to_have_text("1 member matches.")
    page.fill("#min_orders", "2")
    page.locator("#min_orders").press("Tab")
    expect(count).to_have_text("0 members match.")  # one order only
    page.fill("#min_orders", "1")
    page.locator("#min_orders").press("Tab")
    expect(count).to_have_text("1 member matches.")
    page.fill("#name", "E2E journey")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_text("Segment saved.")).to_be_visible()
    expect(page.locator("#segment-count")).to_have_text("1 member matches.")
    screenshot("members-segment-saved")


def test_issue_a_coupon_to_a_segment_and_see_the_code_on_the_member(signed_in, server, journey, screenshot):
    member_id, _number, _points = journey
    page = signed_in
    page.goto(server + "/members/segments/new")
    page.fill("#name", "E2E coupon")
    page.fill("#tags", "e2e-journey")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_text("Segment saved.")).to_be_visible()
    issue = page.locator('[data-testid="issue-form"]')
    issue.locator("#offer").select_option(label="Coupon E2E thanks")
    issue.get_by_role("button", name="Review who gets a code").click()
    expect(page.locator('[data-testid="issue-count"]')).to_have_text("1 member will get a code, bound to them.")
    screenshot("members-issue-confirmation")
    page.get_by_role("button", name="Issue 1 code").click()
    expect(page.get_by_text("1 code of Coupon E2E thanks issued.")).to_be_visible()
    page.goto(server + f"/members/{member_id}")
    expect(page.locator('[data-testid="member-codes"]')).to_contain_text("Coupon E2E thanks")
    expect(page.locator('[data-testid="member-code"]')).to_have_count(1)
