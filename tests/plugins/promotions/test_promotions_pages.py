"""The promotions' pages through the client: the list, the form (create,
schedule, errors named by field), copy / pause / end, the report, coupon
batches and their export, the simulator, the calendar, the explanation on the
order page, permissions, another merchant's rule (404) and the plugin off."""
from decimal import Decimal

from sqlalchemy import select

from plugins.promotions.models import CouponCode, Rule
from portal.models import AuditLog
from portal.plugins import kernel
from tests.plugins.orders.helpers import buyer


def _rule_form(**fields):
    data = {"name": "Spend 100 save 20", "kind": "tiers", "tiers": "100:20, 200:50", "scope": "store",
            "funder": "merchant", "priority": "5"}
    data.update(fields)
    return data


def test_merchant_admin_creates_a_rule_for_its_own_store_and_sees_it_listed(db, store, client, login_as):
    login_as("merchant_admin", store.m)
    response = client.post("/promotions/rules/new", data=_rule_form())
    assert response.status_code == 302
    rule = db.session.execute(select(Rule)).scalar_one()
    assert rule.merchant_id == store.m.id and rule.params["tiers"] == [["100", "20"], ["200", "50"]]
    page = client.get("/promotions/rules/").get_data(as_text=True)
    assert "Spend 100 save 20" in page and "running" in page
    assert db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "promotions")).scalars().all() == \
        ["promotions.create_rule"]


def test_a_wrong_field_comes_back_named_and_nothing_is_written(db, store, client, login_as):
    login_as("merchant_admin", store.m)
    response = client.post("/promotions/rules/new", data=_rule_form(tiers="100:abc"))
    assert response.status_code == 200
    assert "write each tier as spend:saving" in response.get_data(as_text=True)
    response = client.post("/promotions/rules/new", data=_rule_form(scope="sku", targets="NOPE-1"))
    assert "SKU NOPE-1 does not exist." in response.get_data(as_text=True)
    assert db.session.execute(select(Rule)).first() is None


def test_a_merchant_cannot_target_another_merchants_sku(db, store, client, login_as):
    login_as("merchant_admin", store.m)
    response = client.post("/promotions/rules/new", data=_rule_form(scope="sku", targets=store.x.code))
    assert f"SKU {store.x.code} does not exist." in response.get_data(as_text=True)


def test_another_merchants_rule_is_404_and_not_listed(db, store, client, login_as, make_rule):
    theirs = make_rule(store.other, name="Their secret sale")
    platform = make_rule(None, name="Platform wide")
    login_as("merchant_admin", store.m)
    assert client.get(f"/promotions/rules/{theirs.id}").status_code == 404
    assert client.get(f"/promotions/rules/{platform.id}").status_code == 404
    assert client.post(f"/promotions/rules/{theirs.id}/pause").status_code == 404
    assert client.get(f"/promotions/rules/{theirs.id}/report").status_code == 404
    page = client.get("/promotions/rules/").get_data(as_text=True)
    assert "Their secret sale" not in page and "Platform wide" not in page


def test_merchant_staff_read_but_cannot_create(db, store, client, login_as, make_rule):
    rule = make_rule(store.m, name="Readable")
    login_as("merchant_staff", store.m)
    assert "Readable" in client.get("/promotions/rules/").get_data(as_text=True)
    assert client.get("/promotions/rules/new").status_code == 403
    assert client.post(f"/promotions/rules/{rule.id}/pause").status_code == 403


def test_copy_pause_resume_and_end(db, store, client, login_as, make_rule):
    rule = make_rule(store.m, name="Weekend")
    login_as("merchant_admin", store.m)
    assert client.post(f"/promotions/rules/{rule.id}/pause").status_code == 302
    assert db.session.get(Rule, rule.id).status == "paused"
    client.post(f"/promotions/rules/{rule.id}/resume")
    assert db.session.get(Rule, rule.id).status == "active"
    response = client.post(f"/promotions/rules/{rule.id}/copy")
    copy = db.session.execute(select(Rule).where(Rule.name == "Copy of Weekend")).scalar_one()
    assert response.headers["Location"].endswith(f"/promotions/rules/{copy.id}") and copy.status == "paused"
    client.post(f"/promotions/rules/{rule.id}/end")
    ended = db.session.get(Rule, rule.id)
    assert ended.status == "ended" and ended.ends_at is not None
    page = client.post(f"/promotions/rules/{rule.id}/resume", follow_redirects=True).get_data(as_text=True)
    assert db.session.get(Rule, rule.id).status == "ended"
    assert "cannot be changed that way" in page


