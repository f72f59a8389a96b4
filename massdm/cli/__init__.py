"""`massdm`, the command line: administration (admin.py) and mass messaging (messaging.py)."""

from massdm.cli import messaging
from massdm.cli.admin import app

app.command("send")(messaging.send)
app.command("messages")(messaging.messages)
app.command("worker")(messaging.worker)

__all__ = ["app"]
