"""Fixtures: ``app`` (choose plugins with the ``plugins`` marker), ``db`` rolled
back per test, ``client``, ``login_as(role, merchant=None)`` and factories."""
import os

os.environ.setdefault("PORTAL_ARGON2_PROFILE", "test")

import itertools

import pytest
from sqlalchemy import event

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
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal.db")


def make_app(tmp_path_factory, plugins=None, **config):
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        # forms are posted without tokens here; tests/core/test_csrf.py turns it on
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": database_url(tmp_path_factory),
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "PORTAL_UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "PORTAL_LOGIN_LIMIT_ACCOUNT": 1000,
        "PORTAL_LOGIN_LIMIT_IP": 1000,
    }
    settings.update(config)
    app = create_app(settings, plugins=plugins)
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
        app.extensions["portal.plugins"].invalidate()
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session.configure(bind=None, join_transaction_mode="conservative_savepoint")
            outer.rollback()
            connection.close()
            _db.engines[None] = engine
            app.extensions["portal.plugins"].invalidate()


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
