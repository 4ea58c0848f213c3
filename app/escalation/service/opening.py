"""Opening a case three ways: a moderator escalates, the asker asks for private help, or the ask form's
suggestion sends a new question straight to staff. Withdrawing takes the question out of public view."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.visibility import access_post
from app.db import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.escalation import rules, workflow
from app.escalation.models import Case
from app.escalation.service.cases import NOTE_MAX, case_link
from app.escalation.service.conversation import MESSAGE_MAX, add_message, check_message
from app.forum import service as forum
from app.forum.models import Board, Question
from app.moderation.models import Flag
from app.moderation.service.auditing import audit
from app.notifications import service as notifications
from app.search import outbox as search_outbox
from app.webhooks import service as webhooks

DEFAULT_PUBLIC_NOTE = "Our support team has taken this to a private conversation with the member."
# Flags a moderator's escalation answers: the reporters asked for exactly this.
FLAGS_FOR_STAFF = ("billing_account", "private_data")


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


def _open_case(
    session: Session, actor: User, question: Question, draft: EscalationDraft, source: str, answer_id: int | None = None
) -> Case:
    draft.validate()
    if session.scalar(select(Case.id).where(Case.question_id == question.id, Case.status.in_(workflow.ACTIVE_STATES))):
        raise Conflict(_("This question already has an open case."))
    if answer_id is not None and access_post(session, actor, "answer", answer_id).question_id != question.id:
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
    audit(
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
        add_message(session, actor, case, check_message(draft.message), internal=False)
    customer = session.get(User, question.author_id)
    webhooks.emit(
        session,
        "case.opened",
        f"case:{case.id}",
        webhooks.case_payload(case),
        private={
            "customer": webhooks.customer_payload(customer),
            "question": {"id": question.id, "title": question.title, "body": question.body_source},
            "public_note": note,
            "message": draft.message.strip() or None,
        },
    )
    notifications.notify(
        session, question.author_id, "case_opened", {"case": case.id}, case_link(case), actor_id=actor.id
    )
    return case


def _withdraw(session: Session, question: Question) -> None:
    """Out of public view: lists, counts and (through the outbox) the search index."""
    question.is_private = True
    search_outbox.enqueue(session, question.id)
    notifications.forget_question(session, question.id, keep_user_id=question.author_id)
    if not question.is_hidden:  # a hidden question was already taken off its board's count
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
    question = access_post(session, moderator, "question", question_id, "escalate")
    assert isinstance(question, Question)
    case = _open_case(session, moderator, question, draft, source, answer_id)
    session.execute(
        update(Flag)
        .where(Flag.question_id == question.id, Flag.status == "pending", Flag.reason.in_(FLAGS_FOR_STAFF))
        .values(status="actioned", resolved_at=utcnow(), resolved_by_id=moderator.id)
    )
    return case


def request_private_help(session: Session, customer: User, question_id: int, draft: EscalationDraft) -> Case:
    """The asker clicks "Get private help from staff" on their own question."""
    question = access_post(
        session,
        customer,
        "question",
        question_id,
        "request_private_help",
        _("Only the person who asked can ask for private help."),
    )
    assert isinstance(question, Question)
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
