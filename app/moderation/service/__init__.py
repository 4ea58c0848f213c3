"""Moderation operations, one module per verb: the audit log, flags and hiding, thread actions, suspensions
and listening rules. Callers keep writing `from app.moderation import service` and `service.hide_post(...)`."""

from __future__ import annotations

from app.moderation.service.auditing import REASON_MAX, AuditPage, audit, audit_actions, audit_log, check_reason
from app.moderation.service.flags import (
    AUTO_HIDE_FLAGS,
    AUTO_HIDE_RANK,
    AUTO_HIDE_REASON,
    URGENT_REASONS,
    QueueItem,
    dismiss_flags,
    flag_post,
    hide_post,
    pending_count,
    queue,
    restore_post,
)
from app.moderation.service.listening_rules import (
    RuleDraft,
    add_rule,
    delete_rule,
    list_rules,
    toggle_builtin,
    toggle_rule,
)
from app.moderation.service.suspensions import SUSPENSION_DAYS, suspend, unsuspend
from app.moderation.service.tags import TAG_DESCRIPTION_MAX, describe_tag
from app.moderation.service.threads import close_as_duplicate, merge_answers, move_question, reopen, set_thread_state

__all__ = [
    "AUTO_HIDE_FLAGS",
    "AUTO_HIDE_RANK",
    "AUTO_HIDE_REASON",
    "REASON_MAX",
    "SUSPENSION_DAYS",
    "TAG_DESCRIPTION_MAX",
    "URGENT_REASONS",
    "AuditPage",
    "QueueItem",
    "RuleDraft",
    "add_rule",
    "audit",
    "audit_actions",
    "audit_log",
    "check_reason",
    "close_as_duplicate",
    "delete_rule",
    "describe_tag",
    "dismiss_flags",
    "flag_post",
    "hide_post",
    "list_rules",
    "merge_answers",
    "move_question",
    "pending_count",
    "queue",
    "reopen",
    "restore_post",
    "set_thread_state",
    "suspend",
    "toggle_builtin",
    "toggle_rule",
    "unsuspend",
]
