"""CSRF protection on every state-changing request, in an app where it is on
(the other test modules turn it off to post forms without tokens)."""
import re

import pytest
from sqlalchemy import select

from portal.extensions import db as _db
from portal.models import AuditLog, Currency, User, UserSession
from portal.views import PortalModelView
from tests.conftest import PASSWORD, make_app


class CurrencyAdmin(PortalModelView):
    """A Flask-Admin CRUD view, to check its create, delete and action forms."""

    resource = "core.currency"
    column_list = ("code", "name")
    column_default_sort = ("code", True)  # the test's ZZ* codes come first
    form_columns = ("code", "name", "minor_unit", "active")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = make_app(tmp_path_factory, WTF_CSRF_ENABLED=True)
    app.extensions["portal.admin"].add_view(
        CurrencyAdmin(Currency, name="Currencies", endpoint="csrf_currencies", url="/csrf-currencies"))
    return app


def token_in(html):
    """The token the first form of ``html`` carries."""
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', html).group(1)


def header_token_in(page):
    """The token the layout hands to HTMX (hx-headers)."""
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def sign_in(client, user):
    token = token_in(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return user


def audit(action, target):
    return _db.session.execute(
        select(AuditLog).where(AuditLog.action == action, AuditLog.target == target)).scalars().all()


def test_login_without_a_token_is_refused(client, factories, db):
    user = factories.user()
    client.get("/login")
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 400
    assert "reload the page and try again" in r.get_data(as_text=True)
    assert _db.session.execute(select(UserSession).where(UserSession.user_id == user.id)).first() is None
    assert not audit("auth.login", user.email)
    r = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 400
    assert client.get("/account").status_code == 302


def test_login_with_the_token_from_the_form_works(client, factories, db):
    sign_in(client, factories.user())
    assert client.get("/account").status_code == 200


def test_logout_without_a_token_keeps_the_session(client, factories, db):
    sign_in(client, factories.user())
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200
    token = token_in(client.get("/account").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account").status_code == 302


def test_htmx_post_carries_the_token_in_a_header(client, factories, db):
    user = sign_in(client, factories.user())
    page = client.get("/account").get_data(as_text=True)
    form = {"action": "preferences", "locale": "en", "timezone": "Europe/Berlin"}
    r = client.post("/account", data=form, headers={"HX-Request": "true"})
    assert r.status_code == 400
    _db.session.expire_all()
    assert _db.session.get(User, user.id).timezone == "Asia/Shanghai"
    r = client.post("/account", data=form, headers={"HX-Request": "true", "X-CSRFToken": header_token_in(page)})
    assert r.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(User, user.id).timezone == "Europe/Berlin"


def test_account_forms_are_refused_without_a_token(client, factories, db):
    user = sign_in(client, factories.user())
    hash_before = user.password_hash
    r = client.post("/account", data={"action": "password", "current_password": PASSWORD,
                                      "new_password": "a-brand-new-passphrase",
                                      "confirm_password": "a-brand-new-passphrase"})
    assert r.status_code == 400
    _db.session.expire_all()
    assert _db.session.get(User, user.id).password_hash == hash_before
    assert client.post("/language", data={"locale": "zh_Hans_CN"}).status_code == 400


# -- Flask-Admin forms (PortalModelView: form_base_class = FlaskForm) -------------------

def add_currency(code):
    _db.session.add(Currency(code=code, name=f"Test currency {code}", minor_unit=2))
    _db.session.commit()


def delete_form_of(page, code):
    """The hidden fields of the list view's delete button for ``code``."""
    for form in re.findall(r'<form[^>]*action="/csrf-currencies/delete/"[^>]*>(.*?)</form>', page, re.S):
        fields = dict(re.findall(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"', form))
        if fields.get("id") == code:
            return fields
    raise AssertionError(f"no delete form for {code}")


def test_admin_create_form_without_a_token_is_refused(client, factories, db):
    sign_in(client, factories.user())
    r = client.post("/csrf-currencies/new/", data={"code": "ZZA", "name": "Refused", "minor_unit": "2"})
    assert r.status_code == 400
    assert _db.session.get(Currency, "ZZA") is None
    page = client.get("/csrf-currencies/new/").get_data(as_text=True)
    r = client.post("/csrf-currencies/new/", data={"code": "ZZA", "name": "Accepted", "minor_unit": "2",
                                                   "active": "y", "csrf_token": token_in(page)})
    assert r.status_code == 302
    assert _db.session.get(Currency, "ZZA").name == "Accepted"


def test_admin_delete_form_carries_its_token(client, factories, db):
    sign_in(client, factories.user())
    add_currency("ZZS")
    fields = delete_form_of(client.get("/csrf-currencies/").get_data(as_text=True), "ZZS")
    assert fields.get("csrf_token")
    without = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert client.post("/csrf-currencies/delete/", data=without).status_code == 400
    assert _db.session.get(Currency, "ZZS") is not None
    r = client.post("/csrf-currencies/delete/", data=fields)
    assert r.status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Currency, "ZZS") is None
    assert _db.session.execute(select(AuditLog).where(AuditLog.action == "csrf_currencies.delete")).first()


def test_admin_action_form_carries_its_token(client, factories, db):
    sign_in(client, factories.user())
    add_currency("ZZT")
    page = client.get("/csrf-currencies/").get_data(as_text=True)
    action = re.search(r'<form[^>]*id="action_form"[^>]*>(.*?)</form>', page, re.S).group(1)
    token = token_in(action)
    data = {"action": "delete", "rowid": "ZZT", "url": "/csrf-currencies/"}
    assert client.post("/csrf-currencies/action/", data=data).status_code == 400
    assert _db.session.get(Currency, "ZZT") is not None
    assert client.post("/csrf-currencies/action/", data={**data, "csrf_token": token}).status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Currency, "ZZT") is None
