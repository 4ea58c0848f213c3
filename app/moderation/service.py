"""Moderation operations: flags and the queue, thread actions, suspensions, listening rules, the audit log.

Every action by a moderator, staff member, admin or the system writes one ModerationAction row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts import service as accounts
from app.accounts import sessions as sign_in_sessions
from app.accounts.models import User
from app.auth.permissions import require
from app.db import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.forum import activity
from app.forum.models import Answer, Board, Question
from app.moderation import listening
from app.moderation.models import FLAG_NOTE_MAX, FLAG_REASONS, Flag, ListeningRule, ModerationAction
from app.notifications import service as notifications
from app.reputation import rules as reputation_rules
from app.reputation import service as reputation
from app.search import outbox as search_outbox

Post = Question | Answer
REASON_MAX = 500
# Flags from this many members of at least this rank hide a post until a moderator looks at it.
AUTO_HIDE_FLAGS = 3
AUTO_HIDE_RANK = "helper"
AUTO_HIDE_REASON = "Hidden after reports from several experienced members, until a moderator reviews it."
# Reasons that need a moderator sooner.
URGENT_REASONS = {"private_data": 3, "abusive": 2, "billing_account": 2}
SUSPENSION_DAYS = (1, 3, 7, 30, 365)


# --- the audit log ------------------------------------------------------------------------------


def audit(
    session: Session,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: int,
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> ModerationAction:
    entry = ModerationAction(
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        before=json.dumps(before or {}, default=str, ensure_ascii=False),
        after=json.dumps(after or {}, default=str, ensure_ascii=False),
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditPage:
    entries: list[ModerationAction]
    next_before: int | None


def audit_log(
    session: Session,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> AuditPage:
    query = select(ModerationAction).options(joinedload(ModerationAction.actor))
    if action:
        query = query.where(ModerationAction.action == action)
    if target_type:
        query = query.where(ModerationAction.target_type == target_type)
    if actor:
        actor_id = session.scalar(select(User.id).where(User.username_key == actor.lower()))
        if actor_id is None:
            return AuditPage([], None)
        query = query.where(ModerationAction.actor_id == actor_id)
    if before:
        query = query.where(ModerationAction.id < before)
    entries = list(session.scalars(query.order_by(ModerationAction.id.desc()).limit(limit + 1)))
    return AuditPage(entries[:limit], entries[limit - 1].id if len(entries) > limit else None)


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(ModerationAction.action).distinct().order_by(ModerationAction.action)))


# --- posts --------------------------------------------------------------------------------------


def _load_post(session: Session, kind: str, post_id: int) -> Post:
    model = {"question": Question, "answer": Answer}.get(kind)
    post = session.get(model, post_id) if model else None
    if post is None:
        raise NotFound(_("That post doesn't exist or was removed."))
    return post


def _target(post: Post) -> tuple[str, int]:
    return ("answer" if isinstance(post, Answer) else "question", post.id)


def _post_filter(post: Post):
    return Flag.answer_id == post.id if isinstance(post, Answer) else Flag.question_id == post.id


def _check_reason(reason: str, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_("Give a reason: the member and the audit log will see it."), "reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("Keep the reason under %(max)d characters.", max=REASON_MAX), "reason")
    return reason


# --- flags --------------------------------------------------------------------------------------


def flag_post(session: Session, reporter: User, kind: str, post_id: int, reason: str, note: str = "") -> Flag:
    post = _load_post(session, kind, post_id)
    if post.is_hidden:
        raise NotFound(_("That post doesn't exist or was removed."))
    require(reporter, "flag", post, _("You can't flag your own post."))
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
    require(actor, "moderate")
    post = _load_post(session, kind, post_id)
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
        _check_reason(reason, required=False),
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
    require(actor, "moderate")
    post = _load_post(session, kind, post_id)
    reason = _check_reason(reason)
    if post.is_hidden:
        raise Conflict(_("That post is already hidden."))
    _hide(session, actor, post, reason)
    return post


def restore_post(session: Session, actor: User, kind: str, post_id: int, reason: str = "") -> Post:
    require(actor, "moderate")
    post = _load_post(session, kind, post_id)
    if not post.is_hidden:
        raise Conflict(_("That post is not hidden."))
    _restore(session, actor, post, _check_reason(reason, required=False))
    return post


# --- thread actions -----------------------------------------------------------------------------


def _question(session: Session, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None:
        raise NotFound(_("That question doesn't exist or was removed."))
    return question


def set_thread_state(
    session: Session, actor: User, question_id: int, state: str, on: bool, reason: str = ""
) -> Question:
    """Lock/unlock or pin/unpin a thread."""
    require(actor, "moderate")
    if state not in ("locked", "pinned"):
        raise NotFound(_("Unknown thread action."))
    question = _question(session, question_id)
    attribute = f"is_{state}"
    if getattr(question, attribute) == on:
        raise Conflict(_("The thread is already in that state."))
    setattr(question, attribute, on)
    action = {
        ("locked", True): "thread_locked",
        ("locked", False): "thread_unlocked",
        ("pinned", True): "thread_pinned",
        ("pinned", False): "thread_unpinned",
    }[(state, on)]
    audit(
        session,
        actor,
        action,
        "question",
        question.id,
        _check_reason(reason, required=False),
        before={state: not on},
        after={state: on},
    )
    return question


def move_question(session: Session, actor: User, question_id: int, board_slug: str, reason: str = "") -> Question:
    require(actor, "moderate")
    question = _question(session, question_id)
    board = session.scalar(select(Board).where(Board.slug == board_slug))
    if board is None:
        raise NotFound(_("There is no board called “%(slug)s”.", slug=(board_slug or "")[:60]))
    if board.id == question.board_id:
        raise Conflict(_("The question is already in that board."))
    old = question.board_id
    if not question.is_hidden:
        session.execute(update(Board).where(Board.id == old).values(question_count=Board.question_count - 1))
        board.question_count = Board.question_count + 1
    question.board_id = board.id
    activity.moved(session, question)
    search_outbox.enqueue(session, question.id)
    audit(
        session,
        actor,
        "question_moved",
        "question",
        question.id,
        _check_reason(reason, required=False),
        before={"board_id": old},
        after={"board_id": board.id},
    )
    return question


def close_as_duplicate(session: Session, actor: User, question_id: int, original_id: int, reason: str = "") -> Question:
    require(actor, "moderate")
    question = _question(session, question_id)
    if original_id == question.id:
        raise ValidationFailed(_("A question can't be a duplicate of itself."), "original_id")
    original = session.get(Question, original_id)
    if original is None or original.is_hidden:
        raise NotFound(_("The original question doesn't exist or was removed."))
    seen, cursor = {question.id}, original
    while cursor.duplicate_of_id is not None:  # refuse A -> B -> ... -> A
        if cursor.duplicate_of_id in seen or len(seen) > 100:
            raise Conflict(_("That would make a circle of duplicates."))
        seen.add(cursor.id)
        cursor = session.get(Question, cursor.duplicate_of_id)
    if cursor.id in seen:
        raise Conflict(_("That would make a circle of duplicates."))
    before = question.duplicate_of_id
    question.duplicate_of_id = original.id
    audit(
        session,
        actor,
        "closed_as_duplicate",
        "question",
        question.id,
        _check_reason(reason, required=False),
        before={"duplicate_of": before},
        after={"duplicate_of": original.id},
    )
    return question


def reopen(session: Session, actor: User, question_id: int, reason: str = "") -> Question:
    require(actor, "moderate")
    question = _question(session, question_id)
    if question.duplicate_of_id is None:
        raise Conflict(_("The question is not closed as a duplicate."))
    before = question.duplicate_of_id
    question.duplicate_of_id = None
    audit(
        session,
        actor,
        "reopened",
        "question",
        question.id,
        _check_reason(reason, required=False),
        before={"duplicate_of": before},
        after={"duplicate_of": None},
    )
    return question


def merge_answers(session: Session, actor: User, question_id: int) -> Question:
    """Move a duplicate's answers to its original, so the answers live in one place."""
    require(actor, "moderate")
    question = _question(session, question_id)
    if question.duplicate_of_id is None:
        raise Conflict(_("Close the question as a duplicate first."))
    original = _question(session, question.duplicate_of_id)
    answers = list(session.scalars(select(Answer).where(Answer.question_id == question.id)))
    if not answers:
        raise Conflict(_("That question has no answers to merge."))
    if any(a.is_accepted for a in answers):  # the original keeps its own solution; merged answers arrive unaccepted
        reputation.clear_solution(session, actor, question.id)
    visible = sum(1 for a in answers if not a.is_hidden)
    for answer in answers:
        answer.question_id = original.id
    question.answer_count = Question.answer_count - visible
    question.is_solved = False
    original.answer_count = Question.answer_count + visible
    latest = max(a.created_at for a in answers)
    if latest > original.last_activity_at:
        activity.touch(session, original, latest)
    search_outbox.enqueue(session, question.id)
    search_outbox.enqueue(session, original.id)
    if original.first_answer_at is None or min(a.created_at for a in answers) < original.first_answer_at:
        original.first_answer_at = min(a.created_at for a in answers)
    audit(
        session,
        actor,
        "answers_merged",
        "question",
        question.id,
        "",
        before={"question_id": question.id},
        after={"question_id": original.id, "answers": [a.id for a in answers]},
    )
    return original


