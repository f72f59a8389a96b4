"""`massdm send`, `massdm messages` and `massdm worker`: mass messaging from the command line."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import prometheus_client
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from massdm.cli.session import clock_for, console, fail, open_store, print_json
from massdm.config import Settings
from massdm.delivery.worker import DeliveryWorker, start_in_thread, worker_config
from massdm.domain.messages import format_price
from massdm.errors import MassdmError
from massdm.services import accounts as account_service
from massdm.services import engagement as engagement_service
from massdm.services import mass_messaging as message_service
from massdm.services.mass_messaging import MessageDraft, MessageView, Policy
from massdm.store.db import transaction
from massdm.webhooks.dispatcher import WebhookDispatcher, dispatch_config


def send(
    account: Annotated[str, typer.Option("--account", help="The account sending.")],
    text: Annotated[str, typer.Option("--text", help="The message (HTML allowed).")],
    user_list: Annotated[
        list[str] | None, typer.Option("--list", help="A list id: fans, recent, ... or a number.")
    ] = None,
    user_id: Annotated[list[int] | None, typer.Option("--user-id", help="A single fan (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="A list not to send to.")] = None,
    price: Annotated[str | None, typer.Option(help="USD: 0, or 3 to 200.")] = None,
    media: Annotated[list[str] | None, typer.Option("--media", help="ofapi_media_ id or vault id.")] = None,
    preview: Annotated[list[str] | None, typer.Option("--preview", help="A media id or index shown free.")] = None,
    locked_text: Annotated[bool, typer.Option("--locked-text", help="Hide the text until purchase.")] = False,
    schedule: Annotated[datetime | None, typer.Option(help="Send at this UTC time (ISO 8601).")] = None,
    save_for_later: Annotated[bool, typer.Option("--save-for-later", help="Park it in saved for later.")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Deliver now and show progress until done.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the message as JSON.")] = False,
) -> None:
    """Send a mass message (as the platform operator: no key, no credits)."""
    settings = Settings()
    engine = open_store(settings)
    clock = clock_for(settings, engine)
    policy = Policy.from_settings(settings)
    try:
        amount = Decimal(price) if price is not None else None
    except InvalidOperation:
        fail(f"--price {price!r} is not a number")
    when = None
    if schedule is not None:  # a time without an offset is UTC
        when = schedule.replace(tzinfo=UTC) if schedule.tzinfo is None else schedule.astimezone(UTC)
    draft = MessageDraft(
        text=text, user_lists=user_list, excluded_lists=exclude, user_ids=user_id, locked_text=locked_text,
        price=amount, media_files=media, previews=[_preview(p) for p in preview or []] or None,
        scheduled_at=when, save_for_later=save_for_later,
    )
    try:
        with transaction(engine) as connection:
            if account_service.get_account(connection, account) is None:
                fail(f"account {account} does not exist")
            message = message_service.send(connection, account, draft, clock.now(), policy)
    except MassdmError as error:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in getattr(error, "errors", {}).items())
        fail(details or error.message)
    console.print(f"mass message [bold]{message.id}[/bold] created")
    if wait:
        if message.due_at is None or message.due_at > clock.now():
            console.print("it is scheduled or saved for later; --wait only follows messages due now")
        else:
            started = time.monotonic()
            _follow(engine, settings, message.id)
            elapsed = time.monotonic() - started
    with transaction(engine) as connection:
        view = message_service.view_message(connection, account, message.id, clock.now(), policy)
    if wait and view.message.finished_at is not None:
        console.print(f"{view.status}: delivered to {view.message.sent_count:,} fans, skipped "
                      f"{view.message.skipped_count:,}, in {elapsed:.1f} s")
    if as_json:
        state = view.state
        assert state is not None  # describe() derives the queue state of every message it views
        print_json({"id": view.message.id, "status": view.status, "total": state.total,
                    "sent": view.message.sent_count, "skipped": view.message.skipped_count})
    else:
        typer.echo(view.message.id)


def _preview(raw: str) -> str | int:
    """A short number is an index into --media; anything else names a media id."""
    return int(raw) if raw.isdigit() and len(raw) <= 3 else raw


def _follow(engine, settings: Settings, message_id: int) -> None:  # noqa: ANN001
    """Deliver the message here (or watch whichever worker holds it) with a progress bar."""
    worker = DeliveryWorker(engine, clock_for(settings, engine), worker_config(settings), name=f"cli:{message_id}")
    with Progress(TextColumn("delivering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task("deliver", total=None)

        def show() -> bool:
            with transaction(engine) as connection:
                current = message_service.get_message_by_id(connection, message_id)
            assert current is not None
            done = current.sent_count + current.skipped_count
            progress.update(task, completed=done, total=current.total if current.total >= 0 else None)
            return current.finished_at is not None or current.canceled_at is not None

        worker.on_chunk = lambda _id, _sent: show()
        while not show():
            if not worker.deliver_one(message_id):
                time.sleep(0.5)  # another worker holds it: watch


def messages(
    account: Annotated[str, typer.Option("--account", help="The account.")],
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1, max=100)] = 20,
) -> None:
    """The mass message overview as a table."""
    settings = Settings()
    engine = open_store(settings)
    clock = clock_for(settings, engine)
    policy = Policy.from_settings(settings)
    with transaction(engine) as connection:
        page = engagement_service.sent_messages(connection, account, start=None, end=None, before_id=None,
                                                query=None, limit=limit, now=clock.now(), policy=policy)
        queued = message_service.list_queue(connection, account, clock.now(), policy)
    table = Table(title=f"mass messages of {account}")
    for column in ("id", "date", "status", "sent", "viewed", "bought", "price", "revenue", "text"):
        table.add_column(column, justify="right" if column in ("id", "sent", "viewed", "bought") else "left")
    shown = {v.message.id for v in page.views}
    pending = [v for v in queued if v.message.id not in shown]

    def date(view: MessageView) -> datetime:  # the date the table shows: sent, or due
        return view.state.date if view.state else view.message.created_at

    newest = sorted([*pending, *page.views], key=lambda v: (date(v), v.message.id), reverse=True)[:limit]
    for view in newest:
        m = view.message
        table.add_row(
            str(m.id), date(view).strftime("%Y-%m-%d %H:%M"), view.status,
            str(m.sent_count), str(m.viewed_count), str(m.purchased_count),
            format_price(m.price_cents) if m.price_cents else "free",
            format_price(m.revenue_cents), m.raw_text[:40],
        )
    Console().print(table)


def worker(
    name: Annotated[str | None, typer.Option(help="How this worker signs its claims (default host:pid).")] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve this worker's Prometheus metrics on this port.")
    ] = None,
) -> None:
    """Run a delivery worker (fan-out and webhook deliveries) on its own; start as many as you like, on one database."""
    settings = Settings()
    engine = open_store(settings, create=True)  # a service, like serve: it may start before the API does
    clock = clock_for(settings, engine)
    delivery = DeliveryWorker(engine, clock, worker_config(settings), name=name)
    dispatcher = WebhookDispatcher(engine, clock, dispatch_config(settings),
                                   name=f"{delivery.name}:webhooks" if name else None)
    delivery.on_chunk = lambda _message_id, _sent: dispatcher.wake()  # events of a chunk go out at once
    stop = threading.Event()

    def _stop(_signum: int, _frame: object) -> None:
        stop.set()
        delivery.wake.set()
        dispatcher.wake()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if metrics_port is not None:
        prometheus_client.start_http_server(metrics_port, addr=settings.host)
    console.print(f"delivery worker {delivery.name} on {engine.url.render_as_string(hide_password=True)}")
    sending, _ = start_in_thread(dispatcher, name="massdm-webhooks", stop=stop)
    delivery.run(stop)
    sending.join(timeout=settings.webhook_total_timeout + 5)  # attempts in flight finish and are logged
