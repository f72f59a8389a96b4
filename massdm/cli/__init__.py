"""`massdm`, the command line: administration (admin.py), mass messaging (messaging.py), webhooks (webhooks.py)."""

from massdm.cli import messaging, sandbox, webhooks
from massdm.cli.admin import app

app.command("send")(messaging.send)
app.command("messages")(messaging.messages)
app.command("worker")(messaging.worker)
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(sandbox.app, name="sandbox")

__all__ = ["app"]
