"""Flags and the moderators' queue: members report posts, trusted reports hide them, moderators dismiss the
flags or hide and restore the post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.auth.visibility import access_post
from app.db import utcnow
from app.errors import Conflict, ValidationFailed
from app.forum.models import Answer, Board, Question
from app.moderation.models import FLAG_NOTE_MAX, FLAG_REASONS, Flag
from app.moderation.service.auditing import audit, check_reason
from app.notifications import service as notifications
from app.reputation import rules as reputation_rules
from app.reputation import service as reputation
from app.search import outbox as search_outbox

Post = Question | Answer
# Flags from this many members of at least this rank hide a post until a moderator looks at it.
AUTO_HIDE_FLAGS = 3
AUTO_HIDE_RANK = "helper"
AUTO_HIDE_REASON = "Hidden after reports from several experienced members, until a moderator reviews it."
# Reasons that need a moderator sooner.
URGENT_REASONS = {"private_data": 3, "abusive": 2, "billing_account": 2}


def _target(post: Post) -> tuple[str, int]:
    return ("answer" if isinstance(post, Answer) else "question", post.id)


def _post_filter(post: Post):
    return Flag.answer_id == post.id if isinstance(post, Answer) else Flag.question_id == post.id


# --- flags --------------------------------------------------------------------------------------


def flag_post(session: Session, reporter: User, kind: str, post_id: int, reason: str, note: str = "") -> Flag:
    post = access_post(
        session, reporter, kind, post_id, "flag", _("You can't flag this post: it is your own post, or already hidden.")
    )
    if reason not in FLAG_REASONS:
        raise ValidationFailed(_("Choose why you are flagging this post."), "reason")
    note = (note or "").strip()
    if reason == "other" and not note:
        raise ValidationFailed(_("Tell the moderators what is wrong."), "note")
    if len(note) > FLAG_NOTE_MAX:
        raise ValidationFailed(_("Keep the note under %(max)d characters.", max=FLAG_NOTE_MAX), "note")
    if session.scalar(select(Flag.id).where(Flag.reporter_id == reporter.id, _post_filter(post))):
        raise Conflict(_("You already flagged this post. The moderators will look at it."))
    flag = Flag(
        reporter_id=reporter.id,
        reason=reason,
        note=note,
        source="member",
        status="pending",
        created_at=utcnow(),
        **{f"{kind}_id": post.id},
    )
    session.add(flag)
    session.flush()
    _maybe_hide_after_flags(session, post)
    return flag


def _maybe_hide_after_flags(session: Session, post: Post) -> None:
    reporters = session.execute(
        select(User.points, User.solution_count)
        .join(Flag, Flag.reporter_id == User.id)
        .where(_post_filter(post), Flag.status == "pending")
    ).all()
    trusted = sum(
        1 for points, solutions in reporters if reputation_rules.rank_at_least(points, solutions, AUTO_HIDE_RANK)
    )
    if trusted >= AUTO_HIDE_FLAGS and not post.is_hidden:
        _hide(session, None, post, AUTO_HIDE_REASON, resolve_flags=False)


@dataclass(frozen=True)
class QueueItem:
    kind: str
    post: Post
    question: Question
    flags: list[Flag]
    priority: int

    @property
    def latest(self) -> datetime:
        return max(flag.created_at for flag in self.flags)


def queue(session: Session, limit: int = 50) -> list[QueueItem]:
    """Pending flags grouped by post, the most urgent and newest first."""
    flags = list(
        session.scalars(
            select(Flag)
            .options(joinedload(Flag.reporter))
            .where(Flag.status == "pending")
            .order_by(Flag.id.desc())
            .limit(1000)
        )
    )
    grouped: dict[tuple[str, int], list[Flag]] = {}
    for flag in flags:
        key = ("answer", flag.answer_id) if flag.answer_id else ("question", flag.question_id)
        grouped.setdefault(key, []).append(flag)
    answers = {
        a.id: a
        for a in session.scalars(
            select(Answer)
            .options(joinedload(Answer.author), joinedload(Answer.question))
            .where(Answer.id.in_([i for k, i in grouped if k == "answer"]))
        )
    }
    questions = {
        q.id: q
        for q in session.scalars(
            select(Question)
            .options(joinedload(Question.author))
            .where(Question.id.in_([i for k, i in grouped if k == "question"]))
        )
    }
    items = []
    for (kind, post_id), post_flags in grouped.items():
        post = answers.get(post_id) if kind == "answer" else questions.get(post_id)
        if post is None:
            continue
        question = post.question if isinstance(post, Answer) else post
        priority = len(post_flags) + sum(URGENT_REASONS.get(f.reason, 0) for f in post_flags)
        items.append(QueueItem(kind, post, question, post_flags, priority))
    items.sort(key=lambda item: (item.priority, item.latest), reverse=True)
    return items[:limit]


def pending_count(session: Session) -> int:
    """Posts waiting for a moderator (the number in the header)."""
    return (
        session.scalar(
            select(func.count(func.distinct(func.coalesce(Flag.answer_id * 2, Flag.question_id * 2 + 1)))).where(
                Flag.status == "pending"
            )
        )
        or 0
    )


def _resolve_flags(session: Session, actor: User | None, post: Post, status: str) -> int:
    result = session.execute(
        update(Flag)
        .where(_post_filter(post), Flag.status == "pending")
        .values(status=status, resolved_at=utcnow(), resolved_by_id=actor.id if actor else None)
    )
    return result.rowcount or 0


def dismiss_flags(session: Session, actor: User, kind: str, post_id: int, reason: str = "") -> Post:
    post = access_post(session, actor, kind, post_id, "moderate")
    count = _resolve_flags(session, actor, post, "dismissed")
    if not count:
        raise Conflict(_("There are no pending flags on this post."))
    if post.is_hidden and post.hidden_reason == AUTO_HIDE_REASON:
        _restore(session, actor, post, "Flags dismissed")
    audit(
        session,
        actor,
        "flags_dismissed",
        *_target(post),
        check_reason(reason, required=False),
        after={"dismissed": count},
    )
    return post


# --- hiding and restoring -----------------------------------------------------------------------


def _hide(session: Session, actor: User | None, post: Post, reason: str, resolve_flags: bool = True) -> None:
    post.is_hidden, post.hidden_reason, post.hidden_at = True, reason, utcnow()
    if isinstance(post, Answer):
        question = session.get(Question, post.question_id)
        question.answer_count = Question.answer_count - 1
    else:
        session.execute(update(Board).where(Board.id == post.board_id).values(question_count=Board.question_count - 1))
    reputation.post_hidden(session, post, actor)
    search_outbox.enqueue(session, post.question_id if isinstance(post, Answer) else post.id)
    if resolve_flags:  # a hide by the flags themselves leaves them pending for a moderator's review
        _resolve_flags(session, actor, post, "actioned")
    audit(session, actor, "post_hidden", *_target(post), reason, before={"hidden": False}, after={"hidden": True})
    thread = session.get(Question, post.question_id) if isinstance(post, Answer) else post
    notifications.notify(
        session,
        post.author_id,
        "hidden",
        {"title": thread.title, "reason": reason},
        f"/questions/{thread.id}",
        actor_id=actor.id if actor else None,
    )


def _restore(session: Session, actor: User, post: Post, reason: str) -> None:
    post.is_hidden, post.hidden_reason, post.hidden_at = False, None, None
    if isinstance(post, Answer):
        question = session.get(Question, post.question_id)
        question.answer_count = Question.answer_count + 1
    else:
        session.execute(update(Board).where(Board.id == post.board_id).values(question_count=Board.question_count + 1))
    reputation.post_restored(session, post, actor)
    search_outbox.enqueue(session, post.question_id if isinstance(post, Answer) else post.id)
    audit(session, actor, "post_restored", *_target(post), reason, before={"hidden": True}, after={"hidden": False})


def hide_post(session: Session, actor: User, kind: str, post_id: int, reason: str) -> Post:
    post = access_post(session, actor, kind, post_id, "moderate")
    reason = check_reason(reason)
    if post.is_hidden:
        raise Conflict(_("That post is already hidden."))
    _hide(session, actor, post, reason)
    return post


def restore_post(session: Session, actor: User, kind: str, post_id: int, reason: str = "") -> Post:
    post = access_post(session, actor, kind, post_id, "moderate")
    if not post.is_hidden:
        raise Conflict(_("That post is not hidden."))
    _restore(session, actor, post, check_reason(reason, required=False))
    return post
