"""The console's routers, one per page family; `install_console` adds them all (the sandbox page only
in sandbox mode)."""

from massdm.console.routes import home, sign_in, webhooks

ROUTERS = (sign_in.router, home.router, webhooks.router)
SANDBOX_ROUTERS = ()  # pages that exist only in sandbox mode (like the /sandbox/v1 API)
