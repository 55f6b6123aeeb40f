"""Response headers every page carries (a nonce-based CSP, no sniffing, no
framing, no caching of pages) and the session cookie's flags."""
import secrets

from flask import g, request

CSP = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    # Bootstrap and htmx set inline styles; scripts stay nonce-only
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def init_app(app):
    """Set the cookie flags from ``PORTAL_HTTPS`` and add the headers to every response."""
    if app.config.get("PORTAL_HTTPS"):
        # create_app(config={"PORTAL_HTTPS": True}) must not leave cookies sendable over http
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    # scripts never read the cookies, and cross-site POSTs never carry them
    app.config.update(SESSION_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_HTTPONLY=True)
    if app.config.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"

    @app.before_request
    def _nonce():
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP.format(nonce=g.get("csp_nonce", "")))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if not _is_static():
            # back-office pages hold private data: the Back button after sign-out
            # or a shared computer's cache must not show them
            headers.setdefault("Cache-Control", "no-store")
        if app.config.get("PORTAL_HTTPS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _is_static():
    endpoint = request.endpoint or ""
    return endpoint == "static" or endpoint.endswith(".static")
