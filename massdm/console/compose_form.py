"""The compose form as the API's send body: what the page posts, read into the JSON body that
`POST /api/{account}/mass-messaging` would get for it, parsed by the API's own model.

So a message composed in the console is the message the API would create from the same values,
judged by the same rules and refused with the same messages (`api/errors.validation_failed`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from massdm.api.errors import validation_failed
from massdm.api.schemas.mass_messaging import MassMessageCreate
from massdm.services.mass_messaging import MessageDraft

_SEPARATORS = re.compile(r"[\s,]+")
AUDIENCE_FIELDS = ("userLists", "excludedLists", "userIds")
_COUNTING = "(counting the audience)"  # the text of the draft whose audience is counted; never sent


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _all(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


@dataclass(frozen=True)
class Composed:
    """What the compose form holds, as typed (kept to show the form again)."""

    text: str = ""
    user_lists: tuple[str, ...] = ()
    excluded_lists: tuple[str, ...] = ()
    user_ids: str = ""  # fan ids, separated by commas and/or spaces
    price: str = ""  # USD
    media_files: tuple[str, ...] = ()  # vault ids
    previews: tuple[str, ...] = ()  # vault ids among media_files
    upload_preview: bool = False  # the new upload is a free preview
    scheduled_date: str = ""  # datetime-local, read as UTC
    save_for_later: bool = False
    preview_only: bool = False  # the "Preview audience" button: show the audience, send nothing

    @classmethod
    def of(cls, form: FormData) -> Composed:
        return cls(
            text=_text(form, "text"), user_lists=tuple(_all(form, "userLists")),
            excluded_lists=tuple(_all(form, "excludedLists")), user_ids=_text(form, "userIds").strip(),
            price=_text(form, "price").strip(), media_files=tuple(_all(form, "mediaFiles")),
            previews=tuple(_all(form, "previews")), upload_preview=bool(_all(form, "uploadPreview")),
            scheduled_date=_text(form, "scheduledDate").strip(), save_for_later=bool(_all(form, "saveForLater")),
            preview_only=_text(form, "action") == "preview",
        )

    @property
    def fan_ids(self) -> list[str]:
        return [part for part in _SEPARATORS.split(self.user_ids) if part]

    @property
    def names_anyone(self) -> bool:
        return bool(self.user_lists or self.fan_ids)

    def audience_body(self) -> dict[str, Any]:
        """The send body's audience fields (JSON names), those given."""
        fields = {"userLists": list(self.user_lists), "excludedLists": list(self.excluded_lists),
                  "userIds": self.fan_ids}
        return {name: value for name, value in fields.items() if value}

    def body(self) -> dict[str, Any]:
        """The JSON body the API would be sent for this form (fields left empty are left out)."""
        body: dict[str, Any] = {"text": self.text, **self.audience_body()}
        given = {"price": self.price, "mediaFiles": list(self.media_files), "previews": list(self.previews),
                 "scheduledDate": self.scheduled_date}
        body.update({name: value for name, value in given.items() if value})
        if self.save_for_later:
            body["saveForLater"] = True
        return body


def send_body(composed: Composed) -> MassMessageCreate:
    """The form parsed as the API parses a send body; a ValidationFailed with the API's messages."""
    return _parse(composed.body())


def audience_draft(composed: Composed) -> MessageDraft:
    """A draft holding only the form's audience (its lists, excluded lists and fans), parsed as the
    API parses them, for counting: nothing else of the form need be valid yet."""
    return _parse({**composed.audience_body(), "text": _COUNTING}).draft()


def _parse(body: dict[str, Any]) -> MassMessageCreate:
    try:
        return MassMessageCreate.model_validate(body)
    except ValidationError as error:
        raise validation_failed(error) from None
