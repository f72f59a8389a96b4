"""The engagement page: the chart endpoint's days, totals and deltas and the top message, as the API
answers them for the same account and period; its periods, and the API's messages for a bad range."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from massdm.api.state import state_of
from massdm.delivery.worker import DeliveryWorker, WorkerConfig
from massdm.services.accounts import create_api_key
from massdm.store.db import transaction
from tests.console.conftest import ConsoleClient
from tests.media_files import png

NOW = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
CHART = "/engagement/messages/mass-messages/chart"
TOP = "/engagement/messages/top-message"


def api(console: ConsoleClient, path: str, status: int = 200, **params) -> dict:
    answer = console.http.get(f"/api/{console.caller.account}{path}", headers=console.caller.headers, params=params)
    assert answer.status_code == status, answer.text
    return answer.json()


def q(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


class Account:
    """Sends and purchases on the test's account, at the times the test sets."""

    def __init__(self, console: ConsoleClient, app, clock) -> None:
        self.console, self.app, self.clock = console, app, clock
        self.headers = console.caller.headers
        with transaction(state_of(app).engine) as connection:
            issued = create_api_key(connection, team=console.caller.team, name="fan app", account_ids=[],
                                    limit_minute=1000, limit_day=None, now=clock.now(), scopes=frozenset({"fan"}))
        self.fan_headers = {"Authorization": f"Bearer {issued.api_key}"}
        self.media: int | None = None

    def _post(self, path: str, **kwargs) -> dict:
        answer = self.console.http.post(path, headers=self.headers, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def fans(self, ids: list[int]) -> None:
        since = (self.clock.now() - timedelta(days=60)).isoformat()
        self._post(f"/api/{self.console.caller.account}/fans",
                   json=[{"id": i, "username": f"fan{i}", "subscribedAt": since} for i in ids])

    def send(self, text: str, price: float | None = None) -> int:
        body: dict = {"text": text, "userLists": ["fans"]}
        if price is not None:
            if self.media is None:
                self.media = self._post(f"/api/{self.console.caller.account}/media/upload",
                                        files={"file": ("a.png", png(40, 40))})["vault_id"]
            body.update(price=price, mediaFiles=[self.media])
        message = self._post(f"/api/{self.console.caller.account}/mass-messaging", json=body)["data"]["id"]
        DeliveryWorker(state_of(self.app).engine, self.clock, WorkerConfig(chunk_size=5)).run_until_idle()
        return message

    def buys(self, fan: int, message: int) -> None:
        answer = self.console.http.post(f"/fan/v1/{fan}/messages/{message}/purchase", headers=self.fan_headers)
        assert answer.status_code == 200, answer.text


@pytest.fixture
def sent(console, app, clock) -> dict[str, int]:
    """Messages over three weeks before NOW, and purchases of the two paid ones."""
    account = Account(console, app, clock)
    clock.set(NOW - timedelta(days=19))
    account.fans([1, 2, 3])
    early = account.send("<p>Early bird</p>", 5)
    account.send("hello")
    account.buys(1, early)
    clock.set(NOW - timedelta(days=10))
    account.send("mid-month news")
    clock.set(NOW - timedelta(days=3))
    big = account.send("<p>The <b>big</b> one</p>", 9.99)
    account.send("free again")
    account.buys(1, big)
    account.buys(2, big)
    clock.set(NOW)
    account.send("today")
    account.buys(3, big)
    account.buys(2, early)
    return {"early": early, "big": big}


def shown(page: str) -> dict[str, dict]:
    """Each chart's total, delta and data table as the page shows them."""
    charts = {}
    for name in ("sent", "purchases"):
        total = re.search(rf'data-testid="{name}-total">([^<]+)<', page).group(1)
        delta = re.search(rf'data-testid="{name}-delta">([^<]+) vs before<', page).group(1)
        section = page[page.index(f'id="{name}-title"'):]
        table = section[section.index("<tbody>"):section.index("</tbody>")]
        rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td></tr>', table)
        charts[name] = {"total": html.unescape(total), "delta": html.unescape(delta), "rows": rows,
                        "svg": '<svg role="img"' in section[:section.index("</figure>")]}
    return charts


def as_count(n: int) -> str:
    return f"{n:,}"


def as_usd(v: float) -> str:
    return f"${v:,.2f}"


def signed(v: float, usd: bool) -> str:
    sign = "+" if v > 0 else "−" if v < 0 else "±"
    return sign + (as_usd(abs(v)) if usd else as_count(abs(v)))


def expected(chart: dict) -> dict[str, dict]:
    """What the page should show for the API's chart answer."""
    out = {}
    for name, series, usd in (("sent", chart["group_messages"], False),
                              ("purchases", chart["group_messages_purchases"], True)):
        show = as_usd if usd else as_count
        out[name] = {"total": show(series["total"]), "delta": signed(series["delta"], usd),
                     "rows": [(p["date"][:10], show(p["count"])) for p in series["chart"]], "svg": True}
    return out


def test_the_page_shows_the_api_charts_days_totals_and_deltas_and_its_top_message(console, sent, clock):
    page = console.get(f"/console/accounts/{console.caller.account}/engagement")
    assert page.status_code == 200
    chart = api(console, CHART)["data"]  # the endpoint's own default: the last 30 days
    assert shown(page.text) == expected(chart)
    assert (chart["group_messages"]["total"], chart["group_messages"]["delta"]) == (6, 6)
    assert chart["group_messages_purchases"]["total"] == pytest.approx(39.97)
    assert len(shown(page.text)["sent"]["rows"]) == 31 and shown(page.text)["sent"]["rows"][-1] == ("2026-03-20", "1")
    assert '<figure class="chart">' in page.text and "<figcaption>" in page.text
    assert "<script src" not in page.text.split("<main")[1] and "http://pygal.org" not in page.text

    top = api(console, TOP, startDate=q(NOW - timedelta(days=30)))["data"]["purchases"]
    assert top["id"] == sent["big"] and top["totalRevenueGenerated"] == "29.97"
    card = page.text[page.text.index('data-testid="top-message"'):]
    assert f'<a href="/console/accounts/{console.caller.account}/campaigns/{sent["big"]}">The big one</a>' in card
    assert 'data-testid="top-revenue">$29.97<' in card and "from 3 purchases" in card


@pytest.mark.parametrize("days", [7, 90, 365])
def test_each_period_is_the_charts_answer_for_the_same_start(console, sent, days):
    page = console.get(f"/console/accounts/{console.caller.account}/engagement", params={"period": str(days)})
    assert page.status_code == 200
    chart = api(console, CHART, startDate=q(NOW - timedelta(days=days)))["data"]
    assert shown(page.text) == expected(chart)
    assert len(shown(page.text)["sent"]["rows"]) == days + 1
    assert f'<option value="{days}" selected>' in page.text
    if days == 7:  # the period before holds the message of ten days ago
        assert (chart["group_messages"]["total"], chart["group_messages"]["delta"]) == (3, 2)
        assert shown(page.text)["sent"]["delta"] == "+2"


def test_a_custom_range_is_passed_on_as_the_apis_start_and_end_dates(console, sent):
    dates = {"startDate": "2026-02-20 00:00:00", "endDate": "2026-03-05 23:59:59"}
    page = console.get(f"/console/accounts/{console.caller.account}/engagement", params={"period": "custom", **dates})
    assert page.status_code == 200
    assert shown(page.text) == expected(api(console, CHART, **dates)["data"])
    top = api(console, TOP, **dates)["data"]["purchases"]
    assert top["id"] == sent["early"]
    assert f'/campaigns/{sent["early"]}">Early bird</a>' in page.text
    assert 'value="2026-02-20 00:00:00"' in page.text  # the form keeps the range


@pytest.mark.parametrize("dates", [{"startDate": "yesterday"}, {"endDate": "2026-13-01"},
                                   {"startDate": "2025-01-01 00:00:00", "endDate": "2026-03-01 00:00:00"},
                                   {"startDate": "2026-03-10 00:00:00", "endDate": "2026-03-01 00:00:00"}])
def test_a_range_the_api_refuses_is_refused_with_its_message(console, sent, dates):
    page = console.get(f"/console/accounts/{console.caller.account}/engagement", params={"period": "custom", **dates})
    refused = api(console, CHART, 422, **dates)
    assert page.status_code == 422
    found = re.findall(r"<p>(.*?)</p>", page.text[page.text.index('role="alert"'):].split("</div>")[0])
    assert [html.unescape(m) for m in found] == [m for field in refused["errors"].values() for m in field]
    assert "<svg" not in page.text


def test_an_unknown_period_is_refused(console, sent):
    page = console.get(f"/console/accounts/{console.caller.account}/engagement", params={"period": "12"})
    assert page.status_code == 422 and "The period must be one of 7, 30, 90, 365, custom." in page.text


def test_an_account_that_sent_nothing_shows_zeros_and_no_top_message(console, clock):
    clock.set(NOW)
    page = console.get(f"/console/accounts/{console.caller.account}/engagement")
    assert page.status_code == 200
    charts = shown(page.text)
    assert (charts["sent"]["total"], charts["sent"]["delta"], charts["purchases"]["total"]) == ("0", "±0", "$0.00")
    assert api(console, TOP)["data"] == {"purchases": None}
    assert "No paid message sold in this period." in page.text
