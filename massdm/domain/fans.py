"""What a fan record must look like when the platform hands it to massdm (API body or CSV row)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from massdm.domain.ids import MAX_DB_ID, parse_db_id

FanStatus = Literal["all", "active", "expired"]  # which fans a listing shows

MAX_NAME_LENGTH = 200
TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off", ""})

# CSV headers accepted for each field (wire camelCase and snake_case both work).
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "fan_id", "fanId"),
    "username": ("username",),
    "name": ("name", "display_name", "displayName"),
    "subscribed_at": ("subscribed_at", "subscribedAt"),
    "expires_at": ("expires_at", "expiresAt"),
    "auto_renew": ("auto_renew", "autoRenew"),
    "following": ("following",),
    "muted": ("muted",),
    "tagged": ("tagged",),
    "friend": ("friend", "friends"),
    "online": ("online", "is_online", "isOnline"),
    "tips_cents": ("tips", "tips_summ", "tipsSumm"),  # USD, like the API's tipsSumm
    "subscriptions_cents": ("subscriptions", "subscribes_summ", "subscribesSumm"),  # USD
    "last_seen_at": ("last_seen", "last_seen_at", "lastSeen"),  # an instant; empty: not known
}


def listing_status(endpoint: FanStatus, fan_type: FanStatus | None) -> FanStatus | None:
    """The fans a listing shows when `type` narrows its endpoint's: the endpoint's own status, or the
    one `type` names on /fans/all; None when the two contradict (`/fans/active?type=expired`)."""
    if fan_type is None or fan_type == "all" or fan_type == endpoint:
        return endpoint
    return fan_type if endpoint == "all" else None


def parse_flag(raw: str, field: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{field}: {raw!r} is not a yes/no value")


def parse_instant(raw: str, field: str) -> datetime:
    """An ISO 8601 instant (`2026-01-02T03:04:05Z`) or `Y-m-d H:i:s` in UTC."""
    text = raw.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field}: {raw!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_fan_id(raw: str | int, field: str = "id") -> int:
    value = parse_db_id(raw)
    if value is None:
        raise ValueError(f"{field}: {raw!r} is not a positive integer id (1..{MAX_DB_ID})")
    return value


def check_text(value: str, field: str, *, required: bool) -> str:
    if required and not value.strip():
        raise ValueError(f"{field} must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"{field} must be at most {MAX_NAME_LENGTH} characters")
    if "\x00" in value:
        raise ValueError(f"{field} must not contain NUL characters")
    return value
