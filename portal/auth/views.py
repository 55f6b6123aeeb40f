"""``/login``, ``/logout``, and the signed-in user's own account page."""
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_principal import AnonymousIdentity, Identity, identity_changed

from ..audit import client_ip, record
from ..extensions import db
from ..i18n import LANGUAGES
from ..views import render_page
from . import passwords, services, sessions

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only a path on this site: never an absolute URL, ``//host``, ``/\\host``
    or a control character that a browser would drop to make one."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a correct password starts a new server-side session."""
    target = _safe_next(request.args.get("next")) or url_for("dashboard.index")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(target)
        return render_page("auth/login.html", email="", error=None, notice=_ended_notice())
    email = (request.form.get("email") or "").strip()
    limiter, ip = current_app.extensions["portal.login_limiter"], client_ip()
    wait = limiter.retry_after(email, ip)
    if wait:
        return _throttled(email, wait)
    user = services.authenticate(email, request.form.get("password") or "")
    reason, error = _refusal(user)
    if error:
        limiter.failed(email, ip)
        record("auth.login_failed", target=email[:200], actor=email[:254] or "anonymous",
               summary={"reason": reason})
        db.session.commit()
        return render_page("auth/login.html", email=email, error=error, notice=None), 401
    limiter.succeeded(email, ip)
    _begin_session(user)
    services.mark_login(user)
    record("auth.login", target=user.email, actor=user, merchant_id=user.merchant_id)
    db.session.commit()
    return redirect(target)


def _begin_session(user):
    """A fresh session id for this browser (the old cookie content is dropped)."""
    sessions.start(user)
    login_user(user)
    identity_changed.send(current_app._get_current_object(), identity=Identity(user.id, "session"))


def _refusal(user):
    """(reason for the audit log, message) when this user (None: no match)
    may not sign in, else (None, None)."""
    if user is None:
        # one message for an unknown e-mail and a wrong password: no account probing
        return "wrong e-mail or password", _("Wrong e-mail or password.")
    if not user.active:
        return "deactivated", _("This account is deactivated. Ask your administrator.")
    if user.merchant is not None and not user.merchant.is_active:
        return "merchant suspended", _("Your merchant's account is suspended, so its staff cannot sign in.")
    return None, None


def _throttled(email, wait):
    record("auth.login_throttled", target=email[:200], actor=email[:254] or "anonymous")
    db.session.commit()
    message = _("Too many sign-in attempts. Try again in %(minutes)d minute(s).", minutes=max(1, (wait + 59) // 60))
    response = current_app.make_response(
        (render_page("auth/login.html", email=email, error=message, notice=None), 429))
    response.headers["Retry-After"] = str(wait)
    return response


def _ended_notice():
    """Tell a user whose cookie names a dead session why they must sign in again."""
    reason = sessions.ended_reason()
    if reason is None:
        return None
    session.pop(sessions.SESSION_KEY, None)
    if reason == sessions.IDLE:
        minutes = max(1, int(sessions.timeout("PORTAL_IDLE_TIMEOUT").total_seconds() // 60))
        return _("You were signed out after %(minutes)d minutes without activity. Please sign in again.",
                 minutes=minutes)
    if reason == sessions.ABSOLUTE:
        return _("Your session has expired. Please sign in again.")
    return _("Your session was ended (for example by a password change). Please sign in again.")


@bp.route("/logout", methods=["POST"])
def logout():
    """End this session on the server, so a copy of the cookie stops working too."""
    if current_user.is_authenticated:
        record("auth.logout", target=current_user.email, merchant_id=current_user.merchant_id)
    sessions.end_current("logout")
    logout_user()
    db.session.commit()
    identity_changed.send(current_app._get_current_object(), identity=AnonymousIdentity())
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Language, time zone, password and live sessions of the signed-in user."""
    user = current_user._get_current_object()
    if request.method == "POST":
        action = {"password": _change_password, "preferences": _save_preferences,
                  "end_others": _end_other_sessions}.get(request.form.get("action"))
        if action is None:
            flash(_("Unknown action; nothing was changed."), "error")
        else:
            action(user, request.form)
        return redirect(url_for("auth.account"))
    return render_page("auth/account.html", user=user, sessions=sessions.live_sessions(user),
                       current_sid=session.get(sessions.SESSION_KEY), languages=LANGUAGES,
                       timezones=sorted(_timezones()))


@lru_cache(maxsize=1)
def _timezones():
    return frozenset(available_timezones())


def _change_password(user, form):
    if not passwords.verify_password(user.password_hash, form.get("current_password") or ""):
        flash(_("Current password: it is wrong; nothing was changed."), "error")
    elif form.get("new_password") != form.get("confirm_password"):
        flash(_("Repeat the new password: the two entries differ; nothing was changed."), "error")
    else:
        try:
            services.change_password(user, form.get("new_password") or "")
        except passwords.WeakPassword as exc:
            flash(_("New password: %(problem)s", problem=str(exc)), "error")
        else:
            # every session ended, this one too: a copy of this browser's cookie
            # must not outlive the old password; this browser gets a new one
            _begin_session(user)
            db.session.commit()
            flash(_("Password changed. Your other sessions were signed out."), "success")


def _save_preferences(user, form):
    locale = form.get("locale")
    tz = (form.get("timezone") or "").strip()
    if locale not in LANGUAGES:
        flash(_("Language: unknown choice; nothing was changed."), "error")
    elif tz not in _timezones():
        flash(_("Time zone: %(tz)s is not a known time zone; nothing was changed.", tz=tz or "—"), "error")
    else:
        user.locale, user.timezone = locale, tz
        record("user.preferences", target=user.email, merchant_id=user.merchant_id,
               summary={"locale": locale, "timezone": tz})
        db.session.commit()
        flash(_("Preferences saved."), "success")


def _end_other_sessions(user, form):
    ended = sessions.end_all(user, "signed out by user", keep=session.get(sessions.SESSION_KEY))
    record("auth.end_sessions", target=user.email, merchant_id=user.merchant_id, summary={"ended": ended})
    db.session.commit()
    flash(ngettext("Signed out %(num)d other session.", "Signed out %(num)d other sessions.", ended), "success")


@bp.route("/language", methods=["POST"])
def language():
    """The language switch in the user menu (also before signing in)."""
    locale = request.form.get("locale")
    if locale in LANGUAGES:
        session["locale"] = locale
        if current_user.is_authenticated and current_user.locale != locale:
            current_user.locale = locale
            record("user.preferences", target=current_user.email, merchant_id=current_user.merchant_id,
                   summary={"locale": locale})
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("dashboard.index"))
