"""The members' pages through the client: permissions, scope (another
merchant's member is 404), masking, the live segment count, the exports,
erasure, and the plugin switched off (404, no menu entry, no linking)."""
from sqlalchemy import select

from plugins.members.models import Member, MemberOrder
from portal.models import AuditLog
from portal.plugins import kernel
from plugins.orders.services import place
from tests.plugins.members.helpers import buyer, member_of, place_for


def test_the_list_and_a_member_page_for_the_platform(store, ladder, client, login_as):
    order = place_for(store, "PG-1")
    member = member_of(order)
    login_as("platform_admin")
    page = client.get("/members/")
    assert page.status_code == 200 and "PG-1" in page.get_data(as_text=True)
    assert "No member matches" in client.get("/members/?q=nobody-at-all").get_data(as_text=True)
    detail = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "+86 138 0000 0000" in detail  # manage sees the phone in full
    assert order.number in detail
    rows = client.get("/members/?q=PG-1", headers={"HX-Request": "true"})
    assert "HX-Request" in rows.headers["Vary"] and "<html" not in rows.get_data(as_text=True)


def test_merchant_staff_see_their_buyers_masked_and_not_other_merchants(store, ladder, client, login_as):
    mine = member_of(place_for(store, "PG-2"))
    theirs = member_of(place_for(store, "PG-3", lines=[(store.x.id, 1)]))
    login_as("merchant_staff", store.m)
    listing = client.get("/members/").get_data(as_text=True)
    assert "PG-2" in listing and "PG-3" not in listing
    detail = client.get(f"/members/{mine.id}").get_data(as_text=True)
    assert "+86**********0000" in detail and "+86 138 0000 0000" not in detail
    assert "l***@example.test" in detail
    assert client.get(f"/members/{theirs.id}").status_code == 404
    assert client.get("/members/999999").status_code == 404
    assert client.get(f"/members/{mine.id}/export").status_code == 403  # staff read, not manage
    assert client.post(f"/members/{mine.id}/points", data={"points": "5", "reason": "x"}).status_code == 403


def test_points_adjusted_from_the_page(store, ladder, client, login_as):
    member = member_of(place_for(store, "PG-4"))
    login_as("platform_operator")
    response = client.post(f"/members/{member.id}/points", data={"points": "120", "reason": "Birthday"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Points adjusted." in body and 'data-testid="points-balance">120<' in body
    refused = client.post(f"/members/{member.id}/points", data={"points": "-500", "reason": "Oops"},
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "has 120 points; 500 cannot be taken" in refused


def test_export_and_erasure_from_the_page(store, ladder, client, login_as, db):
    order = place_for(store, "PG-5")
    member = member_of(order)
    login_as("platform_admin")
    export = client.get(f"/members/{member.id}/export")
    assert export.status_code == 200 and export.json["member"]["customer_ref"] == "PG-5"
    unconfirmed = client.post(f"/members/{member.id}/erase", data={"confirm": ""}).get_data(as_text=True)
    assert "Type ERASE to confirm" in unconfirmed and member.erased_at is None
    client.post(f"/members/{member.id}/erase", data={"confirm": "ERASE"})
    db.session.expire_all()
    assert db.session.get(Member, member.id).erased_at is not None
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "members.member.erase")).scalar()


def test_segment_live_count_save_and_export(store, ladder, client, login_as, db):
    member = member_of(place_for(store, "PG-6"))
    member.marketing_consent = True
    db.session.flush()
    login_as("platform_admin")
    live = client.post("/members/segments/count", data={"regions": "CN-GD"}, headers={"HX-Request": "true"})
    assert "1 member matches." in live.get_data(as_text=True) and "HX-Request" in live.headers["Vary"]
    bad = client.post("/members/segments/count", data={"min_orders": "many"}, headers={"HX-Request": "true"})
    assert "min_orders" in bad.get_data(as_text=True)
    saved = client.post("/members/segments/new", data={"name": "Guangdong", "regions": "CN-GD"})
    assert saved.status_code == 302
    segment_url = saved.headers["Location"]
    csv_text = client.get(segment_url.rstrip("/") + "/export.csv").get_data(as_text=True)
    assert "PG-6" in csv_text
    assert "rfm-chart" in client.get("/members/segments/").get_data(as_text=True)


def test_levels_page_for_the_platform_only(ladder, client, login_as, db):
    from tests.conftest import create_merchant
    login_as("platform_admin")
    page = client.post("/members/levels/", data={"code": "gold", "name": "Gold", "threshold": "900"})
    assert "The code gold is taken" in page.get_data(as_text=True)
    client.post("/members/levels/", data={"code": "diamond", "name": "Diamond", "threshold": "5000",
                                          "discount_percent": "12"})
    assert "Diamond" in client.get("/members/levels/").get_data(as_text=True)
    client.get("/logout")
    login_as("merchant_admin", create_merchant())
    assert client.post("/members/levels/", data={"code": "x", "name": "X", "threshold": "7"}).status_code == 403


def test_switched_off_pages_are_404_no_menu_and_orders_are_not_linked(store, ladder, client, login_as, db):
    kernel().set_enabled("members", False)
    db.session.flush()
    try:
        order = place_for(store, "PG-7")
        assert db.session.get(MemberOrder, order.id) is None
        login_as("platform_admin")
        assert client.get("/members/").status_code == 404
        assert client.get("/members/segments/").status_code == 404
        assert 'href="/members/"' not in client.get("/").get_data(as_text=True)
        assert 'data-testid="order-member"' not in client.get(f"/orders/{order.id}").get_data(as_text=True)
    finally:
        kernel().set_enabled("members", True)
        db.session.flush()
    assert 'href="/members/"' in client.get("/").get_data(as_text=True)


def test_the_new_segment_form_and_a_saved_one_render(ladder, client, login_as):
    login_as("platform_admin")
    page = client.get("/members/segments/new")
    assert page.status_code == 200 and 'data-testid="segment-count"' in page.get_data(as_text=True)
    saved = client.post("/members/segments/new", data={"name": "Tagged", "tags": "vip, gift buyer"})
    body = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'value="vip, gift buyer"' in body or 'value="gift buyer, vip"' in body
    assert client.get("/settings/").status_code == 200


def test_a_store_sees_and_exports_only_the_members_orders_with_that_store(store, ladder, client, login_as, db):
    checkout = place(None, "portal", buyer(), [(store.a.id, 1), (store.x.id, 1)], "PG-TWO")
    ours, theirs = sorted(checkout.orders, key=lambda o: o.merchant_id != store.m.id)
    member = member_of(ours)
    db.session.commit()
    login_as("merchant_admin", store.m)
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert ours.number in page and theirs.number not in page
    assert [o["number"] for o in client.get(f"/members/{member.id}/export").json["orders"]] == [ours.number]
    login_as("platform_admin")
    assert {o["number"] for o in client.get(f"/members/{member.id}/export").json["orders"]} == \
        {ours.number, theirs.number}
