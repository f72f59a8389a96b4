"""Rules for a mass message's content and timing: price, previews, text, schedule.

Pure functions; each failure is a ValidationFailed naming the wire field.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from massdm.errors import ValidationFailed

MIN_PRICE = Decimal("3")
MAX_PRICE = Decimal("200")
CROP_LENGTH = 100
MAX_SUBSCRIBED_DAYS = 30


def price_cents(value: Decimal | float | int | str | None) -> int:
    """USD price to cents: 0, or 3 to 200 with at most two decimals."""
    if value is None:
        return 0
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed.field("price", "The price must be a number.") from None
    if not price.is_finite():
        raise ValidationFailed.field("price", "The price must be a finite number.")
    if price == 0:
        return 0
    if price < MIN_PRICE or price > MAX_PRICE:
        raise ValidationFailed.field("price", "The price must be 0 or between 3 and 200.")
    if price != price.quantize(Decimal("0.01")):
        raise ValidationFailed.field("price", "The price can have at most two decimal places.")
    return int(price * 100)


def format_price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


_TAG = re.compile(r"<[^>]*>")


def raw_text(text: str) -> str:
    """The text without HTML: tags removed, entities decoded, whitespace tidied."""
    plain = html.unescape(_TAG.sub(" ", text.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n")))
    return re.sub(r"[ \t]+", " ", plain).strip()


def crop(text: str, length: int = CROP_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def subscribed_since(days: int, now: datetime) -> datetime:
    """Start (00:00 UTC) of the first of the last `days` calendar days, today included."""
    if not 1 <= days <= MAX_SUBSCRIBED_DAYS:
        raise ValidationFailed.field("subscribedWithinLastDays", "subscribedWithinLastDays must be between 1 and 30.")
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days - 1)


def check_timing(
    *, scheduled_at: datetime | None, save_for_later: bool, subscribed_within: int | None, now: datetime
) -> None:
    """The forbidden combinations, and a schedule that must lie in the future."""
    errors: dict[str, list[str]] = {}
    if scheduled_at is not None and save_for_later:
        errors["saveForLater"] = ["A message cannot be both scheduled and saved for later."]
    if subscribed_within is not None and (scheduled_at is not None or save_for_later):
        errors["subscribedWithinLastDays"] = [
            "subscribedWithinLastDays cannot be combined with scheduledDate or saveForLater."
        ]
    if scheduled_at is not None and scheduled_at <= now:
        errors["scheduledDate"] = ["The scheduledDate must be in the future (UTC)."]
    if errors:
        raise ValidationFailed(errors)


def preview_positions(media_refs: list[str], previews: list[str | int]) -> list[int]:
    """Which of the message's media (by position) are free previews.

    A preview names one of `media_refs` by the same id, or is an integer index into it.
    Every preview must also be in mediaFiles.
    """
    positions: list[int] = []
    bad: list[str] = []
    for preview in previews:
        text = str(preview).strip()
        if text in media_refs:
            positions.append(media_refs.index(text))
        elif isinstance(preview, int) and not isinstance(preview, bool) and 0 <= preview < len(media_refs):
            positions.append(preview)
        else:
            bad.append(text)
    if bad:
        raise ValidationFailed.field(
            "previews", f"Every preview must also be in mediaFiles (by id or index); not found: {', '.join(bad)}."
        )
    return sorted(set(positions))


def require_media_for_price(cents: int, media_count: int) -> None:
    if cents > 0 and media_count == 0:
        raise ValidationFailed.field("mediaFiles", "A paid message (price above 0) needs mediaFiles.")
