"""Reputation's one entry point for other domains: `from app.reputation import service` reaches every verb.

The work lives in ledger (points rows, verify/recompute), kudos, solutions (answers, accepted solutions,
hide/restore), badges and standing (reading); this module only names them in one place.
"""

from __future__ import annotations

from app.reputation.kudos import give_kudo, kudoed_post_ids, withdraw_kudo
from app.reputation.ledger import Drift, recompute, record, reverse_key, verify
from app.reputation.solutions import accept_answer, answer_posted, clear_solution, post_hidden, post_restored
from app.reputation.standing import (
    PERIODS,
    STAFF_ROLES,
    LedgerPage,
    Standing,
    badges_of,
    earned_between,
    kudos_received,
    ledger,
    recent_points,
    standing,
    superfans,
    top_helpers,
)

__all__ = [
    "PERIODS",
    "STAFF_ROLES",
    "Drift",
    "LedgerPage",
    "Standing",
    "accept_answer",
    "answer_posted",
    "badges_of",
    "clear_solution",
    "earned_between",
    "give_kudo",
    "kudoed_post_ids",
    "kudos_received",
    "ledger",
    "post_hidden",
    "post_restored",
    "recent_points",
    "recompute",
    "record",
    "reverse_key",
    "standing",
    "superfans",
    "top_helpers",
    "verify",
    "withdraw_kudo",
]
