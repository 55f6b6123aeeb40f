"""The revisions in migrations/ build, from an empty database, exactly the schema
the models describe: ``flask db upgrade`` then ``flask db check`` (autogenerate
finds nothing to add), on SQLite and, when PORTAL_TEST_DATABASE_URL is set, on
PostgreSQL. Each runs the real command in a fresh process, so models imported by
other tests in this process cannot hide or invent a difference."""
import os
import shutil
import sqlite3
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
from alembic.script import ScriptDirectory
from babel.numbers import list_currencies
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIGRATIONS = os.path.join(ROOT, "migrations")

pytestmark = pytest.mark.slow


def own_plugins():
    """The plugins shipped here (as migrations/regenerate.py): a third-party
    plugin someone installed is not the project's migrations' business."""
    return ",".join(sorted(ep.name for ep in entry_points(group="portal.plugins")
                           if ep.value.startswith("plugins.")))


def flask_db(url, instance, *args):
    """Run ``flask db <args>`` against ``url``; returns the finished process."""
    env = dict(os.environ, FLASK_APP="wsgi", PORTAL_DATABASE_URL=url, PORTAL_INSTANCE_PATH=str(instance),
               PORTAL_PLUGINS=own_plugins())
    return subprocess.run([sys.executable, "-m", "flask", "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def succeeded(result):
    assert result.returncode == 0, f"{' '.join(result.args[2:])} failed:\n{result.stdout}\n{result.stderr}"
    return result


def head():
    return ScriptDirectory(MIGRATIONS).get_current_head()


def assert_schema_at_head(url):
    """alembic_version is at head and the ISO currencies are in."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head()
            units = dict(conn.execute(text("SELECT code, minor_unit FROM portal_currency")).all())
    finally:
        engine.dispose()
    assert units["CNY"] == 2 and units["JPY"] == 0 and units["EUR"] == 2
    assert len(units) == len([c for c in list_currencies() if len(c) == 3])


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory):
    """A SQLite file upgraded from nothing by ``flask db upgrade``."""
    folder = tmp_path_factory.mktemp("migrations")
    path = folder / "portal.db"
    succeeded(flask_db(f"sqlite:///{path}", folder / "instance", "upgrade"))
    return folder, path


def copy_of(sqlite_db, name):
    folder, path = sqlite_db
    copy = folder / name
    shutil.copy(path, copy)
    return f"sqlite:///{copy}"


def test_upgrade_from_empty_sqlite(sqlite_db):
    folder, path = sqlite_db
    assert_schema_at_head(f"sqlite:///{path}")


def assert_models_match(url, instance):
    """``flask db check`` finds nothing; else list what differs and how to fix it."""
    result = flask_db(url, instance, "check")
    if result.returncode != 0:
        output = (result.stdout + result.stderr).splitlines()
        found = [line.split("] ", 1)[-1] for line in output if "Detected" in line] or output[-20:]
        pytest.fail("the models and migrations/ disagree (run `make migration` while 0001 is the only "
                    "revision, else `flask db migrate -m ...`):\n  " + "\n  ".join(found), pytrace=False)


def test_models_match_migrations_sqlite(sqlite_db):
    folder, path = sqlite_db
    assert_models_match(f"sqlite:///{path}", folder / "instance")


def test_check_fails_when_a_table_is_missing(sqlite_db):
    """The check above can fail: a table the models have and the database lacks is reported."""
    url = copy_of(sqlite_db, "drift.db")
    with sqlite3.connect(make_url(url).database) as conn:
        conn.execute("DROP TABLE portal_job_state")
    result = flask_db(url, sqlite_db[0] / "instance", "check")
    assert result.returncode != 0
    assert "portal_job_state" in result.stdout + result.stderr


def test_downgrade_to_base_removes_every_table(sqlite_db):
    url = copy_of(sqlite_db, "down.db")
    succeeded(flask_db(url, sqlite_db[0] / "instance", "downgrade", "base"))
    engine = create_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture()
def pg_url(tmp_path):
    """An empty PostgreSQL database beside the test database, dropped afterwards."""
    base = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if not base:
        pytest.skip("PORTAL_TEST_DATABASE_URL is not set")
    url = make_url(base)
    name = f"{url.database}_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def run(sql):
        with admin.connect() as conn:
            conn.execute(text(sql))

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_upgrade_and_check_on_postgresql(pg_url, tmp_path):
    succeeded(flask_db(pg_url, tmp_path / "instance", "upgrade"))
    assert_schema_at_head(pg_url)
    assert_models_match(pg_url, tmp_path / "instance")
