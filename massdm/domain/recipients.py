"""What happened to each fan a mass message considered (the sandbox's recipients ledger,
docs/sandbox.md): the statuses, the reasons, and what a message says of its failures.

Every fan gets exactly one status, the first that holds:
purchased, viewed, delivered (the fan received it), failed (a magic fan: domain/magic_fans.py),
skipped (never to receive it, with a reason), pending (the message may still reach the fan).
"""

from __future__ import annotations

from collections.abc import Mapping

from massdm.domain.magic_fans import KINDS

STATUSES = ("delivered", "viewed", "purchased", "failed", "skipped", "pending")
REACHED = ("delivered", "viewed", "purchased")  # the fans `sentCount` counts

# Why a fan was skipped, in the order they are judged.
SKIP_REASONS: dict[str, str] = {
    "excluded": "In a list of the message's excludedLists (excludedBy names the first).",
    "subscribed_before": "Subscribed before the message's subscribedWithinLastDays window.",
    "expired": "The fan's subscription was not active at the send time.",
    "canceled": "The message was canceled before it reached the fan.",
    "joined_late": "Joined the audience after its part of the fans had been delivered (a list or a "
    "subscription changed while or after the message was sent).",
}
FAILURE_REASONS: dict[str, str] = {kind.reason: kind.description for kind in KINDS}
REASONS: dict[str, str] = {**SKIP_REASONS, **FAILURE_REASONS}

_FAILED_PHRASES = {"blocked": "blocked the creator", "deleted": "deleted their account",
                   "restricted": "restricted"}


def describe_reason(reason: str | None) -> str | None:
    return None if reason is None else REASONS.get(reason, reason)


def failure_summary(by_reason: Mapping[str, int]) -> str | None:
    """The message's `error` when fans could not receive it, e.g. "3 fans could not receive it:
    1 blocked the creator, 1 deleted their account, 1 restricted." None if none failed."""
    counts = {reason: n for reason, n in by_reason.items() if n > 0}
    total = sum(counts.values())
    if total == 0:
        return None
    known = [kind.reason for kind in KINDS]
    order = [r for r in known if r in counts] + sorted(r for r in counts if r not in known)
    parts = ", ".join(f"{counts[r]} {_FAILED_PHRASES.get(r, r)}" for r in order)
    return f"{total} {'fan' if total == 1 else 'fans'} could not receive it: {parts}."
