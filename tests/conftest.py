"""Fixtures: ``app`` (choose plugins with the ``plugins`` marker), ``db`` rolled
back per test, ``client``, ``login_as(role, merchant=None)`` and factories."""
import os

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")

import functools
import itertools

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient

from portal import config as config_module
from portal import create_app
from portal import access
from portal.auth import services
from portal.extensions import db as _db
from portal.models import Merchant
from portal.money import ensure_currencies

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def database_url(tmp_path_factory):
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return worker_database(url, worker) if worker else url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal.db")


@functools.cache
def worker_database(url, worker):
    """Each pytest-xdist worker gets its own PostgreSQL database (portal_ci_gw0,
    ...), created empty once per run: workers sharing one would drop each
    other's tables."""
    from sqlalchemy.engine import make_url

    from tests.pg.reset_database import recreate_database

    url = make_url(url)
    return recreate_database(url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False))


class IsolatedClient(FlaskClient):
    """Each request starts with an empty ``g``, as each request does in
    production. The ``db`` fixture keeps one app context for the whole test and
    Flask reuses it for every request, so without this the signed-in user and
    the per-request caches would leak from one request (and client) to the next."""

    def open(self, *args, **kwargs):
        if has_app_context():
            g._get_current_object().__dict__.clear()
        return super().open(*args, **kwargs)


def make_app(tmp_path_factory, plugins=None, **config):
    # a URL the caller chose wins: computing the default would recreate the worker database
    url = config.get("SQLALCHEMY_DATABASE_URI") or database_url(tmp_path_factory)
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # forms are posted without tokens here; tests/core/test_csrf.py turns it on
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": url,
        # the options read from the environment belong to PORTAL_DATABASE_URL, not this URL
        "SQLALCHEMY_ENGINE_OPTIONS": config_module._engine_options(url),
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "PORTAL_UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "PORTAL_LOGIN_LIMIT_ACCOUNT": 1000,
        "PORTAL_LOGIN_LIMIT_IP": 1000,
        # the demo's orders in every state, without placing two thousand of them per test
        "ORDERS_DEMO_ORDERS": 60,
        # the demo's members across levels and RFM groups, without inserting five thousand per test
        "MEMBERS_DEMO_MEMBERS": 300,
    }
    settings.update(config)
    app = create_app(settings, plugins=plugins)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        ensure_currencies()
        access.sync_builtin_roles()
        _db.session.commit()
    return app


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The portal with every installed plugin, schema created once."""
    return make_app(tmp_path_factory)


def forget_process_caches(app):
    """Rolling a test back rewinds the state counters that guard what a process
    caches (plugin state, users' access, menus); the caches must be dropped with it."""
    app.extensions["portal.plugins"].invalidate()
    app.extensions.pop("portal.access_cache", None)
    app.extensions.pop("portal.menu_cache", None)


@pytest.fixture()
def db(app):
    """A transaction per test, rolled back afterwards: code under test may
    commit (each commit becomes a savepoint)."""
    with app.app_context():
        engine = _db.engines[None]
        connection = engine.connect()
        outer = connection.begin()
        _db.engines[None] = connection
        _db.session.remove()
        _db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
        forget_process_caches(app)
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session.configure(bind=None, join_transaction_mode="conditional_savepoint")
            outer.rollback()
            connection.close()
            _db.engines[None] = engine
            forget_process_caches(app)


@pytest.fixture()
def client(app, db):
    return app.test_client()


# -- factories -------------------------------------------------------------------

def create_merchant(code=None, status="active", **kw):
    n = next(_counter)
    merchant = Merchant(code=code or f"M{n:04d}", name=kw.pop("name", f"Merchant {n}"),
                        legal_name=kw.pop("legal_name", f"Merchant {n} Ltd"), status=status,
                        country=kw.pop("country", "CN"), default_currency=kw.pop("default_currency", "CNY"))
    _db.session.add(merchant)
    _db.session.flush()
    return merchant


def create_user(role="platform_admin", merchant=None, email=None, password=PASSWORD, **kw):
    roles = role if isinstance(role, (list, tuple)) else [role]
    role_objs = [r if not isinstance(r, str) else services.role_by_name(r, merchant) for r in roles]
    user = services.create_user(email or f"user{next(_counter)}@example.test", password, role_objs, merchant, **kw)
    _db.session.flush()
    return user


@pytest.fixture()
def factories(db):
    class F:
        merchant = staticmethod(create_merchant)
        user = staticmethod(create_user)
    return F


@pytest.fixture()
def login(client):
    """``login(user)`` signs the test client in through the real login form."""
    def do(user, password=PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user
    return do


@pytest.fixture()
def login_as(db, login):
    """``login_as("merchant_staff", merchant=m)`` creates a user with that role and signs in."""
    def do(role="platform_admin", merchant=None, **kw):
        return login(create_user(role, merchant, **kw))
    return do
