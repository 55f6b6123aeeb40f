"""The analyses through the client: figures, periods, merchant scope (a
merchant sees only its own figures and another merchant's filter is 404),
exports, the cockpit cards, and the plugin switched off."""
import csv
import io
import subprocess
from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from plugins.orders.services import place, receive, ship
from portal.models import AuditLog
from portal.plugins import kernel
from tests.plugins.orders.helpers import buyer, pay_in_full

MARCH = "/reports/sales/?period=range&start=2026-03-01&end=2026-03-31"
NOON = datetime(2026, 3, 10, 4, 0)  # 12:00 in Shanghai


def _sell(shop):
    """m sells 2 teapots + 1 cup (24.50) and ships it; other sells a kettle (25.50); the week before, m sold a cup."""
    first = place(None, "portal", buyer("CN-GD"), [(shop.a.id, 2), (shop.b.id, 1)], "C-1", now=NOON).orders[0]
    pay_in_full(first, now=NOON + timedelta(hours=1))
    ship(None, first, "SF Express", "SF0001", now=NOON + timedelta(hours=2))
    receive(None, first, now=NOON + timedelta(days=2, hours=2))
    place(None, "api", buyer("CN-BJ"), [(shop.x.id, 1)], "C-2", now=NOON)
    place(None, "portal", buyer("CN-GD"), [(shop.b.id, 1)], "C-3", now=datetime(2026, 2, 20, 4, 0))


def test_sales_page_shows_the_period_beside_the_previous_one(db, shop, client, login_as):
    _sell(shop)
    login_as("platform_admin")
    page = client.get(MARCH).get_data(as_text=True)
    assert 'data-testid="kpi-gmv">50.00<' in page
    assert 'data-testid="kpi-orders">2<' in page
    assert 'data-testid="kpi-aov">25.00<' in page
    assert "2026-01-29 to 2026-02-28" in page  # the previous 31 days
    assert shop.m.name in page and shop.other.name in page
    assert 'class="reports-chart"' in page


def test_dimensions_and_drill_down(db, shop, client, login_as):
    _sell(shop)
    login_as("platform_admin")
    by_product = client.get(MARCH + "&dimension=product").get_data(as_text=True)
    assert "Teapot" in by_product and "Kettle" in by_product
    by_region = client.get(MARCH + "&dimension=region").get_data(as_text=True)
    assert "CN-BJ" in by_region and "CN-GD" in by_region
    drill = client.get(MARCH + f"&dimension=product&merchant={shop.m.id}").get_data(as_text=True)
    assert "Teapot" in drill and "Kettle" not in drill
    assert client.get(MARCH + "&dimension=colour").status_code == 404


def test_a_bad_period_is_named(db, shop, client, login_as):
    login_as("platform_admin")
    page = client.get("/reports/sales/?period=range&start=2026-03-31&end=2026-03-01").get_data(as_text=True)
    assert 'data-testid="period-error"' in page and "before it starts" in page
    page = client.get("/reports/sales/?period=week&date=31-03-2026").get_data(as_text=True)
    assert "is not a date" in page


def test_a_merchant_sees_only_its_own_figures(db, shop, client, login_as):
    _sell(shop)
    login_as("merchant_admin", shop.m)
    page = client.get(MARCH).get_data(as_text=True)
    assert 'data-testid="kpi-gmv">24.50<' in page and 'data-testid="kpi-orders">1<' in page
    assert shop.other.name not in page
    assert "Kettle" not in client.get(MARCH + "&dimension=product").get_data(as_text=True)
    assert client.get(MARCH + f"&merchant={shop.other.id}").status_code == 404
    assert "Kettle" not in client.get("/reports/products/?period=range&start=2026-03-01&end=2026-03-31") \
        .get_data(as_text=True)


