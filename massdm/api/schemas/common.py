"""Building blocks shared by every wire model."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from massdm.domain.ids import MAX_DB_ID, parse_db_id


def _clean_text(value: str) -> str:
    """Reject what no database column can hold: NUL bytes and lone UTF-16 surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_clean_text)]
DbId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]  # an id as JSON (or a path) gives it: a number in range


def _positive_id(value: object) -> int:
    parsed = parse_db_id(value) if isinstance(value, int | str) else None
    if parsed is None:
        raise ValueError(f"must be a positive integer id (1..{MAX_DB_ID})")
    return parsed


# Numeric ids arrive as ints or strings ("123"); either way they become an int in range. Read before
# pydantic's lax coercion, which would take `true` for 1 and `1.0` for 1.
IdLike = Annotated[int | str, BeforeValidator(_positive_id)]


def _utc(moment: datetime) -> datetime:
    """Naive dates are UTC; any offset is converted. Out-of-range instants are invalid, not a 500."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is outside the supported date range") from None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: object) -> object:
    """Only ISO 8601 text is a date: pydantic's lax datetime would read 1735689600 (or "1735689600",
    or 1.5) as Unix time, which no client of the contract sends and none would mean."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date-time string, like 2025-01-01T00:00:00.000Z")
    return value


# An ISO 8601 instant from a request (text only), as aware UTC.
Instant = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_utc)]


def iso(moment: datetime | None) -> str | None:
    """Response dates: ISO 8601 with offset, e.g. 2025-01-01T01:01:01+00:00."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def iso_instant(moment: datetime) -> str:
    """A sent message's date in the sent lists: to the microsecond, always with its fraction
    (2025-01-01T01:01:01.000000+00:00), so that as an endDate it is that exact instant."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class SuccessOut(WireModel):
    """`{"success": true}`: what a deletion answers."""

    success: bool = True


class Credits(BaseModel):
    used: int
    balance: int
    note: str


class Cache(BaseModel):
    is_cached: bool = False
    note: str = "Cache disabled for this endpoint"


class RateLimits(BaseModel):
    limit_minute: int
    limit_day: int | None
    remaining_minute: int
    remaining_day: int | None
    notice: str | None = Field(default=None, exclude_if=lambda v: v is None)


class Meta(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, populate_by_name=True)

    credits: Credits = Field(alias="_credits")
    cache: Cache = Field(alias="_cache")
    rate_limits: RateLimits = Field(alias="_rate_limits")


class Pagination(BaseModel):
    next_page: str | None


T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    model_config = ConfigDict(serialize_by_alias=True, populate_by_name=True)

    data: T
    meta: Meta = Field(alias="_meta")


class PagedEnvelope(BaseModel, Generic[T]):
    model_config = ConfigDict(serialize_by_alias=True, populate_by_name=True)

    data: T
    pagination: Pagination = Field(alias="_pagination")
    meta: Meta = Field(alias="_meta")

    @classmethod
    def page(cls, data: T, next_page: str | None, meta: Meta) -> PagedEnvelope[T]:
        return cls(data=data, pagination=Pagination(next_page=next_page), meta=meta)


class ErrorBody(BaseModel):
    """The contract's error shape (documented for every route)."""

    model_config = ConfigDict(serialize_by_alias=True, populate_by_name=True)

    error: str
    message: str
    description: str
    errors: dict[str, list[str]] | None = None
    meta: Meta | None = Field(default=None, alias="_meta")
