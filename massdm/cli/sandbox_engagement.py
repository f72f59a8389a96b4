"""`massdm sandbox engagement show|set`: the twins of GET/PUT /sandbox/v1/accounts/{account}/engagement
(docs/sandbox.md), on the store MASSDM_DATABASE_URL names."""

from __future__ import annotations

from typing import Annotated

import typer

from massdm.cli.session import console, fail, open_store, print_json
from massdm.config import Settings
from massdm.domain.engagement_model import DEFAULTS, Delay, EngagementSettings
from massdm.errors import MassdmError, ValidationFailed
from massdm.sandbox import clock as sandbox_clock
from massdm.sandbox import engagement

app = typer.Typer(help="Simulated fans: who views and buys each message, and when.", no_args_is_help=True)

AccountOption = Annotated[str, typer.Option("--account", help="The account (acct_...).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _wire(account_id: str, settings: EngagementSettings) -> dict:
    """The settings as the API shows them."""
    def delay(d: Delay) -> dict:
        return {"minHours": d.min_hours, "maxHours": d.max_hours}

    return {"account": account_id, "enabled": settings.enabled, "seed": settings.seed, "viewRate": settings.view_rate,
            "purchaseRate": settings.purchase_rate, "viewDelay": delay(settings.view_delay),
            "purchaseDelay": delay(settings.purchase_delay)}


def _print(account_id: str, settings: EngagementSettings, as_json: bool) -> None:
    shown = _wire(account_id, settings)
    if as_json:
        print_json(shown)
        return
    for name, value in shown.items():
        console.print(f"{name}: {value}")


def _engine():  # noqa: ANN202 - an Engine
    settings = Settings().model_copy(update={"sandbox": True})
    return open_store(settings)


def _delay(text: str | None, field: str, default: Delay) -> Delay:
    if text is None:
        return default
    low, sep, high = text.partition("-")
    try:
        return Delay(float(low), float(high if sep else low))
    except ValueError:
        fail(f"{field}: give hours as MIN-MAX, such as 0.05-48")


@app.command("show")
def show(account: AccountOption, as_json: JsonOption = False) -> None:
    """The account's simulated fans' settings (defaults filled in)."""
    try:
        _print(account, engagement.read_settings(_engine(), account), as_json)
    except MassdmError as error:
        fail(str(error))


@app.command("set")
def set_(
    account: AccountOption,
    seed: Annotated[int, typer.Option(help="Seed of every fan's behaviour.")] = DEFAULTS.seed,
    view_rate: Annotated[float, typer.Option(help="Probability that a fan views a message (viewRate).")] =
        DEFAULTS.view_rate,
    purchase_rate: Annotated[float, typer.Option(help="Base probability that a viewer buys (purchaseRate).")] =
        DEFAULTS.purchase_rate,
    view_delay: Annotated[str | None, typer.Option(help="Hours from delivery to view, MIN-MAX (viewDelay).")] = None,
    purchase_delay: Annotated[str | None, typer.Option(help="Hours from view to purchase, MIN-MAX.")] = None,
    off: Annotated[bool, typer.Option("--off", help="Turn simulated fans off (enabled: false).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Replace the account's settings, as PUT does: what you leave out takes its default."""
    settings = EngagementSettings(
        enabled=not off, seed=seed, view_rate=view_rate, purchase_rate=purchase_rate,
        view_delay=_delay(view_delay, "viewDelay", DEFAULTS.view_delay),
        purchase_delay=_delay(purchase_delay, "purchaseDelay", DEFAULTS.purchase_delay),
    )
    engine = _engine()
    try:
        written = engagement.write_settings(engine, account, settings, sandbox_clock.driven_clock(engine).now())
    except ValidationFailed as error:
        fail("; ".join(f"{name}: {' '.join(why)}" for name, why in (error.errors or {}).items()))
    except MassdmError as error:
        fail(str(error))
    _print(account, written, as_json)
