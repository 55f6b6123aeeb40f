"""The pivot: merchant x month sums from the rollups, drill-down links,
bad choices named, merchant scope, and saved views (own only, audited)."""
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from plugins.orders.services import place
from plugins.reports.models import SavedView
from portal.models import AuditLog
from tests.plugins.orders.helpers import buyer

PIVOT = "/reports/pivot/?period=range&start=2026-01-01&end=2026-04-30&rows=merchant&cols=month&measure=placed_amount"


def _sell(shop):
    place(None, "portal", buyer("CN-GD"), [(shop.a.id, 2)], "C-1", now=datetime(2026, 2, 3, 4, 0))
    place(None, "portal", buyer("CN-BJ"), [(shop.b.id, 2)], "C-2", now=datetime(2026, 3, 3, 4, 0))
    place(None, "api", buyer("CN-GD"), [(shop.x.id, 1)], "C-3", now=datetime(2026, 3, 9, 4, 0))


def test_merchant_by_month(db, shop, client, login_as):
    _sell(shop)
    login_as("platform_admin")
    page = client.get(PIVOT).get_data(as_text=True)
    assert 'data-testid="pivot-table"' in page
    assert ">2026-02<" in page and ">2026-03<" in page
    assert 'data-testid="pivot-total">54.50<' in page  # 20.00 + 9.00 + 25.50
    assert ">20.00<" in page and ">9.00<" in page and ">25.50<" in page


def test_a_cell_drills_down_to_finer_rows(db, shop, client, login_as):
    _sell(shop)
    login_as("platform_admin")
    page = client.get(PIVOT.replace("measure=placed_amount", "measure=placed_orders")).get_data(as_text=True)
    links = re.findall(r'href="(/reports/pivot/\?[^"]+)" title="Drill down"', page)
    target = next(link for link in links if f"f_merchant={shop.m.id}" in link and "2026-03-01" in link)
    args = parse_qs(urlsplit(target.replace("&amp;", "&")).query)
    assert args["rows"] == ["region"] and args["start"] == ["2026-03-01"] and args["end"] == ["2026-03-31"]
    drilled = client.get(target.replace("&amp;", "&")).get_data(as_text=True)
    assert 'data-testid="pivot-total">1<' in drilled  # m's one order in March


def test_bad_choices_are_named(db, shop, client, login_as):
    login_as("platform_admin")
    assert "rows: &#39;colour&#39; is not one of" in client.get(PIVOT.replace("rows=merchant", "rows=colour")) \
        .get_data(as_text=True)
    assert "Rows and columns must be different" in client.get(PIVOT.replace("cols=month", "cols=merchant")) \
        .get_data(as_text=True)
    assert "is not a number" in client.get(PIVOT + "&f_merchant=abc").get_data(as_text=True)


def test_a_merchant_pivots_only_its_own_figures(db, shop, client, login_as):
    _sell(shop)
    login_as("merchant_admin", shop.m)
    page = client.get(PIVOT).get_data(as_text=True)
    assert 'data-testid="pivot-total">29.00<' in page and shop.other.name not in page
    # a filter on another merchant's id shows nothing of it
    assert 'data-testid="pivot-table"' not in client.get(PIVOT + f"&f_merchant={shop.other.id}").get_data(as_text=True)


def test_saved_views_are_the_users_own(db, shop, client, login_as, login):
    _sell(shop)
    owner = login_as("merchant_admin", shop.m)
    query = PIVOT.split("?", 1)[1]
    response = client.post("/reports/pivot/save", data={"name": "Monthly", "query": query})
    assert response.status_code == 302
    view = db.session.execute(select(SavedView).where(SavedView.user_id == owner.id)).scalar_one()
    assert client.get(f"/reports/pivot/views/{view.id}").headers["Location"].endswith("?" + query)
    assert "Monthly" in client.get("/reports/pivot/").get_data(as_text=True)
    assert client.post("/reports/pivot/save", data={"name": " ", "query": query}).status_code == 302
    assert "give the view a name" in client.get("/reports/pivot/").get_data(as_text=True)
    client.get("/logout")
    login_as("merchant_admin", shop.m)
    assert client.get(f"/reports/pivot/views/{view.id}").status_code == 404
    assert client.post(f"/reports/pivot/views/{view.id}/remove").status_code == 404
    client.get("/logout")
    login_as("merchant_staff", shop.m)
    assert client.post("/reports/pivot/save", data={"name": "Mine", "query": query}).status_code == 403
    client.get("/logout")
    login(owner)
    assert client.post(f"/reports/pivot/views/{view.id}/remove").status_code == 302
    assert db.session.get(SavedView, view.id) is None
    actions = db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "reports")
                                 .order_by(AuditLog.id)).scalars().all()
    assert actions == ["reports.view_save", "reports.view_remove"]


def test_products_by_category_and_brand_sum_the_lines(db, shop, client, login_as):
    _sell(shop)
    login_as("platform_admin")
    page = client.get("/reports/pivot/?source=products&period=range&start=2026-01-01&end=2026-04-30"
                      "&rows=product&cols=month&measure=units").get_data(as_text=True)
    assert "Teapot" in page and "Cup" in page and "Kettle" in page
    assert 'data-testid="pivot-total">5<' in page  # 2 teapots, 2 cups, 1 kettle
