"""Runs the listening rules over what members write: mask private data, raise flags, suggest private help."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.moderation import listening
from app.moderation.models import Flag, ListeningRule


@dataclass(frozen=True)
class Rules:
    enabled_builtins: frozenset[str]
    custom: tuple[listening.CustomRule, ...]
    flag_reasons: dict[int, str] = field(default_factory=dict)  # custom rule id -> flag reason


def load_rules(session: Session) -> Rules:
    """Built-in detectors are on unless an admin switched them off; custom rules as the admins wrote them."""
    rows = list(session.scalars(select(ListeningRule)))
    disabled = {r.builtin_key for r in rows if r.kind == "builtin" and not r.enabled}
    custom = tuple(
        listening.CustomRule(id=r.id, pattern=r.pattern, kind=r.kind, action=r.action)
        for r in rows
        if r.kind != "builtin" and r.enabled
    )
    reasons = {r.id: r.flag_reason for r in rows if r.kind != "builtin"}
    return Rules(frozenset(listening.BUILTIN_DETECTORS) - disabled, custom, reasons)


@dataclass(frozen=True)
class Screened:
    text: str
    masked: list[listening.Match]
    flag_reasons: list[str]


def screen(rules: Rules, text: str) -> Screened:
    """The text as it may be stored and shown, and the flags it should raise on its post."""
    masked_text, masked = listening.mask(text, rules.enabled_builtins, rules.custom)
    reasons = []
    if any(m.kind in listening.BUILTIN_DETECTORS for m in masked):
        reasons.append("private_data")
    for rule in listening.custom_flags(text, rules.custom):
        reasons.append(rules.flag_reasons.get(rule.id, "other"))
    return Screened(masked_text, masked, list(dict.fromkeys(reasons)))


def suggestions(rules: Rules, text: str) -> list[str]:
    """Billing and account words that suggest the member wants private help instead."""
    return listening.suggests_private_help(text, rules.custom)


def raise_rule_flags(
    session: Session,
    reasons: list[str],
    *,
    question_id: int | None = None,
    answer_id: int | None = None,
    note: str = "",
) -> None:
    """Flag a post for moderators on behalf of the listening rules, once per reason while pending."""
    for reason in reasons:
        pending = session.scalar(
            select(Flag.id).where(
                Flag.reporter_id.is_(None),
                Flag.reason == reason,
                Flag.status == "pending",
                Flag.question_id == question_id if question_id else Flag.answer_id == answer_id,
            )
        )
        if pending is None:
            session.add(
                Flag(
                    reporter_id=None,
                    question_id=question_id,
                    answer_id=answer_id,
                    reason=reason,
                    note=note,
                    source="rule",
                    status="pending",
                )
            )
