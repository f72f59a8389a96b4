"""Statements every request runs, compiled once per dialect and run straight on the driver.

SQLAlchemy's execution path (execution context, events, result machinery) costs ≈ 100 µs per
statement, against ≈ 10 µs for SQLite to run the key lookup itself; a request runs several
such statements. A `HotStatement` is an ordinary Core statement, compiled once for each dialect
it meets into its SQL text, the order of its parameters and SQLAlchemy's own bind and result
processors for their types (public `TypeEngine` API), then executed on the connection's driver
cursor inside the caller's transaction. Rows come back as named tuples keyed by column name.

Only plain statements qualify: bind parameters of fixed shape, except `IN` lists of integers
(ids), which are written into the SQL per call (`int()` of each, so nothing else can get in;
an empty list matches nothing); results whose column types need no driver-specific typing.
Everything else goes through `Connection.execute` as usual.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from sqlalchemy import Connection, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

Row: TypeAlias = Any  # a named tuple of the statement's columns, by their keys


def _row_type(keys: list[str]) -> Any:
    """A named tuple with `_mapping`, as SQLAlchemy's rows have: the store builds rows by name."""
    base = namedtuple("Row", keys)  # type: ignore[misc]
    return type("Row", (base,), {"__slots__": (), "_mapping": property(lambda self: self._asdict())})


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # parameter names in order, for a positional paramstyle
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    row: Any  # the named tuple type of a result row (None for a statement without rows)
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]  # the result columns a processor converts
    defaults: dict[str, Any]  # the values of the statement's own literal parameters
    lists: tuple[str, ...]  # parameters that are lists of integers, written into the SQL per call


@contextmanager
def driver_errors(connection: Connection, sql: str) -> Iterator[None]:
    """The driver's own errors as SQLAlchemy raises them everywhere else in the store
    (`sqlalchemy.exc.OperationalError`, `IntegrityError`, ...), and a connection the database
    dropped marked invalid, as `Connection.execute` would: callers judge errors one way
    (`store.db.is_unavailable`)."""
    dialect = connection.dialect
    dbapi_error = dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as error:
        lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, None)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(sql, None, error, dbapi_error, connection_invalidated=lost,
                                  dialect=dialect) from error


class HotStatement:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[type[Dialect], _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(type(dialect))
        if compiled is None:
            compiled = self._compiled[type(dialect)] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = cast(SQLCompiler, cast(ClauseElement, self.statement).compile(dialect=dialect))
        lists = tuple(name for bind, name in compiled.bind_names.items() if bind.expanding)
        for bind, name in compiled.bind_names.items():
            if bind.expanding and not isinstance(bind.type, Integer):
                raise ValueError(f"a hot statement expands lists of integers only, not {name}")
        binds = tuple((name, bind.type.dialect_impl(dialect).bind_processor(dialect))
                      for bind, name in compiled.bind_names.items() if not bind.expanding)
        positional = (tuple(n for n in compiled.positiontup or () if n not in lists)
                      if compiled.positional else None)
        exported: Any = getattr(self.statement, "selected_columns", None)
        if exported is None:
            exported = getattr(self.statement, "exported_columns", ())  # an INSERT/UPDATE's RETURNING
        columns = list(exported)
        row = _row_type([column.key for column in columns]) if columns else None
        processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]
        processed = tuple((index, process) for index, process in enumerate(processors) if process is not None)
        defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required}
        return _Compiled(str(compiled), positional, binds, row, processed, defaults, lists)

    def _cursor(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        compiled = self._for(connection.dialect)
        values = {}
        for name, process in compiled.binds:
            value = params[name] if name in params else compiled.defaults[name]
            values[name] = process(value) if process is not None else value
        sql = compiled.sql
        for name in compiled.lists:  # integers only (checked), so writing them into the SQL is safe
            numbers = ", ".join(str(int(number)) for number in params[name]) or "NULL"
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", numbers)
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver_errors(connection, sql):
            cursor = driver.cursor()
            cursor.execute(sql, [values[name] for name in compiled.positional]
                           if compiled.positional is not None else values)
        return cursor, compiled

    def _row(self, compiled: _Compiled, raw: Any) -> Any:
        values = list(raw)
        for index, process in compiled.processed:
            values[index] = process(values[index])
        return compiled.row._make(values)

    def first(self, connection: Connection, **params: Any) -> Any:
        """The first row, or None."""
        cursor, compiled = self._cursor(connection, params)
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        return self._row(compiled, raw) if raw is not None else None

    def all(self, connection: Connection, **params: Any) -> list[Any]:
        cursor, compiled = self._cursor(connection, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [self._row(compiled, raw) for raw in rows]

    def run(self, connection: Connection, **params: Any) -> int:
        """Execute a statement without rows; the number of rows it changed."""
        cursor, _compiled = self._cursor(connection, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()
