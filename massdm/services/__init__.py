"""Use cases, one module per resource: domain rules plus store calls, no HTTP."""