def test_exports_hold_the_table(db, shop, client, login_as):
    _sell(shop)
    login_as("platform_admin")
    response = client.get(MARCH.replace("/reports/sales/", "/reports/sales/export.csv") + "&dimension=merchant")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["2026-03-01 to 2026-03-31, CNY"]
    assert [(r[0], r[2]) for r in rows[2:]] == [(shop.other.name, "25.5000"), (shop.m.name, "24.5000")]
    book = load_workbook(io.BytesIO(client.get(
        MARCH.replace("/reports/sales/", "/reports/sales/export.xlsx") + "&dimension=region").data))
    values = [tuple(r) for r in book.active.iter_rows(min_row=3, values_only=True)]
    assert [(v[0], float(v[2])) for v in values] == [("CN-BJ", 25.5), ("CN-GD", 24.5)]
    assert client.get("/reports/sales/export.doc").status_code == 404


def test_pdf_export_prints_the_table_and_the_chart(db, shop, client, login_as, tmp_path):
    _sell(shop)
    login_as("platform_admin")
    response = client.get(MARCH.replace("/reports/sales/", "/reports/sales/export.pdf") + "&dimension=merchant")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "sales.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert shop.m.name in text and "24.50" in text and "GMV per day" in text
    assert "2026-03-01" in text  # the chart's first label, drawn as SVG text
    actions = db.session.execute(select(AuditLog.target).where(AuditLog.action == "reports.export")).scalars().all()
    assert actions == ["sales-merchant-2026-03-01-2026-03-31"]


def test_exports_need_the_export_permission(db, shop, client, login_as):
    login_as("merchant_staff", shop.m)
    assert client.get("/reports/sales/").status_code == 200
    assert 'data-testid="export-csv"' not in client.get("/reports/sales/").get_data(as_text=True)
    assert client.get("/reports/sales/export.csv").status_code == 403


def test_products_and_logistics(db, shop, client, login_as):
    _sell(shop)
    login_as("platform_admin")
    products = client.get("/reports/products/?period=range&start=2026-03-01&end=2026-03-31").get_data(as_text=True)
    assert 'data-testid="top-sellers"' in products and "Teapot" in products
    shipping = client.get("/reports/logistics/?period=month&date=2026-03-05").get_data(as_text=True)
    assert "SF Express" in shipping
    assert ">2.0<" in shipping  # two days from shipping to receipt


def test_cockpit_cards_refresh_and_link_to_their_analysis(db, shop, client, login_as):
    place(None, "portal", buyer("CN-GD"), [(shop.a.id, 1)], "C-9")  # today
    login_as("platform_admin")
    dashboard = client.get("/").get_data(as_text=True)
    assert 'data-testid="cockpit-today"' in dashboard and 'hx-get="/reports/cockpit/today"' in dashboard
    assert "/reports/sales/?period=day" in dashboard
    card = client.get("/reports/cockpit/today", headers={"HX-Request": "true"})
    assert card.status_code == 200 and "HX-Request" in card.headers["Vary"]
    assert 'data-testid="card-gmv">10.00 CNY<' in card.get_data(as_text=True)
    assert client.get("/reports/cockpit/weather").status_code == 404


def test_merchant_cockpit_counts_only_its_own_orders(db, shop, client, login_as):
    place(None, "portal", buyer("CN-GD"), [(shop.x.id, 1)], "C-9")  # the other merchant's, today
    login_as("merchant_admin", shop.m)
    assert 'data-testid="card-gmv">0.00 CNY<' in client.get("/reports/cockpit/today").get_data(as_text=True)


def test_switched_off_pages_are_404_and_leave_the_menu(db, shop, client, login_as):
    login_as("platform_admin")
    assert 'href="/reports/sales/"' in client.get("/").get_data(as_text=True)
    kernel().set_enabled("reports", False)
    db.session.flush()
    try:
        for url in ("/reports/sales/", "/reports/products/", "/reports/logistics/", "/reports/pivot/",
                    "/reports/cockpit/today"):
            assert client.get(url).status_code == 404
        dashboard = client.get("/").get_data(as_text=True)
        assert 'href="/reports/sales/"' not in dashboard and "cockpit-today" not in dashboard
    finally:
        kernel().set_enabled("reports", True)
        db.session.flush()
