"""Alembic environment for the portal, run by ``flask db ...`` (Flask-Migrate).

The metadata is the application's: every core table and every installed
plugin's (``create_app`` imports their models through
``portal_register_models``). Batch mode and the naming convention in
``portal/extensions.py`` make ALTERs work on SQLite as on PostgreSQL.
What one database gets and the other does not (dialect-only indexes, a
table's ``info["dialect_ddl"]``) is written behind a dialect test, so one
revision serves both.
"""
import logging
from logging.config import fileConfig

from alembic import context
from alembic.autogenerate import render, renderers, rewriter
from alembic.operations import ops
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


def dialect_only(index):
    """The database an index is declared for with ``Index(...).ddl_if(dialect=...)``
    (a PostgreSQL trigram index), or None for an index every database gets."""
    condition = getattr(index, "_ddl_if", None)
    return condition.dialect if condition is not None else None


class DialectCreateIndexOp(ops.CreateIndexOp):
    """Creates an index only on the database it is declared for."""


class DialectDropIndexOp(ops.DropIndexOp):
    """Drops an index only on the database it is declared for."""


def _guarded(rendered, dialect):
    # one line: alembic re-indents each rendered line on its own
    return f"if op.get_bind().dialect.name == {dialect!r}: " + rendered


@renderers.dispatch_for(DialectCreateIndexOp)
def _render_create(autogen_context, op_):
    rendered = render._add_index(autogen_context, op_)
    if op_.extension:  # e.g. pg_trgm for a trigram index, named in the index's info
        rendered = f"op.execute('CREATE EXTENSION IF NOT EXISTS {op_.extension}'); " + rendered
    return _guarded(rendered, op_.dialect)


@renderers.dispatch_for(DialectDropIndexOp)
def _render_drop(autogen_context, op_):
    return _guarded(render._drop_index(autogen_context, op_), op_.dialect)


def dialect_ddl(table_name):
    """What a model table adds on one database beyond what SQLAlchemy can declare
    (the catalog's FTS5 search table and triggers on SQLite), from its
    ``info["dialect_ddl"]``: ``{"dialect", "create", "drop", "tables"}``; or None."""
    table = get_metadata().tables.get(table_name)
    return table.info.get("dialect_ddl") if table is not None else None


class DialectDDLOp(ops.MigrateOperation):
    """Runs a table's dialect DDL statements only on that database."""

    def __init__(self, dialect, statements):
        self.dialect, self.statements = dialect, tuple(statements)

    def to_diff_tuple(self):
        # ``flask db check`` lists every operation it would add, this one too
        return ("execute_on_" + self.dialect, self.statements)


@renderers.dispatch_for(DialectDDLOp)
def _render_ddl(autogen_context, op_):
    return [_guarded(f"op.execute({statement!r})", op_.dialect) for statement in op_.statements]


def _metadata_index(name):
    for table in get_metadata().tables.values():
        for index in table.indexes:
            if index.name == name:
                return index
    return None


writer = rewriter.Rewriter()


def deferred_foreign_keys(table_name):
    """The ``use_alter`` foreign keys of other tables that point at this one:
    a cycle (a page and its versions) that CREATE TABLE cannot close. SQLite
    writes them inline (it has no ALTER for constraints); PostgreSQL skips them
    in CREATE TABLE, so the revision adds them once their target exists."""
    found = []
    for table in get_metadata().tables.values():
        for constraint in table.foreign_key_constraints:
            if constraint.use_alter and constraint.referred_table.name == table_name:
                found.append((table.name, constraint))
    return found


def _add_foreign_key(table_name, constraint):
    columns = ", ".join(column.name for column in constraint.columns)
    targets = ", ".join(element.column.name for element in constraint.elements)
    return (f"ALTER TABLE {table_name} ADD CONSTRAINT {constraint.name} FOREIGN KEY ({columns}) "
            f"REFERENCES {constraint.referred_table.name} ({targets})")


@writer.rewrites(ops.CreateTableOp)
def _create_table_ddl(context, revision, op_):
    """The statements follow the table they belong to, as create_all runs them
    after it (the models' after_create listeners), so both build the same schema."""
    result = [op_]
    ddl = dialect_ddl(op_.table_name)
    if ddl is not None:
        # the statements are written out below; the copy in the table's info need not be
        op_.info = {key: value for key, value in op_.info.items() if key != "dialect_ddl"}
        result.append(DialectDDLOp(ddl["dialect"], ddl["create"]))
    deferred = deferred_foreign_keys(op_.table_name)
    if deferred:
        result.append(DialectDDLOp("postgresql", [_add_foreign_key(name, fk) for name, fk in deferred]))
    return result if len(result) > 1 else op_


@writer.rewrites(ops.DropTableOp)
def _drop_table_ddl(context, revision, op_):
    result = [op_]
    ddl = dialect_ddl(op_.table_name)
    if ddl is not None:
        result.insert(0, DialectDDLOp(ddl["dialect"], ddl["drop"]))
    deferred = deferred_foreign_keys(op_.table_name)
    if deferred:
        result.insert(0, DialectDDLOp("postgresql", [f"ALTER TABLE {name} DROP CONSTRAINT {fk.name}"
                                                     for name, fk in deferred]))
    return result if len(result) > 1 else op_


@writer.rewrites(ops.CreateIndexOp)
def _create_for_dialect(context, revision, op_):
    """A dialect-only index is created by the revision behind a dialect test,
    so one revision serves SQLite and PostgreSQL."""
    index = _metadata_index(op_.index_name)
    dialect = dialect_only(index) if index is not None else None
    if dialect is None or isinstance(op_, DialectCreateIndexOp):
        return op_
    new = DialectCreateIndexOp.from_index(index)
    new.dialect, new.extension = dialect, index.info.get("extension")
    return new


@writer.rewrites(ops.DropIndexOp)
def _drop_for_dialect(context, revision, op_):
    index = _metadata_index(op_.index_name)
    dialect = dialect_only(index) if index is not None else None
    if dialect is None or isinstance(op_, DialectDropIndexOp):
        return op_
    new = DialectDropIndexOp.from_index(index)
    new.dialect = dialect
    return new


def include_object(object_, name, type_, reflected, compare_to):
    """``flask db check`` on one database leaves out the indexes declared for
    another (they are not there, by design); generating a revision keeps them."""
    if type_ == "index" and not reflected and not getattr(config.cmd_opts, "autogenerate", False):
        dialect = dialect_only(object_)
        if dialect is not None and dialect != get_engine().dialect.name:
            return False
    return True


def include_name(name, type_, parent_names):
    """Tables made by a model's dialect DDL are not the models' (an FTS5 table
    and the shadow tables SQLite keeps for it, named after it): autogenerate
    neither reflects them nor proposes to drop them."""
    if type_ == "table":
        for table in get_metadata().tables.values():
            for made in (table.info.get("dialect_ddl") or {}).get("tables", ()):
                if name == made or name.startswith(made + "_"):
                    return False
    return True


def run_migrations_offline():
    """``flask db upgrade --sql``: print the SQL instead of running it."""
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=get_metadata(),
                      literal_binds=True, **current_app.extensions["migrate"].configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on the application's database."""

    def process_revision_directives(context, revision, directives):
        writer(context, revision, directives)
        # an autogenerate that finds nothing writes no empty revision
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_object", include_object)
    conf_args.setdefault("include_name", include_name)

    with get_engine().connect() as connection:
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
