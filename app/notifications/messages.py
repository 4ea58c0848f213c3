"""What each kind of notification says, with %(name)s placeholders; shown in the reader's language."""

from __future__ import annotations

from app.marks import N_

MESSAGES: dict[str, str] = {
    "new_answer": N_("%(actor)s answered “%(title)s”."),
    "new_question": N_("New question in %(board)s: “%(title)s”."),
    "accepted": N_("Your answer on “%(title)s” was accepted as the solution."),
    "kudos": N_("%(count)s people gave kudos to your post on “%(title)s”."),
    "kudo": N_("%(actor)s gave kudos to your post on “%(title)s”."),
    "mention": N_("%(actor)s mentioned you in “%(title)s”."),
    "badge": N_("You earned the badge %(badge)s."),
    "rank": N_("You reached the rank %(rank)s."),
    "hidden": N_("A moderator hid your post on “%(title)s”: %(reason)s"),
    "case_opened": N_("Our support team opened private case #%(case)s about your question."),
    "case_reply": N_("Our staff replied on your private case #%(case)s."),
    "case_customer_reply": N_("The customer replied on case #%(case)s."),
    "case_status": N_("Your private case #%(case)s %(what)s."),
    "case_assigned": N_("Case #%(case)s was assigned to you."),
    "case_overdue": N_("Case #%(case)s is past its response time: the customer is waiting for us."),
    "webhook_disabled": N_("The webhook to %(url)s was switched off after %(count)s failed deliveries in a row."),
    "export_ready": N_("Your data export is ready to download."),
    "mail_bouncing": N_("Your mail server keeps refusing our e-mail. Check your address, then ask us to try again."),
}


def render(kind: str, params: dict, translate=lambda text: text) -> str:
    template = MESSAGES.get(kind)
    if template is None:
        return ""
    if kind == "case_status" and isinstance(params.get("what"), str):
        params = {**params, "what": translate(params["what"])}  # stored as the English source, read translated
    try:
        return translate(template) % params
    except (KeyError, TypeError, ValueError):
        return template % {key: params.get(key, "") for key in params} if params else template