# --- suspensions --------------------------------------------------------------------------------


def suspend(session: Session, actor: User, username: str, days: int | None, reason: str) -> User:
    target = accounts.user_by_username(session, username or "")
    require(actor, "suspend", target, _("You can't suspend this member."))
    if days is not None and days not in SUSPENSION_DAYS:
        raise ValidationFailed(_("Choose how long the suspension lasts."), "days")
    reason = _check_reason(reason)
    now = utcnow()
    before = {"suspended_until": target.suspended_until, "suspended": target.is_suspended(now)}
    target.suspended_at = now
    target.suspended_until = now + timedelta(days=days) if days else None
    target.suspension_reason = reason
    sign_in_sessions.end_all(session, target)  # whoever holds its sessions (maybe not the owner) is out
    audit(
        session,
        actor,
        "member_suspended",
        "user",
        target.id,
        reason,
        before=before,
        after={"suspended_until": target.suspended_until or "indefinitely"},
    )
    return target


def unsuspend(session: Session, actor: User, username: str, reason: str = "") -> User:
    target = accounts.user_by_username(session, username or "")
    require(actor, "suspend", target, _("You can't change this member's suspension."))
    if not target.is_suspended():
        raise Conflict(_("That member is not suspended."))
    before = {"suspended_until": target.suspended_until or "indefinitely"}
    target.suspended_at = target.suspended_until = target.suspension_reason = None
    audit(
        session,
        actor,
        "member_unsuspended",
        "user",
        target.id,
        _check_reason(reason, required=False),
        before=before,
        after={"suspended": False},
    )
    return target


