"""API tokens: creation within the creator's rights, hashing, revocation, and
``token_required`` guarding a tiny JSON blueprint registered for these tests."""
import hashlib
import json
import re
import sys
import types
from datetime import timedelta

import pytest
from flask import Blueprint, g
from sqlalchemy import select

from portal import access, audit, create_app, plugins, tokens
from portal.hookspecs import hookimpl
from portal.extensions import db as _db
from portal.models import ApiToken, AuditLog, User, utcnow
from portal.plugins import PluginMeta

bp = Blueprint("tokentest", __name__, url_prefix="/tokentest")


@bp.route("/api/users")
@tokens.token_required("core.merchant", "read")
def list_users():
    users = _db.session.execute(tokens.api_scoped(select(User).order_by(User.id), User)).scalars()
    return {"merchant": g.api_merchant_id, "emails": [u.email for u in users]}


@bp.route("/api/users/<int:user_id>")
@tokens.token_required("core.merchant", "read")
def one_user(user_id):
    return {"email": tokens.api_get_or_404(User, user_id).email}


@bp.route("/api/ping", methods=["POST"])
@tokens.token_required("core.merchant", "write")
def ping():
    return {"pong": g.api_token.name}


def touch_user(actor, user):
    """A service as plugins write them: it checks its actor on the record and audits under it."""
    if access.record_level("core.merchant", user, actor) < access.WRITE:
        raise access.AccessDenied("may not touch this user")
    audit.record("tokentest.touch", target=user.email, actor=actor, merchant_id=user.merchant_id)


@bp.route("/api/users/<int:user_id>/touch", methods=["POST"])
@tokens.token_required("core.merchant", "read")
def touch(user_id):
    try:
        touch_user(g.api_actor, _db.session.get(User, user_id))
    except access.AccessDenied as exc:
        return {"error": str(exc)}, 403
    audit.record("tokentest.touched", target=str(user_id))  # no actor given: the request's token
    _db.session.commit()
    return {"touched": user_id}


@bp.route("/api/things")
@tokens.token_required("tokplug.thing", "read")
def things():
    return {"things": []}


@hookimpl
def portal_register_permissions():
    return [access.Resource("tokplug.thing", "Things")]


def _plugin_module():
    """A plugin a merchant may switch off, guarding ``/tokentest/api/things``."""
    module = types.ModuleType("tokplug_plugin")
    module.__file__ = __file__
    module.__path__ = []
    module.PLUGIN = PluginMeta("tokplug", "Token test", "1.0", merchant_toggle=True)
    module.portal_register_permissions = portal_register_permissions
    return module


@pytest.fixture(scope="module")
def app(app):
    """The session's app has served requests already, so routes cannot be added
    to it: a sibling app on the same database, with the test blueprint and the
    test plugin beside the installed ones."""
    module = _plugin_module()
    keep = ("TESTING", "SECRET_KEY", "INSTANCE_PATH")
    config = {k: v for k, v in app.config.items() if k in keep or k.startswith(("PORTAL_", "SQLALCHEMY_", "WTF_"))}
    installed = plugins.discover
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, module.__name__, module)
        mp.setattr(plugins, "discover", lambda names=None: installed(names) + [module])
        sibling = create_app(config)
    sibling.test_client_class = app.test_client_class
    sibling.register_blueprint(bp)
    return sibling


@pytest.fixture()
def acme(factories):
    return factories.merchant()


@pytest.fixture()
def blue(factories):
    return factories.merchant()


def bearer(plain):
    return {"Authorization": f"Bearer {plain}"}


# -- creating -------------------------------------------------------------------------

def test_token_is_shown_once_and_stored_hashed(db, factories, acme):
    admin = factories.user("merchant_admin", acme)
    token, plain = tokens.create_token("Shop sync", {"core.merchant": "read"}, acme.id, admin)
    match = re.fullmatch(r"ptk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})", plain)
    assert match, plain
    assert token.prefix == match.group(1)
    assert token.token_hash == hashlib.sha256(match.group(2).encode()).hexdigest()
    assert match.group(2) not in json.dumps([token.name, token.permissions, token.prefix])
    assert tokens.permissions_of(token) == {"core.merchant": access.READ}
    assert token.merchant_id == acme.id and token.created_by_id == admin.id
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "api_token.create")).scalars().all()
    assert len(audit) == 1 and match.group(2) not in audit[0].summary + audit[0].target


