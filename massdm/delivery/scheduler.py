"""Time-driven work the worker does between deliveries: saved-for-later automation and tidying up.

Scheduled messages need nothing here: they carry their due time and the worker claims them
when it comes (also right after a restart, for times that passed while nothing ran).
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from massdm.clock import Clock
from massdm.services import idempotency as idempotency_service
from massdm.services import saved_for_later as saved_service
from massdm.services.mass_messaging import Policy
from massdm.store.db import transaction

log = logging.getLogger("massdm.delivery")


def run_due_automation(engine: Engine, clock: Clock, policy: Policy) -> None:
    """Send the oldest saved message of every account whose automatic period has come round."""
    with transaction(engine) as connection:
        released = saved_service.release_due(connection, clock.now(), policy)
        idempotency_service.purge_expired(connection, clock.now())
    for account_id, message_id in released:
        log.info("saved-for-later: account %s sends message %s", account_id, message_id)
