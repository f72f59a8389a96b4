"""The console's routers, one per page family; `install_console` adds them all (the sandbox page only
in sandbox mode)."""

from massdm.console.routes import home, keys, sign_in, webhooks

ROUTERS = (sign_in.router, home.router, webhooks.router, keys.router)
SANDBOX_ROUTERS = ()  # pages that exist only in sandbox mode (like the /sandbox/v1 API)