@pytest.mark.parametrize("permissions, message", [
    ({"core.jobs": "read"}, "cannot give a token read access to core.jobs"),
    ({"core.currency": "write"}, "cannot give a token write access to core.currency"),
    ({"core.nothing": "read"}, "core.nothing is not a known resource"),
    ({"core.merchant": "admin"}, "unknown level 'admin'"),
    ({"core.merchant": "none"}, "choose at least one permission"),
    ({}, "choose at least one permission"),
])
def test_token_never_exceeds_what_the_creator_holds(db, factories, acme, permissions, message):
    admin = factories.user("merchant_admin", acme)  # core.currency: read; core.jobs: none
    with pytest.raises(tokens.TokenError, match=message):
        tokens.create_token("Too much", permissions, acme.id, admin)
    assert db.session.execute(select(ApiToken)).scalars().all() == []


def test_owner_must_be_within_the_creators_reach(db, factories, acme, blue):
    admin = factories.user("merchant_admin", acme)
    with pytest.raises(access.AccessDenied):
        tokens.create_token("Platform", {"core.merchant": "read"}, None, admin)
    with pytest.raises(access.AccessDenied):
        tokens.create_token("Other store", {"core.merchant": "read"}, blue.id, admin)
    platform_admin = factories.user("platform_admin")
    token, _plain = tokens.create_token("For Blue", {"core.merchant": "write"}, blue.id, platform_admin)
    assert token.merchant_id == blue.id
    with pytest.raises(tokens.TokenError, match="Name: between 1 and 100"):
        tokens.create_token("  ", {"core.merchant": "read"}, None, platform_admin)


def test_authenticate_token(db, factories, acme):
    token, plain = tokens.create_token("Sync", {"core.merchant": "read"}, acme.id, factories.user("platform_admin"))
    assert tokens.authenticate_token(f"Bearer {plain}") is token
    assert tokens.authenticate_token(f"bearer   {plain}") is token
    wrong_secret = plain[:-3] + ("aaa" if not plain.endswith("aaa") else "bbb")
    other_prefix = "ptk_00000000_" + plain.split("_", 2)[2]
    for value in (None, "", plain, f"Basic {plain}", f"Bearer {wrong_secret}", f"Bearer {other_prefix}",
                  "Bearer ptk_zz_short"):
        assert tokens.authenticate_token(value) is None, value
    tokens.revoke_token(token, "tester")
    assert tokens.authenticate_token(f"Bearer {plain}") is None
    assert tokens.revoke_token(token, "tester") is False  # once is enough
    assert len(db.session.execute(select(AuditLog).where(AuditLog.action == "api_token.revoke")).scalars().all()) == 1


# -- guarding routes -----------------------------------------------------------------------

def test_missing_invalid_and_revoked_tokens_get_401(client, factories, acme):
    r = client.get("/tokentest/api/users")
    assert r.status_code == 401 and "Authorization: Bearer" in r.json["error"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/tokentest/api/users", headers=bearer("ptk_12345678_" + "x" * 43)).json == {
        "error": "Invalid API token.", "status": 401}
    token, plain = tokens.create_token("Sync", {"core.merchant": "read"}, acme.id, factories.user("platform_admin"))
    assert client.get("/tokentest/api/users", headers=bearer(plain)).status_code == 200
    tokens.revoke_token(token, "tester")
    r = client.get("/tokentest/api/users", headers=bearer(plain))
    assert r.status_code == 401 and r.json["error"] == "This API token has been revoked."


def test_token_without_the_permission_gets_403(client, factories, acme):
    _token, plain = tokens.create_token("Reader", {"core.merchant": "read"}, acme.id, factories.user("platform_admin"))
    r = client.post("/tokentest/api/ping", headers=bearer(plain))
    assert r.status_code == 403 and r.json["error"] == "This API token lacks write access to core.merchant."
    _token, plain = tokens.create_token("Other", {"core.currency": "read"}, acme.id, factories.user("platform_admin"))
    assert client.get("/tokentest/api/users", headers=bearer(plain)).status_code == 403


