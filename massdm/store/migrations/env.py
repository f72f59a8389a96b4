"""Alembic environment: runs on the connection `massdm.store.db.migrate` hands over."""

from __future__ import annotations

from alembic import context

from massdm.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - massdm always passes its own connection
    raise RuntimeError("run migrations through massdm.store.db.migrate (or `massdm migrate`)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
