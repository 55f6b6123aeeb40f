"""Sign-in: Flask-Login owns the session, backed by server-side session rows;
Flask-Principal turns the signed-in user into an identity with needs."""
from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_principal import AnonymousIdentity, Identity

from ..extensions import login_manager, principal
from . import ratelimit, sessions


def init_app(app):
    """Wire Flask-Login, Flask-Principal and the sign-in limiter to ``app``
    and add the ``/login``, ``/logout`` and ``/account`` routes."""
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # our session rows do this job
    login_manager.user_loader(lambda _user_id: sessions.load_user())
    login_manager.unauthorized_handler(_unauthorized)
    app.extensions["portal.login_limiter"] = ratelimit.limiter_for(app)

    principal.identity_loader(_identity)
    from .views import bp
    app.register_blueprint(bp)


def _identity():
    if current_user.is_authenticated:
        return Identity(current_user.id, "session")
    return AnonymousIdentity()


def _unauthorized():
    # No flash here: the login page tells why a session ended (views.login).
    if request.headers.get("HX-Request"):
        # HTMX follows redirects silently; ask it to load the login page instead
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = url_for("auth.login")
        return response
    if request.accept_mimetypes.best == "application/json":
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
