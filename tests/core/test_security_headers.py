"""Headers on every response and the session cookie's flags."""
import re

import pytest

from portal import config as config_module
from tests.conftest import PASSWORD, make_app


def directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def session_cookie(response, app):
    cookies = [c for c in response.headers.getlist("Set-Cookie")
               if c.startswith(app.config["SESSION_COOKIE_NAME"] + "=")]
    assert cookies, response.headers
    return [part.strip().lower() for part in cookies[-1].split(";")]


@pytest.mark.parametrize("path", ["/login", "/no-such-page"])
def test_every_page_carries_the_security_headers(client, path):
    r = client.get(path)
    csp = directives(r)
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in r.headers


def test_scripts_run_only_with_this_response_nonce(client):
    r = client.get("/login")
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script\b[^>]*>", r.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert nonce not in client.get("/login").headers["Content-Security-Policy"]


def test_static_files_may_be_cached_but_not_sniffed(client):
    r = client.get("/static/portal.js")
    assert r.status_code == 200
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in r.headers.get("Cache-Control", "")


def test_session_cookie_is_httponly_and_samesite_lax(app, client, factories, db):
    user = factories.user()
    r = client.post("/login", data={"email": user.email, "password": PASSWORD})
    flags = session_cookie(r, app)
    assert "httponly" in flags and "samesite=lax" in flags
    assert "secure" not in flags  # plain http on a developer machine
    assert not any(f.startswith("expires=") for f in flags)  # ends with the browser


def test_https_makes_the_cookie_secure(tmp_path_factory):
    app = make_app(tmp_path_factory, PORTAL_HTTPS=True)
    r = app.test_client().get("/login", base_url="https://localhost")
    flags = session_cookie(r, app)
    assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


def test_portal_https_variable_sets_the_cookie_flags(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_HTTPS", "1")
    settings = config_module.from_environment(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] and settings["SESSION_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("PORTAL_HTTPS", "0")
    assert not config_module.from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"]
