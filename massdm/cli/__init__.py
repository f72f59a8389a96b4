"""`massdm`, the command line: administration (admin.py), mass messaging (messaging.py), webhooks (webhooks.py),
the console's sign-in links (console_link.py)."""

from massdm.cli import console_link, messaging, sandbox, webhooks
from massdm.cli.admin import app

app.command("send")(messaging.send)
app.command("messages")(messaging.messages)
app.command("worker")(messaging.worker)
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(console_link.app, name="console")

__all__ = ["app"]
