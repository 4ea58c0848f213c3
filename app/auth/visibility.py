"""What a viewer may see, defined once: SQL filters for visible questions and answers, and `access_post`, which
loads a post and asks the policy. Every domain lists and loads posts through these."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from app.auth.permissions import can, is_member, is_moderator, require
from app.errors import NotFound
from app.forum.models import Answer, Question

Post = Question | Answer
KINDS: dict[str, type[Question] | type[Answer]] = {"question": Question, "answer": Answer}


class Withdrawn(NotFound):
    """The question went to a private support case; the public sees only the company's note."""

    def __init__(self, question_id: int, support_note: str | None) -> None:
        super().__init__(_("This question was moved to a private conversation with our support team."))
        self.question_id = question_id
        self.support_note = support_note


def public_questions() -> ColumnElement[bool]:
    """Questions anyone may read: neither hidden by a moderator nor withdrawn into a private case."""
    return Question.is_hidden.is_(False) & Question.is_private.is_(False)


def public_answers() -> ColumnElement[bool]:
    """Answers anyone may read, in a public thread (the query joins Question)."""
    return public_questions() & Answer.is_hidden.is_(False)


def _viewer_id(viewer: Any) -> int | None:
    return viewer.id if is_member(viewer) else None


def visible_questions(viewer: Any) -> ColumnElement[bool]:
    """Questions `viewer` may read: public ones; their own hidden or withdrawn ones; all, for moderators."""
    if is_moderator(viewer):
        return true()
    viewer_id = _viewer_id(viewer)
    own = Question.author_id == viewer_id if viewer_id is not None else false()
    return public_questions() | own


def answers_in_thread(viewer: Any) -> ColumnElement[bool]:
    """Within a thread the viewer may read: hidden answers only for moderators and their own authors."""
    if is_moderator(viewer):
        return true()
    viewer_id = _viewer_id(viewer)
    own = Answer.author_id == viewer_id if viewer_id is not None else false()
    return Answer.is_hidden.is_(False) | own


def visible_answers(viewer: Any) -> ColumnElement[bool]:
    """Answers `viewer` may read, wherever they are listed (the query joins Question): in a thread they may
    read, and hidden ones only for moderators and their own authors. A withdrawn question stays private even
    from those who answered it."""
    return visible_questions(viewer) & answers_in_thread(viewer)


def _load(session: Session, kind: str, post_id: int) -> Post | None:
    model = KINDS.get(kind)
    if model is Question:
        return session.scalar(
            select(Question)
            .options(joinedload(Question.author), joinedload(Question.board), selectinload(Question.tags))
            .where(Question.id == post_id)
        )
    if model is Answer:
        return session.scalar(
            select(Answer).options(joinedload(Answer.author), joinedload(Answer.question)).where(Answer.id == post_id)
        )
    return None


def can_see(user: Any, post: Post) -> bool:
    """The policy's view rule for one loaded post: its thread, and for an answer, the answer itself."""
    question = post if isinstance(post, Question) else post.question
    if not can(user, "view_question", question):
        return False
    if isinstance(post, Answer) and post.is_hidden:
        return is_moderator(user) or (is_member(user) and post.author_id == user.id)
    return True


def access_post(
    session: Session, user: Any, kind: str, post_id: int, action: str = "view", message: str | None = None
) -> Post:
    """Load the question or answer `post_id` for `action` by `user`: NotFound when it doesn't exist or they may
    not see it (a withdrawn question says so, with the company's note), PermissionDenied (with `message`, if
    given) when they see it but may not do `action`."""
    post = _load(session, kind, post_id)
    missing = _("That question doesn't exist or was removed.") if kind == "question" else _(
        "That answer doesn't exist or was removed."
    )
    if post is None:
        raise NotFound(missing)
    if not can_see(user, post):
        if isinstance(post, Question) and post.is_private and not post.is_hidden:
            raise Withdrawn(post.id, post.support_note)
        raise NotFound(missing)
    if action != "view":
        require(user, action, post, message)
    return post
