"""The console's routers, one per page family; `install_console` adds them all (the sandbox page only
in sandbox mode)."""

from massdm.console.routes import campaigns, compose, engagement, fans, home, keys, lists, sandbox, sign_in, webhooks

ROUTERS = (sign_in.router, home.router, campaigns.router, compose.router, fans.router, lists.router,
           engagement.router, webhooks.router, keys.router)
SANDBOX_ROUTERS = (sandbox.router,)  # pages that exist only in sandbox mode (like the /sandbox/v1 API)
