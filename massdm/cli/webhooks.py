"""`massdm webhooks listen`: a local receiver that checks signatures and prints every event it gets."""

from __future__ import annotations

import json
import signal
import sys
from typing import Annotated

import typer
from rich.markup import escape

from massdm.cli.session import console
from massdm.webhooks.receiver import Received, WebhookReceiver

app = typer.Typer(help="Webhooks: a local receiver for trying them out.", no_args_is_help=True)

_MARK = {"valid": "[green]signature ok[/]", "invalid": "[red]BAD SIGNATURE[/]", "unsigned": "[red]UNSIGNED[/]",
         "unchecked": "[dim]signature not checked (no --secret)[/]"}


@app.command()
def listen(
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8787,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    secret: Annotated[str | None, typer.Option(help="The webhook's signing secret: deliveries whose Signature "
                                                       "does not match are answered 401.")] = None,
    fail_first: Annotated[int, typer.Option(min=0, help="Answer 503 to the first N deliveries (watch retries).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per delivery on stdout.")] = False,
) -> None:
    """Receive webhook deliveries on http://HOST:PORT and print each one. Point a webhook at it (a local
    address needs MASSDM_WEBHOOKS_ALLOW_PRIVATE=1 on the server, as `make run` sets)."""

    def report(received: Received) -> None:
        if as_json:
            sys.stdout.write(json.dumps(received.as_json()) + "\n")
            sys.stdout.flush()
            return
        said = {k: escape(str(v or "")) for k, v in received.as_json().items()}  # what the sender chose to say
        console.print(f"[bold]{said['event']}[/] {said['account_id']} key={said['idempotency_key']} "
                      f"attempt={said['attempt']} -> {received.status} {_MARK[received.signature]}"
                      + (f" (redelivery of {said['redelivery_of']})" if received.redelivery_of else ""))
        console.print_json(data=received.payload)

    def _stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    receiver = WebhookReceiver(host, port, secret=secret, fail_first=fail_first, on_delivery=report)
    signal.signal(signal.SIGTERM, _stop)
    console.print(f"listening for webhooks on {receiver.url}", highlight=False)
    try:
        receiver.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver.server.server_close()
