"""PostgreSQL-only tests: what SQLite cannot show (row locks, SELECT ... FOR
UPDATE, several processes racing for the same rows).

They are skipped unless PORTAL_TEST_DATABASE_URL is set; `make test-pg` and CI
set it (postgresql+psycopg://postgres@127.0.0.1:5432/portal_ci). Under
pytest-xdist each worker has its own database (portal_ci_gw0, ...), made by
tests/conftest.py. A test here that starts processes gives them
``pg_database_url`` and lets each open its own engine; the ``db`` fixture's
rolled-back transaction is invisible to them, so such tests commit and clean up
after themselves.
"""
import os

import pytest


@pytest.fixture(autouse=True)
def _postgresql_only():
    if not os.environ.get("PORTAL_TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL only: set PORTAL_TEST_DATABASE_URL (make test-pg)")


@pytest.fixture()
def pg_database_url(app):
    """The URL of this worker's test database, for processes a test starts."""
    return app.config["SQLALCHEMY_DATABASE_URI"]
