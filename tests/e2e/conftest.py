"""Browser tests: the real server (gunicorn, two workers, so a toggle seen by one
worker must reach the other) on a free port of 127.0.0.1, a SQLite database
built by ``flask db upgrade``, and Playwright driving Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import free_port, wait_until_up

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
CHROMIUM = os.environ.get("PORTAL_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN_EMAIL = "admin@e2e.test"
ADMIN_PASSWORD = "e2e-password-2026"



def flask_cli(env, *args, stdin=None):
    """Run ``flask <args>`` for the test server's database; fail with its output."""
    result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, input=stdin,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"flask {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result



@pytest.fixture(scope="session")
def server_env(tmp_path_factory):
    """The environment of the test server (its database and instance folder),
    for running ``flask`` commands against it; the schema and one platform
    admin exist."""
    folder = tmp_path_factory.mktemp("e2e")
    env = dict(os.environ, FLASK_APP="wsgi", PORTAL_INSTANCE_PATH=str(folder / "instance"),
               PORTAL_DATABASE_URL=f"sqlite:///{folder / 'portal.db'}", PORTAL_SECRET_KEY="e2e-secret")
    env.pop("PORTAL_PLUGINS", None)
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "portal", "users", "create", ADMIN_EMAIL, "--role", "platform_admin",
              "--name", "E2E Admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    return env


@pytest.fixture(scope="session")
def demo_data(server_env):
    """``flask portal demo`` run once against the test server's database
    (merchants ACME, BLUE, PANDA with staff, and every plugin's demo data)."""
    return flask_cli(server_env, "portal", "demo").stdout


@pytest.fixture(scope="session")
def server(server_env):
    """Base URL of a running portal with one platform admin."""
    env = server_env
    folder = Path(env["PORTAL_INSTANCE_PATH"]).parent
    port = free_port()
    log = open(folder / "server.log", "w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.seek(0)
        print(f"--- server log ---\n{log.read()[-5000:]}")
        log.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright import sync_api  # the Python package only; it never downloads a browser here

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser, request):
    """A fresh browser context per test; a screenshot in test-artifacts/ when it fails."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS, f"failed-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture()
def screenshot(page):
    """``screenshot("name")`` saves test-artifacts/name.png of the whole page."""
    def take(name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{name}.png")
        page.screenshot(path=path, full_page=True)
        return path
    return take


@pytest.fixture()
def signed_in(page, server):
    """The page, signed in as the platform admin through the login form."""
    page.goto(server + "/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def run_setup(server_env, script):
    """Run a set-up script against the test server's database; its last line of output, split."""
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=server_env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


# a SKU on the shelf with ten units in a new warehouse (its code) that ships to CN; prints the
# SKU's code, merchant and price
STOCKED_SKU = """
from sqlalchemy import select
from wsgi import app
from portal.extensions import db
from plugins.catalog.models import Product, Sku
from plugins.inventory.services import create_warehouse, increase

with app.app_context():
    sku = db.session.execute(select(Sku).join(Product).where(Sku.active.is_(True), Product.shelf_status == "on")
                             .order_by(Sku.id{order}).limit(1)).scalar_one()
    warehouse = create_warehouse(None, sku.merchant_id, {{"code": "{warehouse}", "name": "E2E", "regions": "CN",
                                                         "priority": 1}})
    increase(None, sku.id, warehouse.id, 10, "E2E-GRN")
    db.session.commit()
    print(sku.code, sku.merchant_id, sku.price)
"""


def stocked_sku(server_env, warehouse, newest=False):
    """``(code, merchant id, price)`` of a SKU given ten units in a new warehouse."""
    return run_setup(server_env, STOCKED_SKU.format(warehouse=warehouse, order=".desc()" if newest else ""))


def start_order(page, server, buyer, code, qty):
    """The new-order form filled with a buyer and one line, priced."""
    page.goto(server + "/orders/new/")
    for name, value in buyer.items():
        page.fill(f'[data-testid="buyer-{name}"]', value)
    page.fill('[data-testid="sku-code"]', code)
    page.fill('[data-testid="qty"]', str(qty))
    page.locator('[data-testid="qty"]').press("Tab")
