"""Magic fans (sandbox mode only; docs/sandbox.md): fans whose delivery fails on purpose, with a reason,
as Twilio's magic numbers do for single sends, but inside one fan-out.

A fan is magic by its username: one that starts with a prefix below fails every delivery in sandbox
mode, with that prefix's reason; every other fan is delivered as usual. Outside sandbox mode no fan
is magic. `massdm sandbox seed --magic-fans` (`"magicFans": true`) creates a few of each.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MagicKind:
    prefix: str  # the username starts with it
    reason: str  # the failure's code, as recipients and webhooks show it
    description: str


KINDS: tuple[MagicKind, ...] = (
    MagicKind("magic_blocked", "blocked", "The fan has blocked the creator."),
    MagicKind("magic_deleted", "deleted", "The fan's account was deleted."),
    MagicKind("magic_restricted", "restricted", "The fan's account is restricted."),
)


def kind_of(username: str) -> MagicKind | None:
    return next((k for k in KINDS if username.startswith(k.prefix)), None)
