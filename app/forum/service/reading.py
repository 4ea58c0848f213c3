"""Reading the forum: boards, question lists (keyset-paginated), a thread's answers, and a member's activity."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, defer, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import content
from app.accounts.models import User
from app.accounts.service import LOCALES
from app.auth.visibility import access_post, answers_in_thread, public_questions, visible_answers, visible_questions
from app.errors import BadRequest, NotFound
from app.forum.models import Answer, Board, Question, Tag, question_tags
from app.ids import parse_id

FILTERS = ("all", "unanswered", "solved", "unsolved")
# How a list is ordered: latest activity, newest asked, most kudos, or unanswered with the longest waiting first
# (what helpers work through to cut response times).
SORTS = ("activity", "newest", "kudos", "unanswered")
ANSWER_ORDERS = ("votes", "date")


LIST_AUTHOR_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.points,
    User.solution_count,
    User.deleted_at,
)


def list_boards(session: Session, include_archived: bool = False) -> list[Board]:
    """The boards in the admins' order: those open for questions, or (include_archived) every board."""
    query = select(Board).order_by(Board.position, Board.name)
    if not include_archived:
        query = query.where(Board.archived_at.is_(None))
    return list(session.scalars(query))


def get_board(session: Session, slug: str) -> Board:
    board = session.scalar(select(Board).where(Board.slug == slug))
    if board is None:
        raise NotFound(_("There is no board called “%(slug)s”.", slug=slug[:60]))
    return board


