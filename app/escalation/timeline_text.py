"""A case's timeline read as sentences in the reader's language ("Elena changed the status to waiting on
customer"), not action codes: the case page's counterpart of the audit log's sentences."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from markupsafe import Markup

from app.escalation.labels import CATEGORY_LABELS, PRIORITY_LABELS, STATE_LABELS
from app.marks import N_
from app.moderation.models import ModerationAction
from app.moderation.service.auditing import entry_data
from app.web.sentences import isolated_gettext

# action -> sentence. Placeholders: %(actor)s who did it, %(status)s the state it moved to, %(member)s an assignee.
SENTENCES: dict[str, str] = {
    "case_opened": N_("%(actor)s opened the case (%(category)s, priority %(priority)s)."),
    "case_start": N_("%(actor)s changed the status to %(status)s."),
    "case_wait": N_("%(actor)s changed the status to %(status)s."),
    "case_resume": N_("%(actor)s changed the status to %(status)s."),
    "case_resolve": N_("%(actor)s changed the status to %(status)s."),
    "case_close": N_("%(actor)s changed the status to %(status)s."),
    "case_reopen": N_("%(actor)s reopened the case."),
    "case_customer_reply": N_("%(actor)s replied, so the case is open again."),
    "case_message": N_("%(actor)s wrote a message."),
    "case_note": N_("%(actor)s added an internal note."),
    "case_resolution_published": N_("%(actor)s published the resolution on the question."),
}
ASSIGNED = N_("%(actor)s assigned the case to %(member)s.")
UNASSIGNED = N_("%(actor)s removed the case's assignee.")
UNKNOWN = N_("%(actor)s: %(action)s.")


def _label(labels: dict[str, Any], key: Any) -> str:
    return str(labels.get(key, key or ""))


def timeline_sentence(entry: ModerationAction, names: dict[int, str]) -> Markup:
    """One entry of a case's timeline as a sentence; `names` maps user ids to names (for the assignee)."""
    _before, after = entry_data(entry)
    params: dict[str, Any] = {"actor": entry.actor.name if entry.actor else gettext("The system")}
    if entry.action == "case_assigned":
        assignee = after.get("assignee_id")
        if assignee is None:
            return isolated_gettext(UNASSIGNED, **params)
        return isolated_gettext(ASSIGNED, member=names.get(assignee, gettext("someone")), **params)
    template = SENTENCES.get(entry.action)
    if template is None:
        return isolated_gettext(UNKNOWN, action=entry.action, **params)
    return isolated_gettext(
        template,
        status=_label(STATE_LABELS, after.get("status")),
        category=_label(CATEGORY_LABELS, after.get("category")),
        priority=_label(PRIORITY_LABELS, after.get("priority")),
        **params,
    )
