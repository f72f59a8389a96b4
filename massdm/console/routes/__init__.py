"""The console's routers, one per page family; `install_console` adds them all (the sandbox page only
in sandbox mode)."""

from massdm.console.routes import compose, home, sign_in

ROUTERS = (sign_in.router, home.router, compose.router)
SANDBOX_ROUTERS = ()  # pages that exist only in sandbox mode (like the /sandbox/v1 API)
