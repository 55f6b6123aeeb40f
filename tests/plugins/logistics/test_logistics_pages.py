"""The logistics pages through the client: permissions, another merchant's
records answering 404, the plugin switched off, the template editor, the
calculator, the shipment list and detail, the tracking import."""
import io
from datetime import timedelta

from sqlalchemy import select

from plugins.logistics.models import FreightTemplate, Tracking
from plugins.logistics.services.carriers import create_carrier
from plugins.orders.models import COMPLETED
from plugins.orders.services import place, ship
from portal.models import utcnow
from portal.plugins import kernel
from tests.plugins.logistics.conftest import template
from tests.plugins.orders.helpers import buyer, pay_in_full

ZONE_FORM = {"name": "Store rates", "basis": "count", "volume_divisor": "6000", "category_id": "",
             "zone-0-regions": "CN", "zone-0-first_units": "1", "zone-0-first_fee": "10",
             "zone-0-additional_units": "1", "zone-0-additional_fee": "5",
             "zone-1-regions": "CN-XZ", "zone-1-no_delivery": "1"}


def shipped(shop, number="SF123456789012", merchant_sku=None):
    order = place(None, "portal", buyer("CN-GD"), [((merchant_sku or shop.tea).id, 1)]).orders[0]
    pay_in_full(order)
    ship(None, order, "SF", number)
    return order, order.shipments[0]


def test_the_editor_saves_a_template_with_its_zone_rows(db, shop, client, login_as):
    login_as("merchant_admin", merchant=shop.m)
    r = client.post("/logistics/templates/new", data=ZONE_FORM)
    assert r.status_code == 302, r.get_data(as_text=True)
    saved = db.session.execute(select(FreightTemplate).where(FreightTemplate.merchant_id == shop.m.id)).scalar_one()
    assert [z.regions for z in saved.zones] == ["CN", "CN-XZ"] and saved.zones[1].no_delivery
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert page.count('data-testid="zone-row"') == 2
    listing = client.get("/logistics/templates/").get_data(as_text=True)
    assert "Store rates" in listing and "Store default" in listing


def test_the_editor_names_the_zone_and_field_at_fault_and_saves_nothing(db, shop, client, login_as):
    login_as("merchant_admin", merchant=shop.m)
    page = client.post("/logistics/templates/new", data={**ZONE_FORM, "zone-1-regions": "CN-QQ"})
    assert page.status_code == 200
    assert "zone 2: regions: CN-QQ: not a country (CN), a province of China" in page.get_data(as_text=True)
    page = client.post("/logistics/templates/new", data={**ZONE_FORM, "zone-0-first_fee": "-3"})
    assert "zone 1: first fee" in page.get_data(as_text=True)
    assert db.session.execute(select(FreightTemplate)).first() is None


