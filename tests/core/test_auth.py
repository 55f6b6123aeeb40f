"""Sign-in, sign-out, the account page, and what ends a user's sessions."""
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from portal.auth import passwords, services
from portal.auth.views import _safe_next
from portal.extensions import db as _db
from portal.models import AuditLog, User, UserSession

from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase"


def audit(action, target=None):
    query = select(AuditLog).where(AuditLog.action == action)
    if target is not None:
        query = query.where(AuditLog.target == target)
    return _db.session.execute(query).scalars().all()


def sid_of(client):
    with client.session_transaction() as s:
        return s.get("sid")


def stolen_copy(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    return thief


def sent_to_login(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def error_text(response):
    match = re.search(r'id="login-error">([^<]*)<', response.get_data(as_text=True))
    return match.group(1) if match else None


# -- signing in ---------------------------------------------------------------------

def test_login_page_has_the_form(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' in page and 'name="csrf_token"' in page


def test_login_starts_a_new_session_and_drops_the_old_cookie_content(client, factories, db):
    user = factories.user()
    with client.session_transaction() as s:
        s["sid"], s["planted"] = "chosen-by-an-attacker", "old content"
    r = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    with client.session_transaction() as s:
        assert "planted" not in s
        sid = s["sid"]
    assert sid != "chosen-by-an-attacker" and len(sid) >= 40
    row = db.session.get(UserSession, sid)
    assert row.user_id == user.id and row.revoked_at is None
    assert db.session.get(User, user.id).last_login_at is not None
    assert [a.user_id for a in audit("auth.login", user.email)] == [user.id]
    assert client.get("/account").status_code == 200


def test_signing_in_again_replaces_the_previous_session(client, factories, login, db):
    user = login(factories.user())
    first = sid_of(client)
    login(user)
    second = sid_of(client)
    assert first != second
    assert db.session.get(UserSession, first).revoked_reason == "replaced"
    assert db.session.get(UserSession, second).revoked_at is None


def test_wrong_password_and_unknown_user_get_the_same_answer(client, factories, db):
    user = factories.user()
    hash_before = user.password_hash
    wrong = client.post("/login", data={"email": user.email, "password": "not-the-password!"})
    unknown = client.post("/login", data={"email": "nobody@example.test", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert error_text(wrong) == error_text(unknown) == "Wrong e-mail or password."
    [failed_wrong] = audit("auth.login_failed", user.email)
    [failed_unknown] = audit("auth.login_failed", "nobody@example.test")
    assert failed_wrong.summary == failed_unknown.summary == '{"reason": "wrong e-mail or password"}'
    # nothing changed: no session, no sign-in recorded, same password hash
    assert sid_of(client) is None
    assert db.session.execute(select(UserSession).where(UserSession.user_id == user.id)).first() is None
    db.session.refresh(user)
    assert user.last_login_at is None and user.password_hash == hash_before
    assert client.get("/account").status_code == 302


def test_an_empty_form_is_refused_with_the_same_message(client, db):
    r = client.post("/login", data={})
    assert r.status_code == 401 and error_text(r) == "Wrong e-mail or password."


def test_deactivated_user_cannot_sign_in(client, factories, db):
    user = factories.user()
    services.set_active(user, False)
    db.session.commit()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 401 and "deactivated" in error_text(r)
    assert audit("auth.login_failed", user.email)[0].summary == '{"reason": "deactivated"}'
    assert sid_of(client) is None


# -- what ends sessions ---------------------------------------------------------------

def test_logout_is_post_only(client, login_as):
    login_as()
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200


def test_logout_ends_the_session_on_the_server(app, client, login_as, db):
    user = login_as()
    sid = sid_of(client)
    thief = stolen_copy(app, client)
    assert thief.get("/account").status_code == 200
    r = client.post("/logout")
    assert sent_to_login(r)
    assert sent_to_login(client.get("/account"))
    assert sent_to_login(thief.get("/account"))
    assert db.session.get(UserSession, sid).revoked_reason == "logout"
    assert audit("auth.logout", user.email)


def test_password_change_ends_every_other_copy_of_the_session(app, client, login_as, login, db):
    user = login_as()
    thief = stolen_copy(app, client)
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": user.email, "password": PASSWORD})
    assert elsewhere.get("/account").status_code == 200
    r = client.post("/account", data={"action": "password", "current_password": PASSWORD,
                                      "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert r.status_code == 302
    assert "Password changed" in client.get("/account").get_data(as_text=True)
    assert sent_to_login(thief.get("/account"))
    assert sent_to_login(elsewhere.get("/account"))
    assert audit("user.password", user.email)
    db.session.expire_all()
    assert passwords.verify_password(db.session.get(User, user.id).password_hash, NEW_PASSWORD)
    assert app.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401


@pytest.mark.parametrize("form, message", [
    ({"current_password": "wrong-wrong-wrong", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
     "Current password: it is wrong"),
    ({"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD + "x"},
     "the two entries differ"),
    ({"current_password": PASSWORD, "new_password": "short-one", "confirm_password": "short-one"},
     "at least 12 characters"),
])
def test_password_change_refusals_change_nothing(app, client, login_as, db, form, message):
    user = login_as()
    thief = stolen_copy(app, client)
    hash_before = user.password_hash
    client.post("/account", data={"action": "password", **form})
    assert message in client.get("/account").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == hash_before
    assert not audit("user.password", user.email)
    assert thief.get("/account").status_code == 200


def test_deactivation_ends_all_sessions(app, client, login_as, db):
    user = login_as()
    thief = stolen_copy(app, client)
    services.set_active(user, False)
    db.session.commit()
    assert sent_to_login(client.get("/account"))
    assert sent_to_login(thief.get("/account"))
    assert audit("user.deactivate", user.email)
    # switching the account back on does not revive the old cookie
    services.set_active(user, True)
    db.session.commit()
    assert sent_to_login(thief.get("/account"))


def test_suspended_merchant_locks_its_staff_out(app, client, factories, login, db):
    merchant = factories.merchant()
    user = login(factories.user("merchant_staff", merchant))
    thief = stolen_copy(app, client)
    merchant.status = "suspended"  # even when set without the merchants page
    db.session.commit()
    assert sent_to_login(client.get("/account"))
    assert sent_to_login(thief.get("/"))
    r = app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 401 and "suspended" in error_text(r)
    merchant.status = "active"
    db.session.commit()
    assert sent_to_login(thief.get("/account"))
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    assert fresh.get("/account").status_code == 200


def test_signing_out_other_sessions_from_the_account_page(app, client, login_as, db):
    user = login_as()
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    page = client.get("/account").get_data(as_text=True)
    assert page.count("<tr><td>") == 2 and "this one" in page
    client.post("/account", data={"action": "end_others"})
    assert "Signed out 1 other session." in client.get("/account").get_data(as_text=True)
    assert sent_to_login(other.get("/account"))
    assert client.get("/account").status_code == 200
    assert audit("auth.end_sessions", user.email)


# -- the account page -----------------------------------------------------------------

def test_preferences_are_saved_and_audited(client, login_as, db):
    user = login_as()
    r = client.post("/account", data={"action": "preferences", "locale": "zh_Hans_CN", "timezone": "Europe/Paris"})
    assert r.status_code == 302
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.locale, saved.timezone) == ("zh_Hans_CN", "Europe/Paris")
    assert audit("user.preferences", user.email)
    assert '<option value="Europe/Paris" selected>' in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize("locale, timezone, message", [
    ("en", "Mars/Olympus_Mons", "Time zone: Mars/Olympus_Mons is not a known time zone"),
    ("xx", "Europe/Paris", "Language: unknown choice"),
])
def test_bad_preferences_change_nothing(client, login_as, db, locale, timezone, message):
    user = login_as()
    client.post("/account", data={"action": "preferences", "locale": locale, "timezone": timezone})
    assert message in client.get("/account").get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(User, user.id)
    assert (saved.locale, saved.timezone) == ("en", "Asia/Shanghai")
    assert not audit("user.preferences", user.email)


def test_account_page_needs_a_session(client, db):
    assert client.get("/account").headers["Location"] == "/login?next=/account"
    r = client.get("/account", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/login"


def test_language_switch_is_saved_for_the_user(client, login_as, db):
    user = login_as()
    r = client.post("/language", data={"locale": "zh_Hans_CN", "next": "//evil.example/"})
    assert r.headers["Location"] == "/"
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "zh_Hans_CN"
    assert audit("user.preferences", user.email)


# -- ?next= ----------------------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "/\n/evil.example", "javascript:alert(1)", "http:/evil.example", "evil.example", "",
])
def test_next_never_leaves_the_site(client, factories, db, target):
    user = factories.user()
    r = client.post("/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/login", query_string={"next": target}).headers["Location"] == "/"


def test_next_to_a_page_of_the_site_is_followed(client, factories, db):
    user = factories.user()
    r = client.post("/login?next=/merchants/%3Fq%3Dx", data={"email": user.email, "password": PASSWORD})
    assert r.headers["Location"] == "/merchants/?q=x"
    assert _safe_next("/plugins/") == "/plugins/"


# -- passwords -------------------------------------------------------------------------

@pytest.mark.parametrize("password, message", [
    ("", "at least 12"), ("elevenchars", "at least 12"), ("x" * 1025, "at most 1024"),
    ("aaaaaaaaaaaaaaaa", "too repetitive"), ("Someone@Example.test", "not be the e-mail"),
])
def test_password_policy(password, message, app):
    with app.test_request_context():
        with pytest.raises(passwords.WeakPassword, match=message):
            passwords.check_policy(password, "someone@example.test")
        passwords.check_policy("twelve chars", "someone@example.test")


def test_passwords_are_hashed_with_argon2id():
    hashed = passwords.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert passwords.verify_password(hashed, PASSWORD)
    assert not passwords.verify_password(hashed, PASSWORD + "!")
    assert not passwords.verify_password("", "not-a-real-password-only-for-timing")
    assert not passwords.verify_password("garbage", PASSWORD)
    # the production parameters are memory-hard: at least 64 MiB
    assert PasswordHasher().memory_cost >= 65536


def test_weaker_hashes_are_upgraded_at_sign_in(factories, db):
    user = factories.user()
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1).hash(PASSWORD)
    assert passwords.needs_rehash(user.password_hash)
    assert services.authenticate(user.email, PASSWORD) is user
    assert not passwords.needs_rehash(user.password_hash)


def test_create_user_refuses_a_weak_password(app, db):
    with app.test_request_context():
        with pytest.raises(passwords.WeakPassword):
            services.create_user("weak@example.test", "short", [services.role_by_name("platform_admin")])
    assert services.find_by_email("weak@example.test") is None
