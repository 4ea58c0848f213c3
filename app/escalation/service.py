"""Escalation operations: open a case (moderator, customer, or from a listening-rule suggestion), talk privately,
move it through the workflow, assign it, and list it for staff. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from app import content
from app.accounts.models import User
from app.auth.permissions import can, is_staff, require
from app.db import utcnow
from app.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.escalation import rules, workflow
from app.escalation.models import Case, CaseMessage
from app.forum import service as forum
from app.forum.models import Answer, Board, Question
from app.moderation import service as moderation
from app.moderation.models import Flag, ModerationAction
from app.notifications import service as notifications
from app.search import outbox as search_outbox

NOTE_MAX = 500
MESSAGE_MIN, MESSAGE_MAX = 2, 10_000
DEFAULT_PUBLIC_NOTE = "Our support team has taken this to a private conversation with the member."
WITHDRAWN_NOTE = "This question was moved to a private conversation with our support team."


@dataclass(frozen=True)
class EscalationDraft:
    category: str
    priority: str = "normal"
    public_note: str = ""
    withdraw: bool = False
    message: str = ""  # the customer's words when they ask for private help

    def validate(self) -> None:
        if self.category not in rules.CATEGORIES:
            raise ValidationFailed(_("Choose what the case is about."), "category")
        if self.priority not in rules.PRIORITIES:
            raise ValidationFailed(_("Choose a priority."), "priority")
        if len(self.public_note) > NOTE_MAX:
            raise ValidationFailed(_("Keep the public note under %(max)d characters.", max=NOTE_MAX), "public_note")
        if len(self.message) > MESSAGE_MAX:
            raise ValidationFailed(_("Keep it under %(max)d characters.", max=MESSAGE_MAX), "message")


def _check_message(body: str) -> str:
    body = (body or "").strip()
    if len(body) < MESSAGE_MIN:
        raise ValidationFailed(_("Write your message first."), "body")
    if len(body) > MESSAGE_MAX:
        raise ValidationFailed(_("Keep it under %(max)d characters.", max=MESSAGE_MAX), "body")
    return body


def _case_link(case: Case) -> str:
    return f"/cases/{case.id}"


# --- reading ------------------------------------------------------------------------------------


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


def messages_for(session: Session, user: User, case: Case) -> list[CaseMessage]:
    """The conversation for those who may read it (else nothing); internal notes only for insiders."""
    if not can(user, "read_case", case):
        return []
    query = select(CaseMessage).options(joinedload(CaseMessage.author)).where(CaseMessage.case_id == case.id)
    if not can(user, "write_internal_note", case):
        query = query.where(CaseMessage.is_internal.is_(False))
    return list(session.scalars(query.order_by(CaseMessage.id)))


def timeline(session: Session, case: Case) -> list[ModerationAction]:
    return list(
        session.scalars(
            select(ModerationAction)
            .options(joinedload(ModerationAction.actor))
            .where(ModerationAction.target_type == "case", ModerationAction.target_id == case.id)
            .order_by(ModerationAction.id)
        )
    )


def my_cases(session: Session, customer: User) -> list[Case]:
    return list(
        session.scalars(
            select(Case)
            .options(joinedload(Case.question))
            .where(Case.customer_id == customer.id)
            .order_by(Case.id.desc())
        )
    )


def cases_for_question(session: Session, question: Question) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.question_id == question.id).order_by(Case.id)))


def is_overdue(case: Case, now: datetime | None = None) -> bool:
    return workflow.is_open(case.status) and case.due_at < (now or utcnow())


@dataclass(frozen=True)
class InboxFilter:
    status: str | None = None  # a state, or "active" (new, open, waiting)
    category: str | None = None
    priority: str | None = None
    assignee: str | None = None  # "me", "none", or a username
    overdue: bool = False


@dataclass(frozen=True)
class Inbox:
    cases: list[Case]
    counts: dict[str, int]


def inbox(session: Session, staff: User, filters: InboxFilter, limit: int = 200) -> Inbox:
    require(staff, "work_cases")
    query = select(Case).options(joinedload(Case.question), joinedload(Case.customer), joinedload(Case.assignee))
    if filters.status == "active" or filters.status is None:
        query = query.where(Case.status.in_(("new", "open", "waiting_on_customer")))
    elif filters.status in workflow.STATES:
        query = query.where(Case.status == filters.status)
    elif filters.status != "all":
        raise ValidationFailed(_("Unknown status."), "status")
    if filters.category:
        if filters.category not in rules.CATEGORIES:
            raise ValidationFailed(_("Unknown category."), "category")
        query = query.where(Case.category == filters.category)
    if filters.priority:
        if filters.priority not in rules.PRIORITIES:
            raise ValidationFailed(_("Unknown priority."), "priority")
        query = query.where(Case.priority == filters.priority)
    if filters.assignee == "me":
        query = query.where(Case.assignee_id == staff.id)
    elif filters.assignee == "none":
        query = query.where(Case.assignee_id.is_(None))
    elif filters.assignee:
        assignee_id = session.scalar(select(User.id).where(User.username_key == filters.assignee.lower()))
        query = query.where(Case.assignee_id == (assignee_id or -1))
    if filters.overdue:
        query = query.where(Case.status.in_(("new", "open")), Case.due_at < utcnow())
    cases = list(session.scalars(query.order_by(Case.due_at, Case.id).limit(limit)))
    counts = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    counts["overdue"] = (
        session.scalar(
            select(func.count()).select_from(Case).where(Case.status.in_(("new", "open")), Case.due_at < utcnow())
        )
        or 0
    )
    return Inbox(cases, {state: int(counts.get(state, 0)) for state in (*workflow.STATES, "overdue")})


def overdue_cases(session: Session, now: datetime | None = None) -> list[Case]:
    """Cases past their due time while staff owe a response (for `flask cases overdue`)."""
    return list(
        session.scalars(
            select(Case)
            .options(joinedload(Case.assignee), joinedload(Case.question))
            .where(Case.status.in_(("new", "open")), Case.due_at < (now or utcnow()))
            .order_by(Case.due_at)
        )
    )


# --- opening ------------------------------------------------------------------------------------


def _open_case(
    session: Session, actor: User, question: Question, draft: EscalationDraft, source: str, answer_id: int | None = None
) -> Case:
    draft.validate()
    if session.scalar(
        select(Case.id).where(Case.question_id == question.id, Case.status.in_(("new", "open", "waiting_on_customer")))
    ):
        raise Conflict(_("This question already has an open case."))
    if answer_id is not None:
        answer = session.get(Answer, answer_id)
        if answer is None or answer.question_id != question.id:
            raise NotFound(_("That answer doesn't exist or was removed."))
    now = utcnow()
    note = draft.public_note.strip() or DEFAULT_PUBLIC_NOTE
    case = Case(
        question_id=question.id,
        answer_id=answer_id,
        customer_id=question.author_id,
        opened_by_id=actor.id,
        source=source,
        category=draft.category,
        priority=draft.priority,
        status="new",
        public_note=note,
        opened_at=now,
        updated_at=now,
        due_at=now + rules.first_response_target(draft.category, draft.priority),
    )
    session.add(case)
    question.support_note = note
    if draft.withdraw and not question.is_private:
        _withdraw(session, question)
    session.flush()
    moderation.audit(
        session,
        actor,
        "case_opened",
        "case",
        case.id,
        "",
        after={
            "question_id": question.id,
            "category": case.category,
            "priority": case.priority,
            "source": source,
            "withdrawn": question.is_private,
        },
    )
    if draft.message.strip():
        _add_message(session, actor, case, _check_message(draft.message), internal=False)
    notifications.notify(
        session, question.author_id, "case_opened", {"case": case.id}, _case_link(case), actor_id=actor.id
    )
    return case


def _withdraw(session: Session, question: Question) -> None:
    """Out of public view: lists, counts and (through the outbox) the search index."""
    question.is_private = True
    search_outbox.enqueue(session, question.id)
    notifications.forget_question(session, question.id, keep_user_id=question.author_id)
    if not question.is_hidden:
        session.execute(
            update(Board).where(Board.id == question.board_id).values(question_count=Board.question_count - 1)
        )


def escalate(
    session: Session,
    moderator: User,
    question_id: int,
    draft: EscalationDraft,
    answer_id: int | None = None,
    source: str = "moderator",
) -> Case:
    """A moderator takes a question to staff; flags asking for it are then done."""
    require(moderator, "escalate")
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound(_("That question doesn't exist or was removed."))
    case = _open_case(session, moderator, question, draft, source, answer_id)
    session.execute(
        update(Flag)
        .where(
            Flag.question_id == question.id,
            Flag.status == "pending",
            Flag.reason.in_(("billing_account", "private_data")),
        )
        .values(status="actioned", resolved_at=utcnow(), resolved_by_id=moderator.id)
    )
    return case


def request_private_help(session: Session, customer: User, question_id: int, draft: EscalationDraft) -> Case:
    """The asker clicks "Get private help from staff" on their own question."""
    question = session.get(Question, question_id)
    if question is None or not can(customer, "view_question", question):
        raise NotFound(_("That question doesn't exist or was removed."))
    require(customer, "request_private_help", question, _("Only the person who asked can ask for private help."))
    if not draft.message.strip():
        raise ValidationFailed(_("Tell our staff what they need to know."), "message")
    return _open_case(session, customer, question, draft, "customer")


def ask_privately(
    session: Session, customer: User, question_draft: forum.QuestionDraft, category: str, source: str = "rule"
) -> Case:
    """From the ask form's suggestion: the question goes straight to staff and never appears in public."""
    question = forum.ask_question(session, customer, question_draft)
    draft = EscalationDraft(
        category=category, withdraw=True, public_note="The member asked our support team for private help."
    )
    return _open_case(session, customer, question, draft, source)