def test_a_zone_row_comes_as_an_htmx_partial(db, shop, client, login_as):
    login_as("merchant_admin", merchant=shop.m)
    r = client.get("/logistics/templates/zone-row", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "HX-Request" in r.headers["Vary"]
    assert 'data-testid="zone-row"' in r.get_data(as_text=True) and "<html" not in r.get_data(as_text=True)


def test_merchant_staff_read_templates_but_cannot_change_them(db, shop, client, login_as):
    mine = template(db, shop.m)
    login_as("merchant_staff", merchant=shop.m)
    assert client.get(f"/logistics/templates/{mine.id}").status_code == 200
    assert client.post(f"/logistics/templates/{mine.id}", data=ZONE_FORM).status_code == 403
    assert client.get("/logistics/templates/new").status_code == 403


def test_another_merchants_records_answer_404(db, shop, client, login_as):
    theirs = template(db, shop.other)
    _order, shipment = shipped(shop, merchant_sku=shop.x)
    login_as("merchant_admin", merchant=shop.m)
    assert client.get(f"/logistics/templates/{theirs.id}").status_code == 404
    assert client.post(f"/logistics/templates/{theirs.id}/delete").status_code == 404
    assert client.get(f"/logistics/shipments/{shipment.id}").status_code == 404
    assert client.post(f"/logistics/shipments/{shipment.id}/events", data={"status": "delivered"}).status_code == 404
    assert shipment.tracking_number not in client.get("/logistics/shipments/").get_data(as_text=True)


def test_deleting_a_template(db, shop, client, login_as):
    mine = template(db, shop.m, name="Old rates")
    login_as("merchant_admin", merchant=shop.m)
    assert "portal-confirm" in client.get(f"/logistics/templates/{mine.id}").get_data(as_text=True)
    r = client.post(f"/logistics/templates/{mine.id}/delete", follow_redirects=True)
    assert "Template Old rates deleted." in r.get_data(as_text=True)
    assert db.session.get(FreightTemplate, mine.id) is None


def test_the_calculator_shows_the_freight_and_why(db, shop, client, login_as):
    template(db, shop.m, zones=[{"regions": "CN", "first_units": 1, "first_fee": 10, "additional_units": 1,
                                 "additional_fee": 5}, {"regions": "CN-XZ", "no_delivery": True}])
    login_as("merchant_admin", merchant=shop.m)
    r = client.post("/logistics/calculator/", data={"region": "CN-GD", "sku": [shop.tea.code, ""], "qty": ["3", ""]},
                    headers={"HX-Request": "true"})
    body = r.get_data(as_text=True)
    assert "Freight: 20.00 CNY" in body and "first 1 for 10.00, then 2 x 1 at 5.00" in body
    refused = client.post("/logistics/calculator/", data={"region": "CN-XZ", "sku": [shop.tea.code], "qty": ["1"]},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "does not deliver to CN-XZ" in refused and shop.tea.code in refused
    unknown = client.post("/logistics/calculator/", data={"region": "CN-GD", "sku": [shop.x.code], "qty": ["1"]},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"item 1: SKU: {shop.x.code} is not a SKU of this merchant." in unknown


def test_shipment_list_filters_and_the_timeline(db, shop, client, login_as):
    sf = create_carrier(None, {"code": "SF", "name": "SF Express", "tracking_pattern": r"SF[0-9]{12}",
                               "active": "1"})
    order, fresh = shipped(shop, "SF111111111111")
    _old_order, stale = shipped(shop, "SF222222222222")
    db.session.execute(select(Tracking).where(Tracking.shipment_id == stale.id)).scalar_one().last_event_at = \
        utcnow() - timedelta(days=10)
    db.session.flush()
    login_as("merchant_admin", merchant=shop.m)
    late = client.get("/logistics/shipments/?late=1").get_data(as_text=True)
    assert "SF222222222222" in late and "SF111111111111" not in late
    by_carrier = client.get(f"/logistics/shipments/?carrier={sf.id}").get_data(as_text=True)
    assert "SF111111111111" in by_carrier and "SF222222222222" in by_carrier
    none = client.get("/logistics/shipments/?status=delivered").get_data(as_text=True)
    assert "No shipment matches these filters." in none

    at = (utcnow() + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/logistics/shipments/{fresh.id}/events", headers={"HX-Request": "true"},
                    data={"status": "delivered", "occurred_at": at, "location": "Shenzhen",
                          "description": "Signed by the buyer"})
    panel = r.get_data(as_text=True)
    assert "Tracking event recorded." in panel and "Signed by the buyer" in panel and "HX-Request" in r.headers["Vary"]
    db.session.refresh(order)
    assert order.state == COMPLETED
    tracking = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="order-tracking"' in tracking and "SF111111111111" in tracking and "delivered" in tracking
    bad = client.post(f"/logistics/shipments/{stale.id}/events", headers={"HX-Request": "true"},
                      data={"status": "delivered", "occurred_at": "soon"}).get_data(as_text=True)
    assert "is not a date and time" in bad


def test_tracking_import_previews_and_records_all_rows(db, shop, client, login_as):
    order, shipment = shipped(shop, "SF333333333333")
    db.session.commit()
    login_as("merchant_admin", merchant=shop.m)
    bad = b"tracking_number,status,time\nSF333333333333,in_transit,2026-05-01 10:00\nNOPE,delivered,2026-05-02\n"
    r = client.post("/logistics/tracking-import/", data={"file": (io.BytesIO(bad), "t.csv")},
                    content_type="multipart/form-data")
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "tracking number NOPE" in preview and 'data-testid="import-confirm"' not in preview
    good = (b"tracking_number,status,time,location\nSF333333333333,in_transit,2026-05-01 10:00,Shenzhen\n"
            b"SF333333333333,delivered,2026-05-02 10:00,Guangzhou\n")
    r = client.post("/logistics/tracking-import/", data={"file": (io.BytesIO(good), "t.csv")},
                    content_type="multipart/form-data")
    assert "Ready: 2 tracking event(s)." in client.get(r.headers["Location"]).get_data(as_text=True)
    done = client.post(r.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Recorded 2 tracking event(s) from t.csv." in done
    db.session.refresh(order)
    assert order.state == COMPLETED


def test_carriers_are_changed_by_the_platform_only(db, shop, client, login_as):
    login_as("merchant_admin", merchant=shop.m)
    assert client.get("/logistics/carriers/").status_code == 200
    assert client.post("/logistics/carriers/new", data={"code": "X", "name": "X"}).status_code == 403
    login_as("platform_admin")
    bad = client.post("/logistics/carriers/new", data={"code": "YT", "name": "YTO", "tracking_pattern": "[0-9"})
    assert "not a regular expression" in bad.get_data(as_text=True)
    ok = client.post("/logistics/carriers/new", data={"code": "YT", "name": "YTO", "tracking_pattern": "YT[0-9]{13}",
                                                     "active": "1"}, follow_redirects=True)
    assert "YTO" in ok.get_data(as_text=True)


def test_switched_off_the_pages_answer_404_and_leave_the_menu(db, shop, client, login_as):
    login_as("platform_admin")
    assert 'href="/logistics/templates/"' in client.get("/").get_data(as_text=True)
    kernel().set_enabled("logistics", False)
    db.session.flush()
    try:
        for url in ("/logistics/templates/", "/logistics/calculator/", "/logistics/shipments/",
                    "/logistics/carriers/", "/logistics/tracking-import/"):
            assert client.get(url).status_code == 404, url
        assert client.post("/logistics/api/v1/tracking", json={}).status_code == 404
        assert 'href="/logistics/templates/"' not in client.get("/").get_data(as_text=True)
    finally:
        kernel().set_enabled("logistics", True)
