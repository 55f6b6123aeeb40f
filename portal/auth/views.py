"""``/login``, ``/logout``, and the signed-in user's own account page."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_principal import AnonymousIdentity, Identity, identity_changed

from ..audit import client_ip, record
from ..extensions import db
from ..i18n import LANGUAGES
from ..views import render_page
from . import passwords, services, sessions

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only a path on this site: never an absolute URL or ``//host``."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")) or url_for("dashboard.index"))
    email = (request.form.get("email") or "").strip()
    if request.method == "POST":
        limiter = current_app.extensions["portal.login_limiter"]
        ip = client_ip()
        wait = limiter.retry_after(email, ip)
        if wait:
            record("auth.login_throttled", target=email[:200], plugin="core", actor=email[:254] or "anonymous")
            db.session.commit()
            message = _("Too many sign-in attempts. Try again in %(minutes)d minute(s).",
                        minutes=max(1, (wait + 59) // 60))
            response = current_app.make_response((render_page("auth/login.html", email=email, error=message), 429))
            response.headers["Retry-After"] = str(wait)
            return response
        user = services.authenticate(email, request.form.get("password") or "")
        error = None
        if user is None:
            error = _("Wrong e-mail or password.")
        elif not user.active:
            error = _("This account is deactivated. Ask your administrator.")
        elif user.merchant is not None and not user.merchant.is_active:
            error = _("Your merchant's account is suspended, so its staff cannot sign in.")
        if error:
            limiter.failed(email, ip)
            record("auth.login_failed", target=email[:200], plugin="core", actor=email[:254] or "anonymous",
                   summary=error)
            db.session.commit()
            return render_page("auth/login.html", email=email, error=error), 401
        limiter.succeeded(email, ip)
        sessions.start(user)
        login_user(user)
        services.mark_login(user)
        record("auth.login", target=user.email, actor=user, merchant_id=user.merchant_id)
        db.session.commit()
        identity_changed.send(current_app._get_current_object(), identity=Identity(user.id, "session"))
        return redirect(_safe_next(request.args.get("next")) or url_for("dashboard.index"))
    return render_page("auth/login.html", email=email, error=None)


@bp.route("/logout", methods=["POST"])
def logout():
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
    user = current_user._get_current_object()
    if request.method == "POST":
        action = request.form.get("action")
        if action == "password":
            if not passwords.verify_password(user.password_hash, request.form.get("current_password") or ""):
                flash(_("The current password is wrong; nothing was changed."), "error")
            elif request.form.get("new_password") != request.form.get("confirm_password"):
                flash(_("The new passwords do not match; nothing was changed."), "error")
            else:
                try:
                    services.change_password(user, request.form.get("new_password") or "",
                                             keep_session=session.get(sessions.SESSION_KEY))
                except passwords.WeakPassword as exc:
                    flash(str(exc), "error")
                else:
                    db.session.commit()
                    flash(_("Password changed. Your other sessions were signed out."), "success")
        elif action == "preferences":
            locale = request.form.get("locale")
            if locale not in LANGUAGES:
                flash(_("Unknown language."), "error")
            else:
                user.locale = locale
                tz = (request.form.get("timezone") or user.timezone).strip()
                from zoneinfo import available_timezones
                if tz not in available_timezones():
                    flash(_("Unknown time zone: %(tz)s", tz=tz), "error")
                else:
                    user.timezone = tz
                    record("user.preferences", target=user.email, merchant_id=user.merchant_id,
                           summary={"locale": locale, "timezone": tz})
                    db.session.commit()
                    flash(_("Preferences saved."), "success")
        return redirect(url_for("auth.account"))
    return render_page("auth/account.html", user=user, sessions=sessions.live_sessions(user),
                       current_sid=session.get(sessions.SESSION_KEY), languages=LANGUAGES)


@bp.route("/language", methods=["POST"])
def language():
    """The language switch in the user menu (also before signing in)."""
    locale = request.form.get("locale")
    if locale in LANGUAGES:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("dashboard.index"))
