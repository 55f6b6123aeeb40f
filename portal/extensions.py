"""Flask extensions, created unbound so several apps (tests) can share them.

The Flask-Admin ``Admin`` is not here: its views become blueprints of one app,
so ``create_app`` makes one per application (``app.extensions["portal.admin"]``).
"""
import sqlite3

from flask import has_request_context, request
from flask_babel import Babel
from flask_htmx import HTMX
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_principal import Principal
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
principal = Principal(use_sessions=False, skip_static=True)
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Foreign keys on and WAL for every SQLite connection (off by default).

    The driver's own transaction handling is switched off and SQLAlchemy
    emits BEGIN itself: otherwise SAVEPOINTs and locking do not work as written."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """On SQLite a transaction that has read cannot start writing once another
    connection has written since (SQLITE_BUSY at once: waiting cannot help),
    so a request that changes something (any method but GET, HEAD, OPTIONS)
    takes the write lock when it begins, waiting for other writers in turn.
    Reads, jobs and commands begin as usual (the inventory's operations write
    first by design)."""
    if conn.dialect.name == "sqlite":
        writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
