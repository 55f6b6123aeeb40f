"""Core statements compiled once and run on the connection's DBAPI cursor.

Running a Core statement through SQLAlchemy costs, per execution, a cache
key, parameter processing and result set-up: on the reservation path that
is several times what SQLite takes to run it. A ``Prepared`` statement is
compiled once per dialect and, while nothing watches the connection's
statements (no ``before_cursor_execute`` / ``after_cursor_execute``
listener, no echo), goes to the cursor with its parameters converted as
SQLAlchemy would; otherwise it runs through SQLAlchemy as usual, so those
listeners see it. Either way it runs in the connection's transaction.
"""


class Prepared:
    """One statement; ``run(conn, params)`` returns its rows (a list of tuples)."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled = {}

    def run(self, conn, params):
        if _observed(conn):
            result = conn.execute(self.statement, params)
            return [tuple(row) for row in result] if result.returns_rows else []
        dialect = conn.dialect
        key = (dialect.name, dialect.driver)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self.statement, dialect)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.arguments(params))
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()


class _Compiled:
    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = list(compiled.positiontup) if compiled.positional else None
        self.defaults, self.processors = {}, {}
        for bind, name in compiled.bind_names.items():
            if not bind.required:
                self.defaults[name] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[name] = processor
        self.all_names = sorted(set(compiled.bind_names.values()))

    def arguments(self, params):
        values = {name: params[name] if name in params else self.defaults[name] for name in self.all_names}
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        if self.names is not None:
            return tuple(values[name] for name in self.names)
        return values


def _observed(conn):
    dispatch = conn.dispatch
    return bool(dispatch.before_cursor_execute or dispatch.after_cursor_execute or conn.engine.echo)