@dataclass(frozen=True)
class Cursor:
    """Where a page of a list ends: the sort value (a time, or a kudos count) and id of its last row."""

    at: datetime | int
    id: int

    def encode(self) -> str:
        value = f"k{self.at}" if isinstance(self.at, int) else self.at.isoformat()
        raw = f"{value}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, counted: bool = False) -> Cursor:
        """`counted`: the list is sorted by a count, so the cursor must hold one (else a time)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at, ident = raw.split("|")
            question_id = parse_id(ident)
            if question_id is None:
                raise ValueError("not an id")
            if counted:
                count = parse_id(at[1:]) if at.startswith("k") else None
                if count is None and at != "k0":
                    raise ValueError("not a count")
                return cls(count or 0, question_id)
            parsed = datetime.fromisoformat(at)
            if parsed.tzinfo is None:
                raise ValueError("naive")
            return cls(parsed, question_id)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise BadRequest(_("That page link is broken; start again from the first page.")) from None


@dataclass(frozen=True)
class QuestionPage:
    questions: list[Question]
    next_cursor: str | None


def list_questions(
    session: Session,
    board: Board | None = None,
    filter: str = "all",
    tag: str | None = None,
    after: str | None = None,
    limit: int = 20,
    without_pinned: bool = False,
    sort: str = "activity",
    language: str | None = None,
) -> QuestionPage:
    """Questions by `sort` (latest activity by default), keyset-paginated so page 1,000 costs what page 1 costs.

    By activity without a tag the list walks the questions' (board, last_activity_at, id) index; with one, the
    tag rows' copy of the same columns, so neither ever gathers and sorts a whole board or tag. The other
    orders walk their own indexes: (board, created_at, id) and (board, kudos_count, id)."""
    if filter not in FILTERS:
        raise BadRequest(_("Unknown filter “%(name)s”.", name=filter[:30]))
    if sort not in SORTS:
        raise BadRequest(_("Unknown order “%(name)s”.", name=sort[:30]))
    if language is not None and language not in LOCALES:
        raise BadRequest(_("Unknown language."))
    cursor = Cursor.decode(after, counted=sort == "kudos") if after else None
    query = select(Question).options(
        # The list shows neither body, nor anything private about the author.
        defer(Question.body_source),
        defer(Question.body_html),
        joinedload(Question.author).load_only(*LIST_AUTHOR_COLUMNS),
        joinedload(Question.board),
        selectinload(Question.tags),
    )
    if tag:
        tag_id = session.scalar(select(Tag.id).where(Tag.name == content.normalize_tag(tag)))
        if tag_id is None:
            return QuestionPage([], None)
        # Order and page on the tag rows' copies of (last_activity_at, question id).
        order_at, order_id = question_tags.c.last_activity_at, question_tags.c.question_id
        query = query.join(question_tags, question_tags.c.question_id == Question.id).where(
            question_tags.c.tag_id == tag_id
        )
        if board is not None:
            query = query.where(question_tags.c.board_id == board.id)
    else:
        order_at, order_id = Question.last_activity_at, Question.id
        if board is not None:
            query = query.where(Question.board_id == board.id)
    if sort != "activity":
        order_at, order_id = {"kudos": Question.kudos_count}.get(sort, Question.created_at), Question.id
    ascending = sort == "unanswered"  # the longest waiting first
    if sort == "unanswered":
        filter = "unanswered" if filter in ("all", "unsolved") else filter
    query = query.where(public_questions())
    if without_pinned:  # a board lists its pinned threads above the list, once
        query = query.where(Question.is_pinned.is_(False))
    if filter == "unanswered":
        query = query.where(Question.answer_count == 0)
    elif filter == "solved":
        query = query.where(Question.is_solved.is_(True))
    elif filter == "unsolved":
        query = query.where(Question.is_solved.is_(False))
    if language is not None:
        query = query.where(Question.language == language)
    if cursor is not None:
        # A row-value comparison is one index range; the equivalent OR of two terms is not.
        position, mark = tuple_(order_at, order_id), tuple_(cursor.at, cursor.id)
        query = query.where(position > mark if ascending else position < mark)
    if ascending:
        query = query.order_by(order_at.asc(), order_id.asc())
    else:
        query = query.order_by(order_at.desc(), order_id.desc())
    rows = list(session.scalars(query.limit(limit + 1)).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        value = {"activity": last.last_activity_at, "kudos": last.kudos_count}.get(sort, last.created_at)
        next_cursor = Cursor(value, last.id).encode()
    return QuestionPage(rows, next_cursor)


def pinned_questions(session: Session, board: Board, limit: int = 5) -> list[Question]:
    """A board's pinned threads, shown above its list on the first page. There are only ever a few, so they
    are sorted here: with an ORDER BY, SQLite prefers walking the whole board in activity order."""
    pinned = session.scalars(
        select(Question)
        .options(
            defer(Question.body_source),
            defer(Question.body_html),
            joinedload(Question.author).load_only(*LIST_AUTHOR_COLUMNS),
            selectinload(Question.tags),
        )
        .where(
            Question.board_id == board.id,
            Question.is_pinned.is_(True),
            public_questions(),
        )
        .limit(100)
    )
    return sorted(pinned, key=lambda q: q.last_activity_at, reverse=True)[:limit]


def access_question(session: Session, user: User | None, question_id: int, for_action: str = "view") -> Question:
    """Load a question for `for_action` by `user`, or raise NotFound (Withdrawn) / PermissionDenied."""
    question = access_post(session, user, "question", question_id, for_action)
    assert isinstance(question, Question)
    return question


def access_answer(session: Session, user: User | None, answer_id: int, for_action: str = "view") -> Answer:
    answer = access_post(session, user, "answer", answer_id, for_action)
    assert isinstance(answer, Answer)
    return answer


def answers_for(session: Session, question: Question, user: User | None = None, order: str = "votes") -> list[Answer]:
    """A question's answers with their authors, in one query: by votes (the solution first, then most kudos,
    then oldest) or by date (oldest first). Hidden answers are left out, except for moderators and for their
    own authors (who see why)."""
    if order not in ANSWER_ORDERS:
        raise BadRequest(_("Unknown order “%(name)s”.", name=order[:30]))
    query = (
        select(Answer)
        .options(joinedload(Answer.author))
        .where(Answer.question_id == question.id, answers_in_thread(user))
    )
    if order == "votes":
        query = query.order_by(Answer.is_accepted.desc(), Answer.kudos_count.desc(), Answer.id)
    else:
        query = query.order_by(Answer.created_at, Answer.id)
    answers = list(session.scalars(query))
    for answer in answers:  # the policy asks an answer about its thread (locked?); no query needed
        set_committed_value(answer, "question", question)
    return answers


@dataclass(frozen=True)
class Activity:
    questions: list[Question]
    answers: list[Answer]
    question_count: int
    answer_count: int


def recent_activity(session: Session, user: User, viewer: User | None = None, limit: int = 10) -> Activity:
    """A member's latest posts (by date) as `viewer` may see them. Hidden and withdrawn threads show only to moderators
    and to the thread's own asker; a withdrawn question stays private even from those who answered it."""
    question_filter = [Question.author_id == user.id, visible_questions(viewer)]
    answer_filter = [Answer.author_id == user.id, visible_answers(viewer)]
    questions = list(
        session.scalars(
            select(Question)
            .where(*question_filter)
            .order_by(Question.created_at.desc(), Question.id.desc())
            .limit(limit)
        )
    )
    answers = list(
        session.scalars(
            select(Answer)
            .join(Question, Question.id == Answer.question_id)
            .options(joinedload(Answer.question))
            .where(*answer_filter)
            .order_by(Answer.created_at.desc(), Answer.id.desc())
            .limit(limit)
        )
    )
    question_count = session.scalar(select(func.count()).select_from(Question).where(*question_filter)) or 0
    answer_count = (
        session.scalar(
            select(func.count())
            .select_from(Answer)
            .join(Question, Question.id == Answer.question_id)
            .where(*answer_filter)
        )
        or 0
    )
    return Activity(questions, answers, question_count, answer_count)