def test_scheduling_a_rule_shows_it_as_scheduled_and_in_the_calendar(db, store, client, login_as):
    login_as("merchant_admin", store.m)
    client.post("/promotions/rules/new", data=_rule_form(starts_at="2099-01-02T10:00", ends_at="2099-01-05T10:00"))
    assert "scheduled" in client.get("/promotions/rules/?state=scheduled").get_data(as_text=True)
    calendar = client.get("/promotions/calendar/?start=2099-01-01").get_data(as_text=True)
    assert "Spend 100 save 20" in calendar
    assert "Spend 100 save 20" not in client.get("/promotions/calendar/?start=2099-02-01").get_data(as_text=True)


def test_coupon_batches_are_generated_and_exported(db, store, client, login_as, make_rule):
    rule = make_rule(store.m, kind="coupon", benefit="amount", amount="5", name="Batch coupon")
    login_as("merchant_admin", store.m)
    client.post(f"/promotions/rules/{rule.id}/codes", data={"count": "25", "prefix": "vip"})
    codes = db.session.execute(select(CouponCode).where(CouponCode.rule_id == rule.id)).scalars().all()
    assert len(codes) == 25 and len({c.code for c in codes}) == 25 and all(c.code.startswith("VIP") for c in codes)
    csv = client.get(f"/promotions/rules/{rule.id}/codes/{codes[0].batch}.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert len(csv.get_data(as_text=True).strip().splitlines()) == 26
    response = client.post(f"/promotions/rules/{rule.id}/codes", data={"count": "0"}, follow_redirects=True)
    assert "enter how many codes" in response.get_data(as_text=True)
    assert client.get(f"/promotions/rules/{rule.id}/codes/NOPE.csv").status_code == 404


def test_simulator_explains_applied_and_other_live_rules(db, store, client, login_as, make_rule):
    make_rule(store.m, kind="tiers", tiers="100:20", name="Spend 100 save 20", priority="2")
    make_rule(store.m, kind="amount", amount="5", name="Five off", priority="1", exclusive="1")
    make_rule(store.m, scope="sku", targets=store.b.code, name="B only")
    login_as("merchant_admin", store.m)
    response = client.post("/promotions/simulator/", data={"lines": f"{store.a.code} 12"},
                           headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"] and "<html" not in page
    assert "Spend 100 save 20" in page and "-20.00" in page
    assert "Cannot combine with Spend 100 save 20" in page
    assert "No line of the cart is in its scope." in page
    bad = client.post("/promotions/simulator/", data={"lines": "NOPE 1"}).get_data(as_text=True)
    assert "SKU NOPE does not exist for this merchant." in bad


def test_the_order_page_shows_why_each_rule_applied_or_not(db, store, client, login_as, make_rule):
    make_rule(store.m, kind="tiers", tiers="100:20", name="Spend 100 save 20")
    make_rule(store.m, kind="coupon", benefit="amount", amount="5", code="HELLO", name="Hello coupon")
    admin = login_as("merchant_admin", store.m)
    from plugins.orders.services import place
    order = place(admin, "portal", buyer(), [(store.a.id, 10)], "C-9").orders[0]
    db.session.commit()
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="promotions-explanation"' in page
    assert "Spend 100 save 20" in page and "Its coupon code was not presented." in page
    assert order.total == Decimal("80.00")
    rule_id = db.session.execute(select(Rule.id).where(Rule.name == "Spend 100 save 20")).scalar()
    report = client.get(f"/promotions/rules/{rule_id}/report").get_data(as_text=True)
    assert order.number in report and "20.00" in report and "80.00" in report


def test_the_new_order_form_takes_coupon_codes(db, store, client, login_as, make_rule):
    make_rule(store.m, kind="coupon", benefit="amount", amount="4", code="FOUR", name="Four off")
    login_as("merchant_admin", store.m)
    data = {**buyer(), "customer_ref": "C-2", "row": ["r1"], "sku_code": [store.a.code], "qty": ["1"],
            "coupon_codes": "four"}
    quote = client.post("/orders/new/quote", data=data, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Four off (FOUR)" in quote
    response = client.post("/orders/new/", data=data)
    assert response.status_code == 302
    bad = client.post("/orders/new/", data={**data, "coupon_codes": "no good!"}).get_data(as_text=True)
    assert "is not a coupon code" in bad


def test_plugin_off_for_the_merchant_hides_pages_and_menu(db, store, client, login_as, make_rule):
    rule = make_rule(store.m, name="Hidden")
    login_as("merchant_admin", store.m)
    assert "/promotions/rules/" in client.get("/").get_data(as_text=True)
    kernel().set_enabled("promotions", False, merchant_id=store.m.id)
    db.session.commit()
    assert client.get("/promotions/rules/").status_code == 404
    assert client.get(f"/promotions/rules/{rule.id}").status_code == 404
    assert client.get("/promotions/simulator/").status_code == 404
    assert "/promotions/rules/" not in client.get("/").get_data(as_text=True)
