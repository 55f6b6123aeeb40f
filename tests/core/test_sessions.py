"""Server-side sessions: idle and absolute timeouts, what the cookie holds,
and what the user is told when a session has ended."""
from datetime import timedelta

import pytest

from portal import config as config_module
from portal.auth import services, sessions
from portal.models import UserSession, utcnow


def row_of(client, db):
    with client.session_transaction() as s:
        return db.session.get(UserSession, s["sid"])


def age(row, db, created=timedelta(0), idle=timedelta(0)):
    """Move the session's timestamps back, as if time had passed."""
    row.created_at = utcnow() - created
    row.last_seen_at = utcnow() - idle
    db.session.commit()


def sent_to_login(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_defaults_are_30_minutes_idle_and_12_hours_absolute(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_IDLE_TIMEOUT_MINUTES", raising=False)
    monkeypatch.delenv("PORTAL_ABSOLUTE_TIMEOUT_HOURS", raising=False)
    settings = config_module.from_environment(str(tmp_path))
    assert settings["PORTAL_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert settings["PORTAL_ABSOLUTE_TIMEOUT"] == timedelta(hours=12)
    monkeypatch.setenv("PORTAL_IDLE_TIMEOUT_MINUTES", "5")
    assert config_module.from_environment(str(tmp_path))["PORTAL_IDLE_TIMEOUT"] == timedelta(minutes=5)


def test_a_session_in_use_stays_alive_and_is_touched(client, login_as, db):
    login_as()
    row = row_of(client, db)
    age(row, db, created=timedelta(hours=11, minutes=50), idle=timedelta(minutes=29))
    assert client.get("/account").status_code == 200
    db.session.refresh(row)
    assert row.revoked_at is None
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


def test_idle_timeout_ends_the_session(client, login_as, db):
    login_as()
    row = row_of(client, db)
    age(row, db, idle=timedelta(minutes=31))
    assert sent_to_login(client.get("/account"))
    db.session.refresh(row)
    assert row.revoked_reason == "idle timeout"
    page = client.get("/login").get_data(as_text=True)
    assert "signed out after 30 minutes without activity" in page
    # the notice is shown once, and the session does not come back
    assert "without activity" not in client.get("/login").get_data(as_text=True)
    age(row, db)
    assert sent_to_login(client.get("/account"))


def test_absolute_timeout_ends_even_a_busy_session(client, login_as, db):
    login_as()
    row = row_of(client, db)
    age(row, db, created=timedelta(hours=12, minutes=1), idle=timedelta(seconds=5))
    assert sent_to_login(client.get("/account"))
    db.session.refresh(row)
    assert row.revoked_reason == "absolute timeout"
    assert "Your session has expired" in client.get("/login").get_data(as_text=True)


def test_timeouts_follow_the_app_config(app, client, login_as, db, monkeypatch):
    login_as()
    row = row_of(client, db)
    monkeypatch.setitem(app.config, "PORTAL_IDLE_TIMEOUT", timedelta(minutes=5))
    age(row, db, idle=timedelta(minutes=4))
    assert client.get("/account").status_code == 200
    age(row, db, idle=timedelta(minutes=6))
    assert sent_to_login(client.get("/account"))


def test_absolute_timeout_may_be_given_in_seconds(app, client, login_as, db, monkeypatch):
    login_as()
    row = row_of(client, db)
    monkeypatch.setitem(app.config, "PORTAL_ABSOLUTE_TIMEOUT", 3600)
    age(row, db, created=timedelta(minutes=59))
    assert client.get("/account").status_code == 200
    age(row, db, created=timedelta(minutes=61))
    assert sent_to_login(client.get("/account"))


def test_a_session_ended_elsewhere_is_explained_at_the_login_page(app, client, login_as, db):
    user = login_as()
    services.change_password(user, "another-long-passphrase")
    db.session.commit()
    assert sent_to_login(client.get("/"))
    assert "Your session was ended" in client.get("/login").get_data(as_text=True)


def test_the_cookie_holds_only_the_session_id(app, client, login_as, db):
    user = login_as()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert set(data) <= {"sid", "_user_id", "_fresh", "_id", "_permanent", "csrf_token", "_flashes", "locale"}
    assert db.session.get(UserSession, data["sid"]).user_id == user.id
    assert user.email not in cookie and "argon2" not in cookie


def test_live_sessions_leave_out_ended_and_expired_ones(app, client, login_as, login, db):
    user = login_as()
    current = row_of(client, db)
    stale = UserSession(id="stale-session", user_id=user.id, created_at=utcnow(),
                        last_seen_at=utcnow() - timedelta(hours=1))
    revoked = UserSession(id="revoked-session", user_id=user.id, revoked_at=utcnow(), revoked_reason="logout")
    db.session.add_all([stale, revoked])
    db.session.commit()
    with app.test_request_context():
        assert [s.id for s in sessions.live_sessions(user)] == [current.id]


@pytest.mark.parametrize("reason", ["deactivated", "merchant suspended", "password changed"])
def test_end_all_revokes_with_the_reason(app, factories, db, reason):
    user = factories.user()
    db.session.add_all([UserSession(id=f"s1-{reason}", user_id=user.id),
                        UserSession(id=f"s2-{reason}", user_id=user.id)])
    db.session.flush()
    with app.test_request_context():
        assert sessions.end_all(user, reason, keep=f"s2-{reason}") == 1
    assert db.session.get(UserSession, f"s1-{reason}").revoked_reason == reason
    assert db.session.get(UserSession, f"s2-{reason}").revoked_at is None
