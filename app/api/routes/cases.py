"""Moderation and staff over the API: escalating, the case inbox, a case, its conversation, its workflow."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from spectree import Response

from app.api import schemas, shapes
from app.api.auth import api_access
from app.api.blueprint import Errors, bp, secured, spec
from app.auth.permissions import require
from app.db import db
from app.errors import PermissionDenied
from app.escalation import service as escalation
from app.extensions import limiter, post_limit, user_or_address

# --- moderation and staff ----------------------------------------------------------------------------


@bp.post("/questions/<id:question_id>/escalate")
@api_access("moderator", "moderate")
@spec.validate(
    json=schemas.Escalate,
    resp=Response(HTTP_201=schemas.CaseDetail, **Errors),
    tags=["moderation"],
    security=secured("moderate"),
)
def escalate(question_id: int):
    """Take a question to staff as a private case."""
    body: schemas.Escalate = request.context.json
    session = db.session()
    draft = escalation.EscalationDraft(category=body.category, priority=body.priority, public_note=body.public_note)
    case = escalation.escalate(session, current_user, question_id, draft, answer_id=body.answer_id)
    db.commit()
    return shapes.case_detail(escalation.access_case(session, current_user, case.id)), 201


@bp.get("/cases")
@api_access("staff", "staff")
@spec.validate(
    query=schemas.CaseQuery,
    resp=Response(HTTP_200=schemas.CaseList, **Errors),
    tags=["cases"],
    security=secured("staff"),
)
def cases():
    """The staff inbox, with its filters."""
    query: schemas.CaseQuery = request.context.query
    filters = escalation.InboxFilter(
        status=query.status,
        category=query.category,
        priority=query.priority,
        assignee=query.assignee,
        overdue=query.overdue,
    )
    inbox = escalation.inbox(db.session(), current_user, filters)
    return schemas.CaseList(cases=[shapes.case_summary(c) for c in inbox.cases], counts=inbox.counts)


@bp.get("/cases/<id:case_id>")
@api_access("member", "read", owner=True)
@spec.validate(resp=Response(HTTP_200=schemas.CaseDetail, **Errors), tags=["cases"], security=secured("read"))
def case(case_id: int):
    """A case: for its customer, staff, and (its status only) moderators."""
    return shapes.case_detail(escalation.access_case(db.session(), current_user, case_id))


@bp.get("/cases/<id:case_id>/messages")
@api_access("member", "read", owner=True)
@spec.validate(resp=Response(HTTP_200=schemas.CaseMessages, **Errors), tags=["cases"], security=secured("read"))
def case_messages(case_id: int):
    """The conversation: internal notes only for staff."""
    session = db.session()
    found = escalation.access_case(session, current_user, case_id)
    require(current_user, "read_case", found, _("Only the customer and staff read a case's conversation."))
    rows = escalation.messages_for(session, current_user, found)
    authors = shapes.users_by_id(session, [m.author_id for m in rows])
    return schemas.CaseMessages(messages=[shapes.message_of(m, authors.get(m.author_id)) for m in rows])


@bp.post("/cases/<id:case_id>/messages")
@api_access("member", "write", owner=True)
@limiter.limit(post_limit, key_func=user_or_address)
@spec.validate(
    json=schemas.PostCaseMessage,
    resp=Response(HTTP_201=schemas.CaseMessage, **Errors),
    tags=["cases"],
    security=secured("write"),
)
def post_case_message(case_id: int):
    """Reply on a case (customer or staff), or add an internal note (staff token with the staff scope)."""
    body: schemas.PostCaseMessage = request.context.json
    if body.internal and "staff" not in g.api_token.scope_set:
        raise PermissionDenied(_("Internal notes need a token with the “staff” scope."))
    posted = escalation.post_message(db.session(), current_user, case_id, body.body, internal=body.internal)
    db.commit()
    return shapes.message_of(posted, current_user), 201


@bp.post("/cases/<id:case_id>/status")
@api_access("member", "write", owner=True)
@spec.validate(
    json=schemas.CaseMove,
    resp=Response(HTTP_200=schemas.CaseDetail, **Errors),
    tags=["cases"],
    security=secured("write"),
)
def case_status(case_id: int):
    """Move a case along its workflow (one of its `moves`)."""
    body: schemas.CaseMove = request.context.json
    session = db.session()
    escalation.transition(session, current_user, case_id, body.action, body.public_resolution)
    db.commit()
    return shapes.case_detail(escalation.access_case(session, current_user, case_id))


@bp.post("/cases/<id:case_id>/assignee")
@api_access("staff", "staff")
@spec.validate(
    json=schemas.Assign,
    resp=Response(HTTP_200=schemas.CaseDetail, **Errors),
    tags=["cases"],
    security=secured("staff"),
)
def assign(case_id: int):
    """Assign a case to a staff member (or to nobody)."""
    body: schemas.Assign = request.context.json
    session = db.session()
    escalation.assign(session, current_user, case_id, body.assignee)
    db.commit()
    return shapes.case_detail(escalation.access_case(session, current_user, case_id))
