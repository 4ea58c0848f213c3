"""Escalation operations, one module per verb: a case and its workflow, opening one, its conversation, and
staff's inbox and assignment. Every step is audited. Callers keep writing `from app.escalation import service`."""

from __future__ import annotations

from app.escalation.service.cases import (
    NOTE_MAX,
    access_case,
    asker_case,
    available_moves,
    is_overdue,
    my_cases,
    timeline,
    timeline_names,
    transition,
)
from app.escalation.service.conversation import MESSAGE_MAX, MESSAGE_MIN, messages_for, post_message
from app.escalation.service.opening import (
    DEFAULT_PUBLIC_NOTE,
    EscalationDraft,
    ask_privately,
    escalate,
    request_private_help,
)
from app.escalation.service.triage import (
    STATUS_FILTERS,
    Inbox,
    InboxFilter,
    assign,
    bulk_assign,
    inbox,
    overdue_cases,
    staff_members,
    tell_overdue,
)

__all__ = [
    "DEFAULT_PUBLIC_NOTE",
    "MESSAGE_MAX",
    "MESSAGE_MIN",
    "NOTE_MAX",
    "STATUS_FILTERS",
    "EscalationDraft",
    "Inbox",
    "InboxFilter",
    "access_case",
    "ask_privately",
    "asker_case",
    "assign",
    "available_moves",
    "bulk_assign",
    "escalate",
    "inbox",
    "is_overdue",
    "messages_for",
    "my_cases",
    "overdue_cases",
    "post_message",
    "request_private_help",
    "staff_members",
    "tell_overdue",
    "timeline",
    "timeline_names",
    "transition",
]
