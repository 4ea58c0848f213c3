"""A case's private conversation: messages between the customer and staff, and internal notes for insiders.
A message may move the case (a staff reply starts it, a customer's reply resumes or reopens it)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app import content
from app.accounts.models import User
from app.attachments import service as attachments
from app.auth.permissions import can, is_staff, require
from app.db import utcnow
from app.errors import InvalidTransition, ValidationFailed
from app.escalation import rules, workflow
from app.escalation.models import Case, CaseMessage
from app.escalation.service.cases import access_case, case_link, move, reopen_by_customer
from app.moderation.service.auditing import audit
from app.notifications import service as notifications
from app.webhooks import service as webhooks

MESSAGE_MIN, MESSAGE_MAX = 2, 10_000


def check_message(body: str) -> str:
    body = (body or "").strip()
    if len(body) < MESSAGE_MIN:
        raise ValidationFailed(_("Write your message first."), "body")
    if len(body) > MESSAGE_MAX:
        raise ValidationFailed(_("Keep it under %(max)d characters.", max=MESSAGE_MAX), "body")
    return body


def messages_for(session: Session, user: User, case: Case) -> list[CaseMessage]:
    """The conversation for those who may read it (else nothing); internal notes only for insiders."""
    if not can(user, "read_case", case):
        return []
    query = select(CaseMessage).options(joinedload(CaseMessage.author)).where(CaseMessage.case_id == case.id)
    if not can(user, "write_internal_note", case):
        query = query.where(CaseMessage.is_internal.is_(False))
    return list(session.scalars(query.order_by(CaseMessage.id)))


def add_message(
    session: Session, author: User, case: Case, body: str, internal: bool, max_attachments: int = 10
) -> CaseMessage:
    """Store a checked message and audit it; the callers decide who may write and what it moves."""
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
    attachments.hold(session, author, body, max_attachments, message=message)
    case.updated_at = message.created_at
    audit(
        session,
        author,
        "case_note" if internal else "case_message",
        "case",
        case.id,
        "",
        after={"message_id": message.id},
    )
    return message


def post_message(
    session: Session, author: User, case_id: int, body: str, internal: bool = False, max_attachments: int = 10
) -> CaseMessage:
    case = access_case(session, author, case_id)
    body = check_message(body)
    if internal:
        require(author, "write_internal_note", case, _("Only our staff write internal notes."))
        return add_message(session, author, case, body, internal=True)
    if case.status == "closed":
        raise InvalidTransition(_("This case is closed. Ask a new question if you need more help."))
    require(author, "reply_to_case", case, _("Only the customer and our staff write in this conversation."))
    if is_staff(author):
        return _staff_reply(session, author, case, body, max_attachments)
    message = add_message(session, author, case, body, internal=False, max_attachments=max_attachments)
    webhooks.emit(
        session,
        "case.message",
        f"case:{case.id}",
        webhooks.case_payload(case),
        private={
            "customer": webhooks.customer_payload(author),
            "message": {"id": message.id, "body": message.body_source, "created_at": message.created_at},
        },
    )
    if workflow.allows(case.status, "customer_reply", workflow.CUSTOMER):
        move(session, author, case, "customer_reply", workflow.CUSTOMER)
    elif workflow.allows(case.status, "reopen", workflow.CUSTOMER):
        reopen_by_customer(session, author, case)
    if case.assignee_id:
        notifications.notify(
            session, case.assignee_id, "case_customer_reply", {"case": case.id}, case_link(case), actor_id=author.id
        )
    return message


def _staff_reply(session: Session, staff: User, case: Case, body: str, max_attachments: int = 10) -> CaseMessage:
    """The first staff reply stops the first-response clock and starts the resolution clock."""
    message = add_message(session, staff, case, body, internal=False, max_attachments=max_attachments)
    if case.first_staff_response_at is None:
        case.first_staff_response_at = message.created_at
        case.due_at = case.opened_at + rules.resolution_target(case.category, case.priority)
    if workflow.allows(case.status, "start", workflow.STAFF):
        move(session, staff, case, "start", workflow.STAFF)
    notifications.notify(session, case.customer_id, "case_reply", {"case": case.id}, case_link(case), actor_id=staff.id)
    return message
