"""The name a creator gives a list (of fans, of vault media): trimmed, required, bounded."""

from __future__ import annotations

from massdm.errors import ValidationFailed


def list_name(raw: str, limit: int) -> str:
    """`raw` without surrounding spaces; 422 on `name` if nothing is left or it is longer than `limit`."""
    cleaned = raw.strip()
    if not cleaned:
        raise ValidationFailed.field("name", "The name field is required.")
    if len(cleaned) > limit:
        raise ValidationFailed.field("name", f"The name must not be greater than {limit} characters.")
    return cleaned
