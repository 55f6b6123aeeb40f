"""Server-side sessions. The signed cookie holds only a random session id; the
row decides whether it is still good (revoked, idle or too old), so logout,
password change and deactivation stop a stolen cookie at once."""
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from sqlalchemy import select, update

from ..audit import client_ip
from ..extensions import db
from ..models import User, UserSession, utcnow

SESSION_KEY = "sid"
# last_seen_at is written at most this often: idle timeouts stay exact to the
# minute without a write on every request
TOUCH_EVERY = timedelta(seconds=60)


def start(user):
    """Begin a new session for ``user``: a fresh id, the old cookie's content dropped."""
    session.clear()
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=sid, user_id=user.id, ip=client_ip(),
                               user_agent=(request.user_agent.string or "")[:300]))
    session[SESSION_KEY] = sid
    session.permanent = False
    return sid


def current():
    """The valid ``UserSession`` of this request, or None (expired ones are revoked)."""
    if "portal_user_session" in g:
        return g.portal_user_session
    row = None
    sid = session.get(SESSION_KEY)
    if sid:
        row = db.session.get(UserSession, sid)
        if row is not None and not _still_valid(row):
            row = None
    g.portal_user_session = row
    return row


def _still_valid(row):
    if row.revoked_at is not None:
        return False
    now = utcnow()
    reason = None
    if now - row.created_at > current_app.config["PORTAL_ABSOLUTE_TIMEOUT"]:
        reason = "absolute timeout"
    elif now - row.last_seen_at > current_app.config["PORTAL_IDLE_TIMEOUT"]:
        reason = "idle timeout"
    if reason:
        row.revoked_at, row.revoked_reason = now, reason
        db.session.commit()
        return False
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    return True


def load_user():
    row = current()
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def end_current(reason="logout"):
    row = current()
    if row is not None:
        row.revoked_at, row.revoked_reason = utcnow(), reason
    session.clear()
    g.pop("portal_user_session", None)


def end_all(user, reason, keep=None):
    """Revoke every live session of ``user`` except ``keep`` (a session id)."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep:
        query = query.where(UserSession.id != keep)
    db.session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason))


def live_sessions(user):
    return db.session.execute(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())).scalars().all()
