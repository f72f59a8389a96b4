"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# A 64-bit id that is also SQLite's autoincrementing rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, hands back aware UTC.

    SQLite has no time zones and compares datetimes as text, so every value is
    normalised to UTC before it is written; comparisons in SQL then stay correct.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use the clock (UTC, aware)")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return _naive(value)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ANN001
        return None if value is None else _in_utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None]:
        """`process_result_value` after the dialect's own conversion, in one closure (every row
        of every listing converts several of these)."""
        convert = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:  # noqa: ANN401 - what the driver hands over
            if value is None:
                return None
            return _in_utc(cast(datetime, convert(value) if convert is not None else value))

        return process


# The same moment with its zone set or dropped, built by the constructor: `datetime.replace(tzinfo=...)`
# costs several times as much on CPython 3.11, and the store converts every datetime it reads or writes.
def _in_utc(value: datetime) -> datetime:
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond,
                    UTC)


def _naive(value: datetime) -> datetime:
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