def test_json_post_needs_no_csrf_token(client, factories, acme, monkeypatch):
    monkeypatch.setitem(client.application.config, "WTF_CSRF_ENABLED", True)
    _token, plain = tokens.create_token("Writer", {"core.merchant": "write"}, acme.id,
                                        factories.user("platform_admin"))
    r = client.post("/tokentest/api/ping", headers=bearer(plain))
    assert r.status_code == 200 and r.json == {"pong": "Writer"}


def test_merchant_token_reaches_only_its_merchant(client, factories, acme, blue):
    mine, theirs = factories.user("merchant_staff", acme), factories.user("merchant_staff", blue)
    creator = factories.user("platform_admin")
    _t, plain = tokens.create_token("Acme", {"core.merchant": "read"}, acme.id, creator)
    r = client.get("/tokentest/api/users", headers=bearer(plain))
    assert r.json["merchant"] == acme.id
    assert mine.email in r.json["emails"] and theirs.email not in r.json["emails"]
    assert client.get(f"/tokentest/api/users/{mine.id}", headers=bearer(plain)).json == {"email": mine.email}
    assert client.get(f"/tokentest/api/users/{theirs.id}", headers=bearer(plain)).status_code == 404
    _t, platform_plain = tokens.create_token("Platform", {"core.merchant": "read"}, None, creator)
    emails = client.get("/tokentest/api/users", headers=bearer(platform_plain)).json["emails"]
    assert {mine.email, theirs.email} <= set(emails)


def test_a_plugin_switched_off_for_the_tokens_merchant_answers_404(client, app, factories, acme, blue):
    creator = factories.user("platform_admin")
    _t, acme_plain = tokens.create_token("Acme", {"tokplug.thing": "read"}, acme.id, creator)
    _t, blue_plain = tokens.create_token("Blue", {"tokplug.thing": "read"}, blue.id, creator)
    assert client.get("/tokentest/api/things", headers=bearer(acme_plain)).status_code == 200
    app.extensions["portal.plugins"].set_enabled("tokplug", False, acme.id)
    _db.session.commit()
    assert client.get("/tokentest/api/things", headers=bearer(acme_plain)).status_code == 404
    assert client.get("/tokentest/api/things", headers=bearer(blue_plain)).status_code == 200
    app.extensions["portal.plugins"].set_enabled("tokplug", False)
    _db.session.commit()
    assert client.get("/tokentest/api/things", headers=bearer(blue_plain)).status_code == 404


def test_suspended_merchant_token_is_refused(client, factories, acme):
    _t, plain = tokens.create_token("Acme", {"core.merchant": "read"}, acme.id, factories.user("platform_admin"))
    acme.status = "suspended"
    _db.session.flush()
    r = client.get("/tokentest/api/users", headers=bearer(plain))
    assert r.status_code == 403 and "suspended" in r.json["error"]


def test_last_used_is_written_at_most_once_a_minute(client, factories, acme):
    token, plain = tokens.create_token("Sync", {"core.merchant": "read"}, acme.id, factories.user("platform_admin"))
    assert token.last_used_at is None
    client.get("/tokentest/api/users", headers=bearer(plain))
    _db.session.refresh(token)
    first = token.last_used_at
    assert first is not None and utcnow() - first < timedelta(seconds=5)
    client.get("/tokentest/api/users", headers=bearer(plain))
    _db.session.refresh(token)
    assert token.last_used_at == first
    token.last_used_at = first - timedelta(minutes=2)
    _db.session.commit()
    client.get("/tokentest/api/users", headers=bearer(plain))
    _db.session.refresh(token)
    assert token.last_used_at > first


# -- the page ---------------------------------------------------------------------------------

def test_merchant_admin_creates_sees_once_and_revokes(client, login_as, acme):
    login_as("merchant_admin", merchant=acme)
    form = client.get("/tokens/new").get_data(as_text=True)
    assert 'name="perm:core.merchant"' in form and 'name="perm:core.jobs"' not in form
    r = client.post("/tokens/new", data={"owner": str(acme.id), "name": "Shop sync", "perm:core.merchant": "read"})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    plain = re.search(r'value="(ptk_[^"]+)"', r.get_data(as_text=True)).group(1)
    token = tokens.authenticate_token(f"Bearer {plain}")
    assert token.merchant_id == acme.id and token.name == "Shop sync"
    listing = client.get("/tokens/").get_data(as_text=True)
    assert f"ptk_{token.prefix}_" in listing and plain not in listing and "Shop sync" in listing
    assert client.post(f"/tokens/{token.id}/revoke").status_code == 302
    assert tokens.authenticate_token(f"Bearer {plain}") is None
    assert "Revoked" in client.get("/tokens/").get_data(as_text=True)


