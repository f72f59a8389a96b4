"""The console's templates (massdm/console/templates) and the filters they share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cents(value: int | None) -> str:
    return f"${(value or 0) / 100:,.2f}"


def _dollars(value: float | int | str | None) -> str:
    return f"${float(value or 0):,.2f}"


TEMPLATES.env.filters.update(when=_when, cents=_cents, dollars=_dollars)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