# --- the conversation ---------------------------------------------------------------------------


def _add_message(session: Session, author: User, case: Case, body: str, internal: bool) -> CaseMessage:
    message = CaseMessage(
        case_id=case.id,
        author_id=author.id,
        body_source=body,
        body_html=content.render(body),
        render_version=content.RENDER_VERSION,
        is_internal=internal,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    case.updated_at = message.created_at
    moderation.audit(
        session,
        author,
        "case_note" if internal else "case_message",
        "case",
        case.id,
        "",
        after={"message_id": message.id},
    )
    return message


def post_message(session: Session, author: User, case_id: int, body: str, internal: bool = False) -> CaseMessage:
    case = access_case(session, author, case_id)
    body = _check_message(body)
    if internal:
        require(author, "write_internal_note", case, _("Only our staff write internal notes."))
        return _add_message(session, author, case, body, internal=True)
    if case.status == "closed":
        raise InvalidTransition(_("This case is closed. Ask a new question if you need more help."))
    require(author, "reply_to_case", case, _("Only the customer and our staff write in this conversation."))
    staff_reply = is_staff(author)
    message = _add_message(session, author, case, body, internal=False)
    now = message.created_at
    if staff_reply:
        if case.first_staff_response_at is None:
            case.first_staff_response_at = now
            case.due_at = case.opened_at + rules.resolution_target(case.category, case.priority)
        if case.status == "new":
            _move(session, author, case, "start", workflow.STAFF)
        notifications.notify(
            session, case.customer_id, "case_reply", {"case": case.id}, _case_link(case), actor_id=author.id
        )
    else:
        if case.status == "waiting_on_customer":
            _move(session, author, case, "customer_reply", workflow.CUSTOMER)
        elif case.status == "resolved":
            _reopen_by_customer(session, author, case)
        if case.assignee_id:
            notifications.notify(
                session,
                case.assignee_id,
                "case_customer_reply",
                {"case": case.id},
                _case_link(case),
                actor_id=author.id,
            )
    return message


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


def _move(session: Session, actor: User, case: Case, action: str, role: str) -> None:
    try:
        new = workflow.next_state(case.status, action, role)
    except workflow.IllegalTransition:
        raise InvalidTransition(
            _("A case that is “%(state)s” can't be “%(action)s”.", state=case.status.replace("_", " "), action=action)
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
    moderation.audit(
        session, actor, f"case_{action}", "case", case.id, "", before={"status": old}, after={"status": new}
    )


def _reopen_by_customer(session: Session, customer: User, case: Case) -> None:
    if case.resolved_at is None or utcnow() - case.resolved_at > timedelta(days=rules.REOPEN_DAYS):
        raise InvalidTransition(
            _("This case was resolved more than %(days)d days ago. Please ask a new question.", days=rules.REOPEN_DAYS)
        )
    _move(session, customer, case, "reopen", workflow.CUSTOMER)


def transition(session: Session, actor: User, case_id: int, action: str, public_resolution: str = "") -> Case:
    case = access_case(session, actor, case_id)
    if action not in workflow.ACTIONS or action == "customer_reply":
        raise NotFound(_("Unknown case action."))
    role = _role(actor, case)
    if action == "reopen" and role == workflow.CUSTOMER:
        if case.status != "resolved":
            raise InvalidTransition(_("Only a resolved case can be reopened."))
        _reopen_by_customer(session, actor, case)
    else:
        _move(session, actor, case, action, role)
    if action == "resolve":
        _publish_resolution(session, actor, case, public_resolution)
    if role == workflow.STAFF:
        labels = {
            "start": _("is being worked on"),
            "wait": _("is waiting for your reply"),
            "resume": _("is being worked on again"),
            "resolve": _("is resolved"),
            "close": _("is closed"),
            "reopen": _("was reopened"),
        }
        notifications.notify(
            session,
            case.customer_id,
            "case_status",
            {"case": case.id, "what": str(labels[action])},
            _case_link(case),
            actor_id=actor.id,
        )
    return case


def _publish_resolution(session: Session, staff: User, case: Case, text: str) -> None:
    """A short public outcome (no private details), so the next customer with the problem learns it."""
    text = (text or "").strip()
    if not text:
        return
    if len(text) > NOTE_MAX * 4:
        raise ValidationFailed(
            _("Keep the public resolution short (at most %(max)d characters).", max=NOTE_MAX * 4), "public_resolution"
        )
    question = session.get(Question, case.question_id)
    case.public_resolution = text
    question.support_note = text
    if not question.is_private and not question.is_hidden:
        forum.post_answer(session, staff, question.id, forum.AnswerDraft(text))
    moderation.audit(
        session, staff, "case_resolution_published", "case", case.id, "", after={"public": not question.is_private}
    )


def assign(session: Session, actor: User, case_id: int, assignee_username: str | None) -> Case:
    require(actor, "work_cases")
    case = access_case(session, actor, case_id)
    assignee = None
    if assignee_username:
        assignee = session.scalar(select(User).where(User.username_key == assignee_username.lower()))
        if assignee is None or not is_staff(assignee):
            raise ValidationFailed(_("Cases are assigned to staff members."), "assignee")
    before = case.assignee_id
    if before == (assignee.id if assignee else None):
        raise Conflict(_("The case is already assigned that way."))
    case.assignee_id = assignee.id if assignee else None
    case.updated_at = utcnow()
    moderation.audit(
        session,
        actor,
        "case_assigned",
        "case",
        case.id,
        "",
        before={"assignee_id": before},
        after={"assignee_id": case.assignee_id},
    )
    if assignee is not None:
        notifications.notify(
            session, assignee.id, "case_assigned", {"case": case.id}, _case_link(case), actor_id=actor.id
        )
    return case


def bulk_assign(session: Session, actor: User, case_ids: list[int], assignee_username: str) -> int:
    require(actor, "work_cases")
    if not case_ids:
        raise ValidationFailed(_("Select at least one case."), "case_ids")
    changed = 0
    for case_id in dict.fromkeys(case_ids):
        try:
            assign(session, actor, case_id, assignee_username)
            changed += 1
        except Conflict:
            continue  # already theirs
    return changed
