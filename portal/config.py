"""Settings read from ``PORTAL_*`` environment variables.

Every knob has a safe default for a developer's machine; production sets the
variables. ``create_app(config=...)`` overrides any of them (tests do).
"""
import os
from datetime import timedelta


def _bool(value):
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _int(name, default):
    return int(os.environ.get(name, default))


def from_environment(instance_path):
    """Return the Flask config mapping built from the environment."""
    env = os.environ
    https = _bool(env.get("PORTAL_HTTPS", "0"))
    database = env.get(
        "PORTAL_DATABASE_URL", "sqlite:///" + os.path.join(instance_path, "portal.db")
    )
    return {
        "SECRET_KEY": env.get("PORTAL_SECRET_KEY") or _instance_secret(instance_path),
        "SQLALCHEMY_DATABASE_URI": database,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database),
        "PORTAL_REDIS_URL": env.get("PORTAL_REDIS_URL") or None,
        "PORTAL_HTTPS": https,
        "PORTAL_IDLE_TIMEOUT": timedelta(minutes=_int("PORTAL_IDLE_TIMEOUT_MINUTES", 30)),
        "PORTAL_ABSOLUTE_TIMEOUT": timedelta(hours=_int("PORTAL_ABSOLUTE_TIMEOUT_HOURS", 12)),
        "PORTAL_LOGIN_LIMIT_ACCOUNT": _int("PORTAL_LOGIN_LIMIT_ACCOUNT", 5),
        "PORTAL_LOGIN_LIMIT_IP": _int("PORTAL_LOGIN_LIMIT_IP", 20),
        "PORTAL_LOGIN_LIMIT_WINDOW": _int("PORTAL_LOGIN_LIMIT_WINDOW_SECONDS", 900),
        "PORTAL_UPLOAD_DIR": env.get("PORTAL_UPLOAD_DIR") or os.path.join(instance_path, "uploads"),
        "PORTAL_UPLOAD_MAX_BYTES": _int("PORTAL_UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
        "PORTAL_REPORTING_CURRENCY": env.get("PORTAL_REPORTING_CURRENCY", "CNY"),
        "PORTAL_TIMEZONE": env.get("PORTAL_TIMEZONE", "Asia/Shanghai"),
        "PORTAL_PLUGINS": [p for p in env.get("PORTAL_PLUGINS", "").split(",") if p] or None,
        "MAX_CONTENT_LENGTH": _int("PORTAL_MAX_REQUEST_BYTES", 64 * 1024 * 1024),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "FLASK_ADMIN_RAISE_ON_VIEW_EXCEPTION": False,
    }


def _engine_options(url):
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _instance_secret(instance_path):
    """A random key kept in the instance folder, so sessions survive restarts
    without anyone having to invent a secret on a developer machine."""
    path = os.path.join(instance_path, "secret_key")
    os.makedirs(instance_path, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another worker (or an earlier start) wrote it
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(32).hex())
    with open(path) as fh:
        return fh.read().strip()
