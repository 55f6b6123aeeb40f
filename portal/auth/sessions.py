"""Server-side sessions. The signed cookie holds only a random session id; the
row decides whether it is still good (revoked, idle or too old), so logout,
password change and deactivation stop a stolen cookie at once."""
import functools
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from sqlalchemy import bindparam, select, update

from ..audit import client_ip
from ..extensions import db
from ..models import User, UserSession, utcnow
from ..plugins import remember_versions, version_columns

SESSION_KEY = "sid"
# last_seen_at is written at most this often: idle timeouts stay exact to the
# minute without a write on every request
TOUCH_EVERY = timedelta(seconds=60)
IDLE, ABSOLUTE, INACTIVE = "idle timeout", "absolute timeout", "account inactive"


def timeout(name):
    """``PORTAL_IDLE_TIMEOUT`` or ``PORTAL_ABSOLUTE_TIMEOUT`` as a timedelta
    (the config may also give a number of seconds)."""
    value = current_app.config[name]
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


def start(user):
    """Begin a new session for ``user``: a fresh id, the old cookie's content
    dropped and its session row (if any) revoked."""
    old = current()
    if old is not None and old.revoked_at is None:
        old.revoked_at, old.revoked_reason = utcnow(), "replaced"
    session.clear()
    row = UserSession(id=secrets.token_urlsafe(32), user_id=user.id, ip=client_ip(),
                      user_agent=(request.user_agent.string or "")[:300])
    db.session.add(row)
    session[SESSION_KEY] = row.id
    session.permanent = False
    g.portal_user_session = row
    return row.id


def current():
    """The valid ``UserSession`` of this request, or None (expired ones are revoked)."""
    if "portal_user_session" in g:
        return g.portal_user_session
    row = None
    sid = session.get(SESSION_KEY)
    if sid:
        # the session row, its user (with merchant) and the state counters in one
        # query: this runs on every signed-in request
        found = db.session.execute(_session_query(), {"sid": sid}).first()
        row = None
        if found:
            row, g.portal_session_user = found[0], found[1]
            remember_versions(found)
        if row is not None and not _still_valid(row):
            row = None
    g.portal_user_session = row
    return row


@functools.cache
def _session_query():
    # built once: constructing the statement costs more than running it
    return (select(UserSession, User, *version_columns())
            .join(User, User.id == UserSession.user_id).where(UserSession.id == bindparam("sid")))


def _still_valid(row):
    if row.revoked_at is not None:
        return False
    now = utcnow()
    reason = None
    if now - row.created_at > timeout("PORTAL_ABSOLUTE_TIMEOUT"):
        reason = ABSOLUTE
    elif now - row.last_seen_at > timeout("PORTAL_IDLE_TIMEOUT"):
        reason = IDLE
    if reason:
        _revoke(row, reason)
        return False
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return True


def _revoke(row, reason):
    # committed at once: the request that finds the session dead may fail later
    row.revoked_at, row.revoked_reason = utcnow(), reason
    db.session.commit()


def load_user():
    """The user of this request's session, or None. A user who may no longer
    sign in (deactivated, merchant suspended) loses the session for good, so
    reactivating the account later does not revive an old cookie."""
    row = current()
    if row is None:
        return None
    user = g.get("portal_session_user") or db.session.get(User, row.user_id)
    if user is not None and user.is_active:
        return user
    _revoke(row, INACTIVE)
    g.portal_user_session = None
    return None


def ended_reason():
    """Why the session this request's cookie names has ended (its revoke
    reason), or None when there is no such session or it is still live."""
    sid = session.get(SESSION_KEY)
    if not sid or current() is not None:
        return None
    row = db.session.get(UserSession, sid)
    return row.revoked_reason if row is not None else None


def end_current(reason="logout"):
    """Revoke this request's session and empty the cookie."""
    row = current()
    if row is not None:
        row.revoked_at, row.revoked_reason = utcnow(), reason
    session.clear()
    g.portal_user_session = None


def end_all(user, reason, keep=None):
    """Revoke every live session of ``user`` except ``keep`` (a session id);
    return how many were ended."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep:
        query = query.where(UserSession.id != keep)
    return db.session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason)).rowcount


def live_sessions(user):
    """The user's sessions that are neither revoked nor timed out, latest first."""
    now = utcnow()
    return db.session.execute(
        select(UserSession).where(
            UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
            UserSession.created_at >= now - timeout("PORTAL_ABSOLUTE_TIMEOUT"),
            UserSession.last_seen_at >= now - timeout("PORTAL_IDLE_TIMEOUT"))
        .order_by(UserSession.last_seen_at.desc())).scalars().all()
