"""The audit log read as sentences in the reader's language ("Elena hid an answer by Sam"), not codes and JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext
from markupsafe import Markup

from app.admin.labels import ROLE_NAMES
from app.marks import N_
from app.moderation import listening
from app.moderation.models import ModerationAction
from app.moderation.service.auditing import entry_data
from app.web.locale import absolute_time
from app.web.sentences import isolated_gettext
from app.web.sentences import isolated_ngettext as ngettext  # the name pybabel extracts plurals by

# action -> sentence; a dict for the actions done to a post, by the post's kind. Placeholders: %(actor)s who did
# it, %(id)s the target's number, %(author)s the post's author, %(member)s the member it was done to.
SENTENCES: dict[str, str | dict[str, str]] = {
    "post_hidden": {
        "question": N_("%(actor)s hid a question by %(author)s."),
        "answer": N_("%(actor)s hid an answer by %(author)s."),
    },
    "post_restored": {
        "question": N_("%(actor)s restored a question by %(author)s."),
        "answer": N_("%(actor)s restored an answer by %(author)s."),
    },
    "post_rolled_back": {
        "question": N_("%(actor)s rolled back a question by %(author)s to an earlier version."),
        "answer": N_("%(actor)s rolled back an answer by %(author)s to an earlier version."),
    },
    "attachment_removed": N_("%(actor)s removed attached file #%(id)s."),
    "thread_locked": N_("%(actor)s locked question #%(id)s."),
    "thread_unlocked": N_("%(actor)s unlocked question #%(id)s."),
    "thread_pinned": N_("%(actor)s pinned question #%(id)s."),
    "thread_unpinned": N_("%(actor)s unpinned question #%(id)s."),
    "question_moved": N_("%(actor)s moved question #%(id)s from %(old)s to %(new)s."),
    "closed_as_duplicate": N_("%(actor)s closed question #%(id)s as a duplicate of question #%(original)s."),
    "reopened": N_("%(actor)s reopened question #%(id)s."),
    "answers_merged": N_("%(actor)s moved the answers of question #%(id)s to question #%(original)s."),
    "member_unsuspended": N_("%(actor)s lifted the suspension of %(member)s."),
    "rule_added": N_("%(actor)s added the listening rule “%(name)s”."),
    "rule_deleted": N_("%(actor)s deleted the listening rule “%(name)s”."),
    "case_opened": N_("%(actor)s opened private case #%(id)s."),
    "case_start": N_("%(actor)s started work on private case #%(id)s."),
    "case_wait": N_("%(actor)s is waiting for the customer on private case #%(id)s."),
    "case_resume": N_("%(actor)s resumed work on private case #%(id)s."),
    "case_customer_reply": N_("%(actor)s replied on private case #%(id)s, which is open again."),
    "case_resolve": N_("%(actor)s resolved private case #%(id)s."),
    "case_close": N_("%(actor)s closed private case #%(id)s."),
    "case_reopen": N_("%(actor)s reopened private case #%(id)s."),
    "case_message": N_("%(actor)s wrote on private case #%(id)s."),
    "case_note": N_("%(actor)s added an internal note to private case #%(id)s."),
    "case_resolution_published": N_("%(actor)s published the resolution of private case #%(id)s."),
    "webhook_added": N_("%(actor)s added a webhook to %(name)s."),
    "webhook_enabled": N_("%(actor)s switched on the webhook to %(name)s."),
    "webhook_disabled": N_("%(actor)s switched off the webhook to %(name)s."),
    "webhook_removed": N_("%(actor)s removed the webhook to %(name)s."),
    "password_reset_sent": N_("%(actor)s sent %(member)s a link to choose a new password."),
    "board_created": N_("%(actor)s created the board “%(name)s”."),
    "board_edited": N_("%(actor)s edited the board “%(name)s”."),
    "board_moved": N_("%(actor)s moved the board “%(name)s” to position %(position)s."),
    "board_archived": N_("%(actor)s archived the board “%(name)s”."),
    "board_unarchived": N_("%(actor)s reopened the archived board “%(name)s”."),
    "data_export_requested": N_("%(actor)s asked for a copy of their data."),
    "data_export_ready": N_("%(actor)s prepared a copy of the data of member #%(id)s."),
    "account_deletion_started": N_("%(actor)s deleted their account (member #%(id)s)."),
    "posts_reattributed": N_("%(actor)s: the posts of member #%(id)s are now shown as by a former member."),
    "personal_data_erased": N_("%(actor)s erased the personal data of member #%(id)s."),
    "case_conversations_retained": N_(
        "%(actor)s kept the private case conversations of member #%(id)s for the retention period."
    ),
    "case_conversation_purged": N_(
        "%(actor)s deleted the conversation of private case #%(id)s after the retention period."
    ),
    "tag_described": N_("%(actor)s changed the description of a tag."),
}
ROLE_CHANGED = N_("%(actor)s changed the role of %(member)s from %(old)s to %(new)s.")
# The audit log's filter: what each action is called in the dropdown.
ACTION_LABELS: dict[str, str] = {
    "post_hidden": N_("Post hidden"),
    "post_restored": N_("Post restored"),
    "flags_dismissed": N_("Flags dismissed"),
    "thread_locked": N_("Question locked"),
    "thread_unlocked": N_("Question unlocked"),
    "thread_pinned": N_("Question pinned"),
    "thread_unpinned": N_("Question unpinned"),
    "question_moved": N_("Question moved"),
    "closed_as_duplicate": N_("Closed as a duplicate"),
    "reopened": N_("Question reopened"),
    "answers_merged": N_("Answers merged"),
    "member_suspended": N_("Member suspended"),
    "member_unsuspended": N_("Suspension lifted"),
    "rule_added": N_("Listening rule added"),
    "rule_deleted": N_("Listening rule deleted"),
    "rule_toggled": N_("Listening rule switched on or off"),
    "builtin_rule_toggled": N_("Built-in check switched on or off"),
    "case_opened": N_("Private case opened"),
    "case_start": N_("Case: work started"),
    "case_wait": N_("Case: waiting for the customer"),
    "case_resume": N_("Case: work resumed"),
    "case_customer_reply": N_("Case: customer replied"),
    "case_resolve": N_("Case resolved"),
    "case_close": N_("Case closed"),
    "case_reopen": N_("Case reopened"),
    "case_message": N_("Case: message"),
    "case_note": N_("Case: internal note"),
    "case_assigned": N_("Case assigned"),
    "case_resolution_published": N_("Case resolution published"),
    "password_reset_sent": N_("Password-reset link sent"),
    "role_changed": N_("Role changed"),
    "board_created": N_("Board created"),
    "board_edited": N_("Board edited"),
    "board_moved": N_("Board moved"),
    "board_archived": N_("Board archived"),
    "board_unarchived": N_("Board reopened"),
    "webhook_added": N_("Webhook added"),
    "webhook_enabled": N_("Webhook switched on"),
    "webhook_disabled": N_("Webhook switched off"),
    "webhook_removed": N_("Webhook removed"),
    "data_export_requested": N_("Data export asked for"),
    "data_export_ready": N_("Data export prepared"),
    "account_deletion_started": N_("Account deleted"),
    "posts_reattributed": N_("Posts shown as by a former member"),
    "personal_data_erased": N_("Personal data erased"),
    "case_conversations_retained": N_("Case conversations kept"),
    "case_conversation_purged": N_("Case conversation purged"),
    "tag_described": N_("Tag description changed"),
    "attachment_removed": N_("File removed"),
    "post_rolled_back": N_("Post rolled back"),
}


def action_label(action: str) -> str:
    """What an action is called in the reader's language (its code, for an action this list doesn't know)."""
    label = ACTION_LABELS.get(action)
    return gettext(label) if label else action


SUSPENDED = N_("%(actor)s suspended %(member)s until %(until)s.")
SUSPENDED_INDEFINITELY = N_("%(actor)s suspended %(member)s indefinitely.")
ASSIGNED = N_("%(actor)s assigned private case #%(id)s to %(member)s.")
UNASSIGNED = N_("%(actor)s unassigned private case #%(id)s.")
RULE_ON = N_("%(actor)s switched on listening rule #%(id)s.")
RULE_OFF = N_("%(actor)s switched off listening rule #%(id)s.")
BUILTIN_ON = N_("%(actor)s switched on the built-in check “%(name)s”.")
BUILTIN_OFF = N_("%(actor)s switched off the built-in check “%(name)s”.")
UNKNOWN = N_("%(actor)s: %(action)s on %(subject)s #%(id)s.")


def _until(value: Any) -> str:
    try:
        return absolute_time(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def audit_sentence(entry: ModerationAction, names: dict[tuple[str, int], str]) -> Markup:
    """What an audit entry records, as one sentence in the reader's language, each name in its own <bdi>."""
    before, after = entry_data(entry)
    unknown = gettext("someone")
    params: dict[str, Any] = {
        "actor": entry.actor.name if entry.actor else gettext("The system"),
        "id": entry.target_id,
        "author": names.get((entry.target_type, entry.target_id), unknown),
        "member": names.get(("user", entry.target_id), unknown),
        "name": after.get("name") or before.get("name") or entry.reason,
        "original": after.get("duplicate_of") or after.get("question_id") or "",
        "old": names.get(("board", before.get("board_id")), unknown),
        "new": names.get(("board", after.get("board_id")), unknown),
    }
    action = entry.action
    if action == "flags_dismissed" and entry.target_type in ("question", "answer"):
        count = after.get("dismissed") if isinstance(after.get("dismissed"), int) else 0
        if entry.target_type == "answer":
            return ngettext(
                "%(actor)s dismissed %(num)d flag on an answer by %(author)s.",
                "%(actor)s dismissed %(num)d flags on an answer by %(author)s.",
                count,
                **params,
            )
        return ngettext(
            "%(actor)s dismissed %(num)d flag on a question by %(author)s.",
            "%(actor)s dismissed %(num)d flags on a question by %(author)s.",
            count,
            **params,
        )
    if action == "member_suspended":
        until = after.get("suspended_until")
        if until in (None, "indefinitely"):
            return isolated_gettext(SUSPENDED_INDEFINITELY, **params)
        return isolated_gettext(SUSPENDED, until=_until(until), **params)
    if action == "case_assigned":
        assignee = after.get("assignee_id")
        if assignee is None:
            return isolated_gettext(UNASSIGNED, **params)
        return isolated_gettext(ASSIGNED, **{**params, "member": names.get(("user", assignee), unknown)})
    if action == "role_changed":
        old, new = ROLE_NAMES.get(str(before.get("role")), "?"), ROLE_NAMES.get(str(after.get("role")), "?")
        return isolated_gettext(ROLE_CHANGED, **{**params, "old": gettext(old), "new": gettext(new)})
    if action == "board_moved":
        params["position"] = after.get("position", "?")
    if action in ("rule_toggled", "builtin_rule_toggled"):
        on = bool(after.get("enabled"))
        if action == "rule_toggled":
            return isolated_gettext(RULE_ON if on else RULE_OFF, **params)
        params["name"] = gettext(listening.BUILTIN_DETECTORS.get(entry.reason, entry.reason))
        return isolated_gettext(BUILTIN_ON if on else BUILTIN_OFF, **params)
    template = SENTENCES.get(action)
    if isinstance(template, dict):
        template = template.get(entry.target_type)
    if template is None:
        return isolated_gettext(UNKNOWN, action=action, subject=entry.target_type, **params)
    return isolated_gettext(template, **params)
