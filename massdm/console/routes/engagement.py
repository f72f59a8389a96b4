"""Engagement: the API's chart endpoint as charts (mass messages sent and purchases per UTC day, with
their totals and the delta to the period before), and the top message of the same period.

The numbers are the API's own: the same service calls, rounded by the API's wire models. Charts are
SVG drawn on the server by pygal (no script, nothing fetched), each with its data as a table.
Console pages are free: no credits are charged and the API's rate limits do not apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from massdm.api.schemas.engagement import ChartSeries, revenue_series, sent_series
from massdm.console import charts
from massdm.console.unit import ConsoleCall, console_page
from massdm.domain.dates import format_query_date
from massdm.domain.messages import crop
from massdm.errors import ValidationFailed
from massdm.services import engagement as engagement_service
from massdm.store.message_views import MessageView

router = APIRouter(include_in_schema=False)

# Periods ending now; 30 days is the chart endpoint's own default, 365 the longest whose days (366
# with today's) the endpoint draws. "custom" passes startDate and endDate on as the API takes them.
PERIODS = (("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("365", "Last 365 days"),
           ("custom", "From – to (UTC)"))
DEFAULT_PERIOD = "30"
_STYLE = charts.style("#0172ad", foreground="#373c44", foreground_strong="#373c44", foreground_subtle="#c9ced6")


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    points: list[tuple[str, str]]  # (day, value as shown)
    total: str
    delta: str
    testid: str


@dataclass(frozen=True)
class TopMessage:
    id: int
    text: str
    sent_at: datetime | None
    price_cents: int
    sent: int
    viewed: int
    purchased: int
    revenue_cents: int
    href: str  # its campaign page


def _top(account_id: str, view: MessageView | None) -> TopMessage | None:
    if view is None:
        return None
    m = view.message
    return TopMessage(m.id, crop(m.raw_text, 140) or "(no text)", m.sent_at, m.price_cents, m.sent_count,
                      m.viewed_count, m.purchased_count, m.revenue_cents,
                      f"/console/accounts/{account_id}/campaigns/{m.id}")


def _shown(value: float, usd: bool) -> str:
    return f"${value:,.2f}" if usd else f"{round(value):,}"


def _signed(value: float, usd: bool) -> str:
    """A delta with its sign: +3, −$4.50, ±0."""
    return ("+" if value > 0 else "−" if value < 0 else "±") + _shown(abs(value), usd)


def _bar_chart(title: str, series: ChartSeries, *, usd: bool, testid: str) -> Chart:
    days = [point.date[:10] for point in series.chart]
    chart = charts.bar(show_legend=False, width=800, height=300, style=_STYLE, margin=8, show_minor_x_labels=False,
                       x_labels_major_every=max(1, len(days) // 8), value_formatter=lambda v: _shown(v, usd))
    if not usd:  # whole messages: no 0.2 of a message on the axis
        most = max((round(point.count) for point in series.chart), default=0)
        step = max(1, math.ceil(most / 5))
        chart.y_labels = list(range(0, max(most, 1) + step, step))
    chart.x_labels = [day[5:] for day in days]  # MM-DD; the table beside it has the whole date
    chart.add(title, [point.count for point in series.chart])
    svg = charts.svg(chart, title)
    points = [(day, _shown(point.count, usd)) for day, point in zip(days, series.chart, strict=True)]
    return Chart(title, svg, points, _shown(series.total or 0, usd), _signed(series.delta or 0, usd), testid)


def _range(call: ConsoleCall, period: str, given: dict[str, str]) -> tuple[str | None, str | None]:
    """The startDate and endDate the API would be asked for."""
    if period == "custom":
        return given.get("startDate") or None, given.get("endDate") or None
    if period not in dict(PERIODS):
        raise ValidationFailed.field("period", f"The period must be one of {', '.join(p for p, _ in PERIODS)}.")
    return format_query_date(call.now - timedelta(days=int(period))), None


@router.get("/console/accounts/{account_id}/engagement")
async def engagement_page(request: Request, account_id: str) -> Response:
    given = dict(request.query_params)
    period = given.get("period", DEFAULT_PERIOD)

    def work(call: ConsoleCall) -> Response:
        account = call.account(account_id)
        context: dict[str, object] = {"periods": PERIODS, "period": period, "start": given.get("startDate", ""),
                                      "end": given.get("endDate", ""), "errors": {}, "charts": [], "top": None}
        try:
            start, end = _range(call, period, given)
            sent, revenue = engagement_service.chart(call.connection, account.id, start=start, end=end,
                                                     with_total=True, now=call.now)
            top = engagement_service.top_message(call.connection, account.id, start=start, end=end, now=call.now,
                                                 policy=call.state.policy)
        except ValidationFailed as invalid:
            context["errors"] = invalid.errors or {}
            return call.page("engagement/engagement.html", context, account=account, status_code=invalid.status_code)
        context.update(
            days=len(sent.chart), first_day=sent.chart[0][0][:10], last_day=sent.chart[-1][0][:10],
            charts=[_bar_chart("Mass messages sent per day", sent_series(sent), usd=False, testid="sent"),
                    _bar_chart("Purchases per day (USD)", revenue_series(revenue), usd=True, testid="purchases")],
            top=_top(account.id, top),
        )
        return call.page("engagement/engagement.html", context, account=account)

    return await console_page(request, "read", work)
