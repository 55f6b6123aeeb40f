"""A platform admin reorders two floors of the platform homepage by drag and
drop (HTML5 drag and drop, saved through HTMX), publishes, and the
storefront API serves the new order."""
import json
import re
import subprocess
import sys
import urllib.request

import pytest

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# three published text floors on the platform homepage, made through the services
HOMEPAGE = """
from portal import create_app
from portal.extensions import db
from plugins.content.services import floors, pages, publishing
app = create_app()
with app.app_context():
    page = pages.ensure_homepage(None, None)
    for title in ("Welcome", "Deals", "News"):
        floor = floors.add_floor(None, page, "rich_text", title)
        floors.update_floor(None, floor, {"title": title, "body_html": f"<p>{title} text</p>"})
    publishing.publish(None, page)
    db.session.commit()
"""


@pytest.fixture(scope="module")
def homepage(server_env):
    result = subprocess.run([sys.executable, "-c", HOMEPAGE], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr


def sign_in(page, server, email, password):
    page.goto(server + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def floor_titles(page):
    return page.locator('[data-testid="floor-list"] [data-testid="floor-title"]').all_inner_texts()


def storefront_titles(server):
    with urllib.request.urlopen(server + "/content/api/v1/home", timeout=10) as response:
        return [floor["title"] for floor in json.load(response)["floors"]]


def test_reorder_two_floors_by_drag_and_drop_and_publish(page, server, homepage, screenshot):
    sign_in(page, server, ADMIN_EMAIL, ADMIN_PASSWORD)
    page.goto(server + "/content/pages/")
    page.click('[data-testid="open-homepage"]')  # the platform's, chosen by default
    page.wait_for_url(re.compile(r"/content/pages/\d+$"))
    before = floor_titles(page)
    assert len(before) >= 3 and storefront_titles(server)[:2] == before[:2]

    # drop the second floor on the upper half of the first: it goes above it
    page.locator('[data-testid="floor-1"]').drag_to(page.locator('[data-testid="floor-0"]'),
                                                    target_position={"x": 40, "y": 8})
    page.locator('[data-testid="floor-0"] [data-testid="floor-title"]', has_text=before[1]).wait_for()
    assert floor_titles(page)[:2] == [before[1], before[0]]
    screenshot("content-floors-reordered")
    page.reload()  # saved on the server, not only moved in the page
    assert floor_titles(page) == [before[1], before[0]] + before[2:]
    assert storefront_titles(server)[:2] == before[:2]  # the draft is not live yet

    page.click('[data-testid="publish"]')
    page.locator(".alert", has_text="Published as version").wait_for()
    assert storefront_titles(server)[:2] == [before[1], before[0]]
    screenshot("content-floors-published")
