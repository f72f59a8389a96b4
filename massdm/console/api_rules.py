"""The API's own checks, applied to what a console page is given, so a page says what the API would.

A form or a page's query is checked with the pydantic model the API's route uses for the same
input (or one with the API's bounds), and a failure becomes the same ValidationFailed, worded by
the API's one renderer (`api/errors.validation_failed`): the same fields, the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from massdm.api.errors import validation_failed

M = TypeVar("M", bound=BaseModel)


def checked(model: type[M], values: Mapping[str, object], *, location: str) -> M:
    """`values` as `model`, or ValidationFailed with the API's messages; `location` is where the API
    takes them from ("body" for a JSON body, "query" for a query string)."""
    try:
        return model.model_validate(dict(values))
    except ValidationError as error:
        raise validation_failed(error, location=location) from None