# --- listening rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleDraft:
    name: str
    kind: str
    pattern: str
    action: str
    flag_reason: str = "other"

    def validate(self) -> None:
        if not self.name.strip() or len(self.name) > 80:
            raise ValidationFailed(_("Name the rule (at most 80 characters)."), "name")
        if self.kind not in ("keyword", "regex"):
            raise ValidationFailed(_("Choose keyword or pattern."), "kind")
        if self.action not in ("flag", "suggest_private", "mask"):
            raise ValidationFailed(_("Choose what the rule does."), "action")
        if self.flag_reason not in FLAG_REASONS:
            raise ValidationFailed(_("Choose a flag reason."), "flag_reason")
        pattern = self.pattern.strip()
        if not pattern or len(pattern) > 200:
            raise ValidationFailed(_("Write the words or pattern (at most 200 characters)."), "pattern")
        if self.kind == "regex":
            problem = listening.validate_regex(pattern)
            if problem:
                raise ValidationFailed(problem, "pattern")


def list_rules(session: Session) -> tuple[list[tuple[str, str, bool]], list[ListeningRule]]:
    """The built-in detectors with their on/off state, and the custom rules."""
    rows = list(session.scalars(select(ListeningRule).order_by(ListeningRule.id)))
    switched = {r.builtin_key: r.enabled for r in rows if r.kind == "builtin"}
    builtins = [(key, label, switched.get(key, True)) for key, label in listening.BUILTIN_DETECTORS.items()]
    return builtins, [r for r in rows if r.kind != "builtin"]


def add_rule(session: Session, actor: User, draft: RuleDraft) -> ListeningRule:
    require(actor, "administer")
    draft.validate()
    rule = ListeningRule(
        name=draft.name.strip(),
        kind=draft.kind,
        pattern=draft.pattern.strip(),
        action=draft.action,
        flag_reason=draft.flag_reason,
        enabled=True,
        created_by_id=actor.id,
        created_at=utcnow(),
    )
    session.add(rule)
    session.flush()
    audit(
        session,
        actor,
        "rule_added",
        "rule",
        rule.id,
        "",
        after={"name": rule.name, "kind": rule.kind, "pattern": rule.pattern, "action": rule.action},
    )
    return rule


def toggle_rule(session: Session, actor: User, rule_id: int) -> ListeningRule:
    require(actor, "administer")
    rule = session.get(ListeningRule, rule_id)
    if rule is None or rule.kind == "builtin":
        raise NotFound(_("No such rule."))
    rule.enabled = not rule.enabled
    audit(
        session,
        actor,
        "rule_toggled",
        "rule",
        rule.id,
        "",
        before={"enabled": not rule.enabled},
        after={"enabled": rule.enabled},
    )
    return rule


def delete_rule(session: Session, actor: User, rule_id: int) -> None:
    require(actor, "administer")
    rule = session.get(ListeningRule, rule_id)
    if rule is None or rule.kind == "builtin":
        raise NotFound(_("No such rule."))
    audit(session, actor, "rule_deleted", "rule", rule.id, "", before={"name": rule.name, "pattern": rule.pattern})
    session.delete(rule)


def toggle_builtin(session: Session, actor: User, key: str) -> bool:
    require(actor, "administer")
    if key not in listening.BUILTIN_DETECTORS:
        raise NotFound(_("No such rule."))
    rule = session.scalar(select(ListeningRule).where(ListeningRule.builtin_key == key))
    if rule is None:
        rule = ListeningRule(
            name=listening.BUILTIN_DETECTORS[key],
            kind="builtin",
            builtin_key=key,
            action="mask",
            enabled=True,
            created_by_id=actor.id,
            created_at=utcnow(),
        )
        session.add(rule)
    rule.enabled = not rule.enabled
    session.flush()
    audit(
        session,
        actor,
        "builtin_rule_toggled",
        "rule",
        rule.id,
        key,
        before={"enabled": not rule.enabled},
        after={"enabled": rule.enabled},
    )
    return rule.enabled
