"""Sorting the logistics lists by their column headers: only known keys
reach the query (anything else leaves the list in its default order), the id
breaks ties in the sort's direction, and the sort stays with the pages and
the filters."""
import re
from datetime import timedelta

from sqlalchemy import delete, select

from plugins.logistics.models import Carrier, Tracking
from plugins.logistics.views import shipments as shipments_view
from plugins.orders.services import place, ship
from portal.models import utcnow
from tests.plugins.logistics.conftest import template
from tests.plugins.orders.helpers import buyer, pay_in_full


def shipped(shop, number):
    order = place(None, "portal", buyer("CN-GD"), [(shop.tea.id, 1)]).orders[0]
    pay_in_full(order)
    ship(None, order, "SF", number)
    return order.shipments[0]


def numbers(body):
    """The tracking numbers of the shipment rows, top to bottom."""
    return re.findall(r'<td><a href="/logistics/shipments/\d+">(SF\d+)</a></td>', body)


def names(body, prefix):
    return re.findall(rf">({prefix}[^<]*)</a>", body)


def test_carriers_sort_by_a_header_and_an_unknown_key_keeps_the_default(db, client, login_as):
    for code, name in (("ZTO", "Alpha Post"), ("JD", "Zeta Freight"), ("SF", "Mid Express")):
        db.session.add(Carrier(code=code, name=name))
    db.session.flush()
    login_as("platform_admin")
    by_code = client.get("/logistics/carriers/").get_data(as_text=True)
    assert re.findall(r">(JD|SF|ZTO)</a>", by_code) == ["JD", "SF", "ZTO"]
    assert 'href="/logistics/carriers/?sort=-code&amp;page=1">Code ▲' in by_code
    by_name = client.get("/logistics/carriers/?sort=-name").get_data(as_text=True)
    assert re.findall(r">(JD|SF|ZTO)</a>", by_name) == ["JD", "SF", "ZTO"] and "Name ▼" in by_name  # Zeta, Mid, Alpha
    by_name = client.get("/logistics/carriers/?sort=name").get_data(as_text=True)
    assert re.findall(r">(JD|SF|ZTO)</a>", by_name) == ["ZTO", "SF", "JD"]  # Alpha, Mid, Zeta
    odd = client.get("/logistics/carriers/?sort=name;drop%20table%20logistics_carrier")
    assert odd.status_code == 200 and re.findall(r">(JD|SF|ZTO)</a>", odd.get_data(as_text=True)) == ["JD", "SF", "ZTO"]


def test_templates_sort_by_name_with_the_id_breaking_ties(db, shop, client, login_as):
    first = template(db, shop.m, name="Same")
    second = template(db, shop.m, category_=shop.leaf, name="Same")
    third = template(db, shop.m, category_=shop.ware, name="Same")
    login_as("merchant_admin", merchant=shop.m)
    up = client.get("/logistics/templates/?sort=name").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/logistics/templates/(\d+)">Same', up)]
    assert ids == [first.id, second.id, third.id]
    down = client.get("/logistics/templates/?sort=-name").get_data(as_text=True)
    assert [int(i) for i in re.findall(r'href="/logistics/templates/(\d+)">Same', down)] == ids[::-1]
    # the search form carries the sort, so searching keeps it
    assert '<input type="hidden" name="sort" value="-name">' in down


def test_shipments_sort_across_pages_and_filters(db, shop, client, login_as, monkeypatch):
    for n in (3, 1, 4, 2):
        shipped(shop, f"SF00000000000{n}")
    monkeypatch.setattr(shipments_view, "PER_PAGE", 2)
    login_as("merchant_admin", merchant=shop.m)
    first = client.get("/logistics/shipments/?sort=number").get_data(as_text=True)
    assert numbers(first) == ["SF000000000001", "SF000000000002"]
    assert 'href="/logistics/shipments/?sort=number&amp;page=2"' in first  # the next page keeps the sort
    second = client.get("/logistics/shipments/?sort=number&page=2").get_data(as_text=True)
    assert numbers(second) == ["SF000000000003", "SF000000000004"]
    down = client.get("/logistics/shipments/?sort=-number&status=accepted").get_data(as_text=True)
    assert numbers(down) == ["SF000000000004", "SF000000000003"]
    assert '<input type="hidden" name="sort" value="-number">' in down  # the filter form keeps it
    newest = client.get("/logistics/shipments/?sort=nonsense").get_data(as_text=True)
    assert numbers(newest) == ["SF000000000002", "SF000000000004"]  # unknown: newest first
    assert numbers(client.get("/logistics/shipments/?sort=-order").get_data(as_text=True)) == numbers(newest)
    # a tracking filter keeps the newest first too
    assert numbers(client.get("/logistics/shipments/?status=accepted").get_data(as_text=True)) == numbers(newest)


def test_sorting_by_last_update_leaves_out_untracked_shipments_and_says_so(db, shop, client, login_as):
    stale, fresh, untracked = (shipped(shop, n) for n in ("SF000000000011", "SF000000000012", "SF000000000013"))
    rows = {t.shipment_id: t for t in db.session.execute(select(Tracking)).scalars()}
    rows[stale.id].last_event_at = utcnow() - timedelta(days=5)
    rows[fresh.id].last_event_at = rows[untracked.id].last_event_at = utcnow()
    db.session.flush()
    db.session.execute(delete(Tracking).where(Tracking.shipment_id == untracked.id))
    login_as("merchant_admin", merchant=shop.m)
    body = client.get("/logistics/shipments/?sort=updated").get_data(as_text=True)
    assert numbers(body) == ["SF000000000011", "SF000000000012"]
    assert "shipments not tracked yet are not listed" in body
    listed = client.get("/logistics/shipments/?sort=updated&status=untracked").get_data(as_text=True)
    assert numbers(listed) == ["SF000000000013"] and "not tracked yet are not listed" not in listed
