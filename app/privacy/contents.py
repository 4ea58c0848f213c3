"""What a member's data export holds: every row about them, never another member's private data or staff's
internal notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserSession
from app.auth.visibility import can_see
from app.db import utcnow
from app.escalation.models import Case, CaseMessage
from app.forum.models import Answer, Board, Question, Revision
from app.moderation.models import Flag
from app.notifications.models import EmailMessage, Notification, Subscription
from app.reputation.models import Kudo, PointEvent, UserBadge


@dataclass(frozen=True)
class ExportData:
    """Each file of the export: name -> rows (or, for the profile, one object)."""

    user_name: str
    made_at: datetime
    files: dict[str, Any]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _revisions(revisions: list[Revision], names: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "number": r.number,
            "editor": names.get(r.editor_id, ""),
            "title": r.title,
            "tags": r.tags,
            "body": r.body_source,
            "created_at": _time(r.created_at),
        }
        for r in revisions
    ]


def collect(session: Session, user: User) -> ExportData:
    """Everything held about `user`: never another member's private data, never staff's internal notes."""
    uid = user.id
    questions = list(session.scalars(select(Question).where(Question.author_id == uid).order_by(Question.id)))
    answers = list(session.scalars(select(Answer).where(Answer.author_id == uid).order_by(Answer.id)))
    question_ids, answer_ids = [q.id for q in questions], [a.id for a in answers]
    revisions = list(
        session.scalars(
            select(Revision)
            .where(Revision.question_id.in_(question_ids) | Revision.answer_id.in_(answer_ids))
            .order_by(Revision.id)
        )
    )
    cases = list(session.scalars(select(Case).where(Case.customer_id == uid).order_by(Case.id)))
    messages = list(
        session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id.in_([c.id for c in cases]), CaseMessage.is_internal.is_(False))
            .order_by(CaseMessage.id)
        )
    )
    kudos_given = list(session.scalars(select(Kudo).where(Kudo.giver_id == uid).order_by(Kudo.id)))
    kudos_received = list(session.scalars(select(Kudo).where(Kudo.receiver_id == uid).order_by(Kudo.id)))
    people = {r.editor_id for r in revisions} | {m.author_id for m in messages} | {k.giver_id for k in kudos_received}
    names = {u.id: u.name for u in session.scalars(select(User).where(User.id.in_(people)))}
    related = {a.question_id for a in answers}
    follows = list(session.scalars(select(Subscription).where(Subscription.user_id == uid).order_by(Subscription.id)))
    related |= {s.question_id for s in follows if s.question_id}
    seen = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(related)))}
    boards = {b.id: b for b in session.scalars(select(Board))}

    def title_of(question_id: int | None) -> str | None:
        # The title of someone else's thread only while this member may still read it.
        question = seen.get(question_id) if question_id else None
        return question.title if question is not None and can_see(user, question) else None

    by_question: dict[int, list[Revision]] = {}
    by_answer: dict[int, list[Revision]] = {}
    for r in revisions:
        (by_question.setdefault(r.question_id, []) if r.question_id else by_answer.setdefault(r.answer_id, [])).append(
            r
        )
    files: dict[str, Any] = {
        "profile.json": {
            "id": uid,
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "bio": user.bio,
            "language": user.locale,
            "role": user.role,
            "points": user.points,
            "accepted_solutions": user.solution_count,
            "email_notifications": user.email_pref,
            "created_at": _time(user.created_at),
            "last_seen_at": _time(user.last_seen_at),
            "suspended_at": _time(user.suspended_at),
            "suspended_until": _time(user.suspended_until),
            "suspension_reason": user.suspension_reason,
        },
        "sign_ins.json": [
            {
                "started_at": _time(s.created_at),
                "last_seen_at": _time(s.last_seen_at),
                "client": s.client,
                "ended_at": _time(s.revoked_at),
            }
            for s in session.scalars(select(UserSession).where(UserSession.user_id == uid).order_by(UserSession.id))
        ],
        "questions.json": [
            {
                "id": q.id,
                "board": boards[q.board_id].name if q.board_id in boards else None,
                "title": q.title,
                "body": q.body_source,
                "language": q.language,
                "created_at": _time(q.created_at),
                "edited_at": _time(q.edited_at),
                "solved": q.is_solved,
                "hidden": q.is_hidden,
                "hidden_reason": q.hidden_reason,
                "private": q.is_private,
                "revisions": _revisions(by_question.get(q.id, []), names),
            }
            for q in questions
        ],
        "answers.json": [
            {
                "id": a.id,
                "question_id": a.question_id,
                "question_title": title_of(a.question_id),
                "body": a.body_source,
                "language": a.language,
                "created_at": _time(a.created_at),
                "edited_at": _time(a.edited_at),
                "accepted": a.is_accepted,
                "hidden": a.is_hidden,
                "hidden_reason": a.hidden_reason,
                "revisions": _revisions(by_answer.get(a.id, []), names),
            }
            for a in answers
        ],
        "kudos_given.json": [
            {"question_id": k.question_id, "answer_id": k.answer_id, "created_at": _time(k.created_at)}
            for k in kudos_given
        ],
        "kudos_received.json": [
            {
                "from": names.get(k.giver_id, ""),
                "question_id": k.question_id,
                "answer_id": k.answer_id,
                "created_at": _time(k.created_at),
            }
            for k in kudos_received
        ],
        "points.json": [
            {
                "delta": p.delta,
                "reason": p.reason,
                "question_id": p.question_id,
                "answer_id": p.answer_id,
                "created_at": _time(p.created_at),
            }
            for p in session.scalars(select(PointEvent).where(PointEvent.user_id == uid).order_by(PointEvent.id))
        ],
        "badges.json": [
            {"badge": b.badge, "awarded_at": _time(b.awarded_at)}
            for b in session.scalars(select(UserBadge).where(UserBadge.user_id == uid).order_by(UserBadge.id))
        ],
        "follows.json": [
            {
                "question_id": s.question_id,
                "question_title": title_of(s.question_id),
                "board": boards[s.board_id].name if s.board_id in boards else None,
                "created_at": _time(s.created_at),
            }
            for s in follows
        ],
        "notifications.json": [
            {
                "kind": n.kind,
                "text": n.text,
                "link": n.link,
                "created_at": _time(n.created_at),
                "read_at": _time(n.read_at),
            }
            for n in session.scalars(select(Notification).where(Notification.user_id == uid).order_by(Notification.id))
        ],
        "flags.json": [
            {
                "question_id": f.question_id,
                "answer_id": f.answer_id,
                "reason": f.reason,
                "note": f.note,
                "status": f.status,
                "created_at": _time(f.created_at),
            }
            for f in session.scalars(select(Flag).where(Flag.reporter_id == uid).order_by(Flag.id))
        ],
        "cases.json": [
            {
                "id": c.id,
                "question_id": c.question_id,
                "category": c.category,
                "status": c.status,
                "public_note": c.public_note,
                "public_resolution": c.public_resolution,
                "opened_at": _time(c.opened_at),
                "resolved_at": _time(c.resolved_at),
                "closed_at": _time(c.closed_at),
                "messages": [
                    {
                        "from": "you" if m.author_id == uid else names.get(m.author_id, ""),
                        "body": m.body_source,
                        "created_at": _time(m.created_at),
                    }
                    for m in messages
                    if m.case_id == c.id
                ],
            }
            for c in cases
        ],
        "emails.json": [
            {
                "to": m.to_address,
                "subject": m.subject,
                "body": m.body,
                "status": m.status,
                "created_at": _time(m.created_at),
            }
            for m in session.scalars(select(EmailMessage).where(EmailMessage.user_id == uid).order_by(EmailMessage.id))
        ],
    }
    return ExportData(user_name=user.name, made_at=utcnow(), files=files)
