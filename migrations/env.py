"""Alembic environment for the portal, run by ``flask db ...`` (Flask-Migrate).

The metadata is the application's: every core table and every installed
plugin's (``create_app`` imports their models through
``portal_register_models``). Batch mode and the naming convention in
``portal/extensions.py`` make ALTERs work on SQLite as on PostgreSQL.
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config

# Keep the loggers that already exist (the app's, pytest's): fileConfig would
# otherwise silence them when a test runs an upgrade in-process.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    """The application's engine (Flask-SQLAlchemy 3)."""
    return target_db.engine


def get_metadata():
    """The metadata autogenerate compares the database with."""
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline():
    """``flask db upgrade --sql``: print the SQL instead of running it."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=get_metadata(),
                      literal_binds=True, **current_app.extensions["migrate"].configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on the application's database."""

    def process_revision_directives(context, revision, directives):
        # an autogenerate that finds nothing writes no empty revision
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
