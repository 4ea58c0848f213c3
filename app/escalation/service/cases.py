"""A case as its people see it, and its moves through the workflow: who may read it, its audit timeline, the
customer's own cases, and the transitions (with the public resolution they may publish)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.auth.permissions import can, is_staff
from app.db import utcnow
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.escalation import labels, rules, workflow
from app.escalation.models import Case
from app.forum import service as forum
from app.forum.models import Question
from app.moderation.models import ModerationAction
from app.moderation.service.auditing import audit, entry_data
from app.notifications import service as notifications
from app.webhooks import service as webhooks

NOTE_MAX = 500


def case_link(case: Case) -> str:
    return f"/cases/{case.id}"


# --- reading ------------------------------------------------------------------------------------


def asker_case(session: Session, user: User | None, question: Question) -> Case | None:
    """The private case about `question` that `user` asked, if they are its asker: an open one first, else the
    latest. Nobody else's question costs a query."""
    if user is None or not getattr(user, "is_authenticated", False) or question.author_id != user.id:
        return None
    active = Case.status.in_(workflow.ACTIVE_STATES)
    return session.scalar(
        select(Case)
        .where(Case.question_id == question.id, Case.customer_id == user.id)
        .order_by(active.desc(), Case.opened_at.desc(), Case.id.desc())
        .limit(1)
    )


def access_case(session: Session, user: User | None, case_id: int) -> Case:
    """The case, for its customer, moderators and staff; anyone else gets NotFound (ids are not secrets)."""
    case = session.scalar(
        select(Case)
        .options(
            joinedload(Case.question).joinedload(Question.author), joinedload(Case.customer), joinedload(Case.assignee)
        )
        .where(Case.id == case_id)
    )
    if case is None or not can(user, "view_case", case):
        raise NotFound(_("There is no such case."))
    return case


def timeline(session: Session, case: Case) -> list[ModerationAction]:
    return list(
        session.scalars(
            select(ModerationAction)
            .options(joinedload(ModerationAction.actor))
            .where(ModerationAction.target_type == "case", ModerationAction.target_id == case.id)
            .order_by(ModerationAction.id)
        )
    )


def timeline_names(session: Session, entries: list[ModerationAction]) -> dict[int, str]:
    """The names of the staff members a timeline's assignments mention, in one query."""
    ids = {
        data.get("assignee_id")
        for entry in entries
        if entry.action == "case_assigned"
        for data in entry_data(entry)
        if isinstance(data.get("assignee_id"), int)
    }
    if not ids:
        return {}
    return {user.id: user.name for user in session.scalars(select(User).where(User.id.in_(ids)))}


def my_cases(session: Session, customer: User) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .options(joinedload(Case.question))
            .where(Case.customer_id == customer.id)
            .order_by(Case.id.desc())
        )
    )


def is_overdue(case: Case, now: datetime | None = None) -> bool:
    return workflow.is_open(case.status) and case.due_at < (now or utcnow())


# --- the workflow -------------------------------------------------------------------------------


def _role(user: User, case: Case) -> str:
    if is_staff(user):
        return workflow.STAFF
    if user.id == case.customer_id:
        return workflow.CUSTOMER
    raise PermissionDenied(_("Only staff move a case along."))


def available_moves(user: User, case: Case) -> list[workflow.Move]:
    """The workflow steps `user` may take now (the case page's buttons). A customer's reply moves a waiting case
    by itself, so it is not a button; moderators see cases but do not move them."""
    try:
        role = _role(user, case)
    except PermissionDenied:
        return []
    return [move for move in workflow.allowed(case.status, role) if move.action != "customer_reply"]


def move(session: Session, actor: User, case: Case, action: str, role: str) -> None:
    """Take one step of the workflow table, keeping the case's clocks and the audit log."""
    try:
        new = workflow.next_state(case.status, action, role)
    except workflow.IllegalTransition:
        raise InvalidTransition(
            _(
                "A case that is “%(state)s” can't be “%(action)s”.",
                state=labels.STATE_LABELS[case.status],
                action=action,
            )
        ) from None
    old, now = case.status, utcnow()
    case.status, case.updated_at = new, now
    if new == "resolved":
        case.resolved_at = now
    elif new == "closed":
        case.closed_at = now
    elif action == "reopen":
        case.resolved_at = None
        case.due_at = max(case.due_at, now + rules.first_response_target(case.category, case.priority))
    audit(session, actor, f"case_{action}", "case", case.id, "", before={"status": old}, after={"status": new})
    webhooks.emit(
        session,
        "case.status",
        f"case:{case.id}",
        {**webhooks.case_payload(case), "change": {"action": action, "from": old, "to": new}},
    )


def reopen_by_customer(session: Session, customer: User, case: Case) -> None:
    if case.resolved_at is None or utcnow() - case.resolved_at > timedelta(days=rules.REOPEN_DAYS):
        raise InvalidTransition(
            _("This case was resolved more than %(days)d days ago. Please ask a new question.", days=rules.REOPEN_DAYS)
        )
    move(session, customer, case, "reopen", workflow.CUSTOMER)


def transition(session: Session, actor: User, case_id: int, action: str, public_resolution: str = "") -> Case:
    case = access_case(session, actor, case_id)
    if action not in workflow.ACTIONS or action == "customer_reply":
        raise NotFound(_("Unknown case action."))
    role = _role(actor, case)
    if action == "reopen" and role == workflow.CUSTOMER:
        if case.status != "resolved":
            raise InvalidTransition(_("Only a resolved case can be reopened."))
        reopen_by_customer(session, actor, case)
    else:
        move(session, actor, case, action, role)
    if action == "resolve":
        _publish_resolution(session, actor, case, public_resolution)
    if role == workflow.STAFF:
        notifications.notify(
            session,
            case.customer_id,
            "case_status",
            {"case": case.id, "what": labels.STATUS_NEWS[action]},
            case_link(case),
            actor_id=actor.id,
        )
    return case


def _publish_resolution(session: Session, staff: User, case: Case, text: str) -> None:
    """A short public outcome (no private details), so the next customer with the problem learns it: a staff
    answer on a public thread (searchable, and can be accepted), else the note its asker sees. Never both,
    or readers met the same text twice (the staff banner and the staff answer)."""
    text = (text or "").strip()
    if not text:
        return
    if len(text) > NOTE_MAX * 4:
        raise ValidationFailed(
            _("Keep the public resolution short (at most %(max)d characters).", max=NOTE_MAX * 4), "public_resolution"
        )
    question = session.get(Question, case.question_id)
    case.public_resolution = text
    public = can(None, "view_question", question)  # as a visitor would see it: neither hidden nor withdrawn
    if public:
        forum.post_answer(session, staff, question.id, forum.AnswerDraft(text))
    else:
        question.support_note = text
    audit(session, staff, "case_resolution_published", "case", case.id, "", after={"public": not question.is_private})
