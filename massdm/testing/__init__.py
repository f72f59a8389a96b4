"""The testing kit (docs/testing.md): a live massdm sandbox and the official SDK for an integrator's tests.

With pytest, installing massdm is enough: its plugin (massdm.testing.plugin, a `pytest11` entry
point) gives every test the `massdm` fixture, a `Sandbox` reset for it, on a `massdm serve --sandbox`
started once per session (per xdist worker). Without pytest::

    with massdm.testing.sandbox() as sb:
        sb.seed(100, seed=7)
        sb.client.mass_messaging.send(sb.account, text="Hi", user_lists=["fans"])
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from massdm.testing.handle import Sandbox, SandboxError, Webhook
from massdm.testing.samples import sample_png
from massdm.testing.server import Credentials, SandboxServer, ServerFailed
from massdm.webhooks.receiver import Received as WebhookEvent

__all__ = ["Credentials", "Sandbox", "SandboxError", "SandboxServer", "ServerFailed", "Webhook", "WebhookEvent",
           "sample_png", "sandbox"]


@contextmanager
def sandbox(*, database_url: str | None = None, settings: Mapping[str, str] | None = None,
            directory: Path | None = None) -> Iterator[Sandbox]:
    """A sandbox server of its own for the block, and its handle, reset once; call `reset()` between
    the steps that need a clean team. `database_url`: None for SQLite, or a `postgresql://` URL in
    which a schema of the server's own is made (and dropped after). `directory`: where the database,
    media and `server.log` go (a temporary folder, removed after, by default)."""
    with tempfile.TemporaryDirectory(prefix="massdm-sandbox-") as scratch:
        server = SandboxServer(directory or Path(scratch), database_url=database_url, settings=settings)
        with server:
            handle = Sandbox(server)
            try:
                handle.reset()
                yield handle
            finally:
                handle.close()
