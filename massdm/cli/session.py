"""What every command starts from: the settings, the store (migrated), the console, the clock."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer
from rich.console import Console
from sqlalchemy import Engine

from massdm.clock import SystemClock
from massdm.config import Settings
from massdm.store.db import engine_for, migrate

console = Console(stderr=True)
clock = SystemClock()


def open_store(settings: Settings) -> Engine:
    engine = engine_for(settings)
    migrate(engine)
    return engine


def fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


def print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


def base_url(settings: Settings) -> str:
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