def test_form_refuses_levels_above_the_creators(client, login_as, acme):
    login_as("merchant_admin", merchant=acme)
    r = client.post("/tokens/new", data={"owner": str(acme.id), "name": "Greedy", "perm:core.merchant": "read",
                                         "perm:core.jobs": "manage"})
    assert r.status_code == 200
    assert "cannot give a token manage access to core.jobs" in r.get_data(as_text=True)
    assert _db.session.execute(select(ApiToken)).scalars().all() == []
    assert client.get("/tokens/new?owner=platform").status_code == 403


def test_tokens_of_others_are_invisible(client, login_as, factories, acme, blue):
    creator = factories.user("platform_admin")
    theirs, _p = tokens.create_token("Blue sync", {"core.merchant": "read"}, blue.id, creator)
    platform, _p = tokens.create_token("Platform sync", {"core.merchant": "read"}, None, creator)
    login_as("merchant_admin", merchant=acme)
    listing = client.get("/tokens/").get_data(as_text=True)
    assert "Blue sync" not in listing and "Platform sync" not in listing
    assert client.post(f"/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post(f"/tokens/{platform.id}/revoke").status_code == 404
    assert theirs.revoked_at is None and platform.revoked_at is None


def test_staff_without_the_permission_get_403(client, login_as, acme):
    login_as("merchant_staff", merchant=acme)
    assert client.get("/tokens/").status_code == 403


# -- the token as the acting identity ------------------------------------------------------

def test_services_acting_for_a_token_check_it_and_audit_under_its_name(client, factories, acme, blue):
    mine, theirs = factories.user("merchant_staff", acme), factories.user("merchant_staff", blue)
    creator = factories.user("platform_admin")
    token, plain = tokens.create_token("Shop sync", {"core.merchant": "write"}, acme.id, creator)
    assert client.post(f"/tokentest/api/users/{mine.id}/touch", headers=bearer(plain)).status_code == 200
    rows = _db.session.execute(select(AuditLog).where(AuditLog.action.in_(
        ["tokentest.touch", "tokentest.touched"])).order_by(AuditLog.id)).scalars().all()
    name = f"api token ptk_{token.prefix} (Shop sync)"
    assert [(r.action, r.actor, r.user_id) for r in rows] == [
        ("tokentest.touch", name, None), ("tokentest.touched", name, None)]
    # the service's own check: the token reaches its merchant's records only
    assert client.post(f"/tokentest/api/users/{theirs.id}/touch", headers=bearer(plain)).status_code == 403
    _t, reader = tokens.create_token("Reader", {"core.merchant": "read"}, acme.id, creator)
    assert client.post(f"/tokentest/api/users/{mine.id}/touch", headers=bearer(reader)).status_code == 403
    assert _db.session.execute(select(AuditLog).where(AuditLog.action == "tokentest.touch")).scalars().all() == rows[:1]


def test_a_token_actor_holds_its_tokens_levels_and_owner(db, factories, acme, blue):
    creator = factories.user("platform_admin")
    token, _plain = tokens.create_token("Acme", {"core.merchant": "write"}, acme.id, creator)
    actor = tokens.TokenActor(token)
    assert actor.id is None and actor.merchant_id == acme.id and not actor.is_platform
    assert access.has_level("core.merchant", "write", actor) and not access.has_level("core.merchant", "manage", actor)
    assert not access.has_level("core.settings", "read", actor)
    assert access.record_level("core.merchant", factories.user("merchant_staff", acme), actor) == access.WRITE
    assert access.record_level("core.merchant", factories.user("merchant_staff", blue), actor) == access.NONE
    platform, _plain = tokens.create_token("All", {"core.merchant": "read"}, None, creator)
    anywhere = tokens.TokenActor(platform)
    assert anywhere.is_platform
    assert access.record_level("core.merchant", factories.user("merchant_staff", blue), anywhere) == access.READ
