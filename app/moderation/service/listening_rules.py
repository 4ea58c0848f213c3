"""Listening rules for admins: add, switch and delete their own rules, and switch the built-in detectors."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.permissions import require
from app.db import utcnow
from app.errors import NotFound, ValidationFailed
from app.moderation import listening
from app.moderation.models import FLAG_REASONS, ListeningRule
from app.moderation.service.auditing import audit

RULE_KINDS = ("keyword", "regex")
RULE_ACTIONS = ("flag", "suggest_private", "mask")


@dataclass(frozen=True)
class RuleDraft:
    name: str
    kind: str
    pattern: str
    action: str
    flag_reason: str = "other"

    def validate(self) -> None:
        if not self.name.strip() or len(self.name) > 80:
            raise ValidationFailed(_("Name the rule (at most 80 characters)."), "name")
        if self.kind not in RULE_KINDS:
            raise ValidationFailed(_("Choose keyword or pattern."), "kind")
        if self.action not in RULE_ACTIONS:
            raise ValidationFailed(_("Choose what the rule does."), "action")
        if self.flag_reason not in FLAG_REASONS:
            raise ValidationFailed(_("Choose a flag reason."), "flag_reason")
        pattern = self.pattern.strip()
        if not pattern or len(pattern) > 200:
            raise ValidationFailed(_("Write the words or pattern (at most 200 characters)."), "pattern")
        if self.kind == "regex":
            problem = listening.validate_regex(pattern)
            if problem:
                raise ValidationFailed(problem, "pattern")


def list_rules(session: Session) -> tuple[list[tuple[str, str, bool]], list[ListeningRule]]:
    """The built-in detectors with their on/off state, and the custom rules."""
    rows = list(session.scalars(select(ListeningRule).order_by(ListeningRule.id)))
    switched = {r.builtin_key: r.enabled for r in rows if r.kind == "builtin"}
    builtins = [(key, label, switched.get(key, True)) for key, label in listening.BUILTIN_DETECTORS.items()]
    return builtins, [r for r in rows if r.kind != "builtin"]


def add_rule(session: Session, actor: User, draft: RuleDraft) -> ListeningRule:
    require(actor, "administer")
    draft.validate()
    rule = ListeningRule(
        name=draft.name.strip(),
        kind=draft.kind,
        pattern=draft.pattern.strip(),
        action=draft.action,
        flag_reason=draft.flag_reason,
        enabled=True,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(rule)
    session.flush()
    audit(
        session,
        actor,
        "rule_added",
        "rule",
        rule.id,
        "",
        after={"name": rule.name, "kind": rule.kind, "pattern": rule.pattern, "action": rule.action},
    )
    return rule


def _custom_rule(session: Session, actor: User, rule_id: int) -> ListeningRule:
    require(actor, "administer")
    rule = session.get(ListeningRule, rule_id)
    if rule is None or rule.kind == "builtin":
        raise NotFound(_("No such rule."))
    return rule


def toggle_rule(session: Session, actor: User, rule_id: int) -> ListeningRule:
    rule = _custom_rule(session, actor, rule_id)
    rule.enabled = not rule.enabled
    audit(
        session,
        actor,
        "rule_toggled",
        "rule",
        rule.id,
        "",
        before={"enabled": not rule.enabled},
        after={"enabled": rule.enabled},
    )
    return rule


def delete_rule(session: Session, actor: User, rule_id: int) -> None:
    rule = _custom_rule(session, actor, rule_id)
    audit(session, actor, "rule_deleted", "rule", rule.id, "", before={"name": rule.name, "pattern": rule.pattern})
    session.delete(rule)


def toggle_builtin(session: Session, actor: User, key: str) -> bool:
    require(actor, "administer")
    if key not in listening.BUILTIN_DETECTORS:
        raise NotFound(_("No such rule."))
    rule = session.scalar(select(ListeningRule).where(ListeningRule.builtin_key == key))
    if rule is None:
        rule = ListeningRule(
            name=listening.BUILTIN_DETECTORS[key],
            kind="builtin",
            builtin_key=key,
            action="mask",
            enabled=True,
            created_by_id=actor.id,
            created_at=utcnow(),
        )
        session.add(rule)
    rule.enabled = not rule.enabled
    session.flush()
    audit(
        session,
        actor,
        "builtin_rule_toggled",
        "rule",
        rule.id,
        key,
        before={"enabled": not rule.enabled},
        after={"enabled": rule.enabled},
    )
    return rule.enabled
