"""Drop and create the PostgreSQL database named in a URL, so a test run starts
from nothing: ``python tests/pg/reset_database.py postgresql+psycopg://.../portal_ci``.

Connects to the server's ``postgres`` database to do it; sessions left open on
the old database (an interrupted run) are ended first.
"""
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def recreate_database(url):
    """Drop (if present) and create the database ``url`` points at."""
    url = make_url(url)
    name = url.database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to recreate a database named {name!r}")
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    recreate_database(sys.argv[1])
    print(f"created database {make_url(sys.argv[1]).database}")
