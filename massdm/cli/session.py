"""What every command starts from: the settings, the store (migrated), the console, the clock."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from massdm.clock import Clock, SystemClock
from massdm.config import Settings
from massdm.store.db import engine_for, exists, migrate, shown_url

console = Console(stderr=True)
clock = SystemClock()


def open_store(settings: Settings, *, create: bool = False) -> Engine:
    """The store, migrated to the newest schema. Unless `create` (serve, migrate, demo, accounts
    create: commands that start a store), a store that does not exist yet is an error that says
    where it was looked for, not a new empty one made behind the user's back."""
    if not create and not exists(settings.database_url):
        fail(f"no massdm database at {shown_url(settings.database_url)}. Start one with `massdm serve` "
             "(or `make run`, `massdm demo`, `massdm migrate`), or point MASSDM_DATABASE_URL at yours.")
    engine = engine_for(settings)
    migrate(engine)
    return engine


def clock_for(settings: Settings, engine: Engine) -> Clock:
    """The wall clock, or in sandbox mode the driven clock the store keeps (every process reads it)."""
    if settings.sandbox:
        from massdm.sandbox.clock import driven_clock

        return driven_clock(engine)
    return clock


def fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


def base_url(settings: Settings) -> str:
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
