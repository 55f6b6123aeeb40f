"""Merchants: listing within scope, creating with validation, suspending."""
from sqlalchemy import select

from portal.models import AuditLog, Merchant, UserSession
from tests.conftest import PASSWORD


def test_platform_admin_creates_merchant(client, login_as, db):
    login_as("platform_admin")
    r = client.post("/merchants/new", data={"code": "shop1", "name": "Shop One", "legal_name": "Shop One Ltd",
                                            "country": "cn", "default_currency": "cny"})
    assert r.status_code == 302
    merchant = db.session.execute(select(Merchant).where(Merchant.code == "SHOP1")).scalar_one()
    assert (merchant.country, merchant.default_currency, merchant.status) == ("CN", "CNY", "active")
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "merchant.create")).scalar_one()


def test_bad_fields_are_named_and_nothing_is_written(client, login_as, db):
    login_as("platform_admin")
    before = db.session.query(Merchant).count()
    for data, message in [
        ({"code": "x", "name": "N", "country": "CN", "default_currency": "CNY"}, "Code:"),
        ({"code": "OK1", "name": "", "country": "CN", "default_currency": "CNY"}, "Name: required"),
        ({"code": "OK1", "name": "N", "country": "XX", "default_currency": "CNY"}, "Country: XX"),
        ({"code": "OK1", "name": "N", "country": "CN", "default_currency": "ABC"}, "Default currency: ABC"),
    ]:
        r = client.post("/merchants/new", data=data, follow_redirects=True)
        assert message in r.get_data(as_text=True)
    assert db.session.query(Merchant).count() == before


def test_duplicate_code_refused(client, login_as, factories, db):
    factories.merchant(code="DUP")
    login_as("platform_admin")
    r = client.post("/merchants/new", data={"code": "dup", "name": "Again", "country": "CN",
                                            "default_currency": "CNY"})
    assert "already exists" in r.get_data(as_text=True)


def test_merchant_admin_sees_only_its_merchant(client, login_as, factories):
    mine, other = factories.merchant(name="Mine Shop"), factories.merchant(name="Other Shop")
    login_as("merchant_admin", merchant=mine)
    page = client.get("/merchants/").get_data(as_text=True)
    assert "Mine Shop" in page and "Other Shop" not in page
    assert client.get(f"/merchants/{other.id}").status_code == 404
    assert client.get(f"/merchants/{mine.id}").status_code == 200
    # cannot create merchants nor suspend its own
    assert client.post("/merchants/new", data={"code": "NEW1"}).status_code == 403
    assert client.post(f"/merchants/{mine.id}/status", data={"status": "suspended"}).status_code == 403


def test_search_and_status_filter(client, login_as, factories):
    factories.merchant(code="ALPHA", name="Alpha Goods")
    factories.merchant(code="BETA", name="Beta Goods", status="suspended")
    login_as("platform_admin")
    page = client.get("/merchants/?q=alpha").get_data(as_text=True)
    assert "Alpha Goods" in page and "Beta Goods" not in page
    page = client.get("/merchants/?status=suspended").get_data(as_text=True)
    assert "Beta Goods" in page and "Alpha Goods" not in page
    partial = client.get("/merchants/?q=beta", headers={"HX-Request": "true"})
    assert "<nav class=\"navbar" not in partial.get_data(as_text=True)
    assert "Beta Goods" in partial.get_data(as_text=True)
    assert "HX-Request" in partial.headers.get("Vary", "")


def test_suspending_a_merchant_locks_its_staff_out(app, client, login_as, factories, db):
    merchant = factories.merchant()
    staff = factories.user("merchant_staff", merchant)
    staff_client = app.test_client()
    assert staff_client.post("/login", data={"email": staff.email, "password": PASSWORD}).status_code == 302
    assert staff_client.get("/").status_code == 200

    login_as("platform_admin")
    r = client.post(f"/merchants/{merchant.id}/status", data={"status": "suspended"})
    assert r.status_code == 302
    assert db.session.get(Merchant, merchant.id).status == "suspended"
    # the open session is gone, and a new sign-in is refused
    assert staff_client.get("/").status_code == 302
    r = staff_client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert r.status_code == 401 and "suspended" in r.get_data(as_text=True)
    live = db.session.execute(select(UserSession).where(UserSession.user_id == staff.id,
                                                        UserSession.revoked_at.is_(None))).scalars().all()
    assert live == []
