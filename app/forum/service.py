"""Forum operations: list boards and questions, ask, answer, edit, and keep every revision."""

from __future__ import annotations

import base64
import binascii
import difflib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, defer, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import content
from app.accounts.models import User
from app.auth.permissions import can, is_staff, require
from app.auth.visibility import (
    access_post,
    answers_in_thread,
    public_questions,
    visible_answers,
    visible_questions,
)
from app.db import utcnow
from app.errors import BadRequest, NotFound, ValidationFailed
from app.forum import activity
from app.forum.models import (
    BODY_MAX,
    BODY_MIN,
    TAG_MAX,
    TAG_MIN,
    TAGS_MAX,
    TITLE_MAX,
    TITLE_MIN,
    Answer,
    Board,
    Question,
    Revision,
    Tag,
    question_tags,
)
from app.ids import parse_id
from app.moderation import screening
from app.notifications import service as notifications
from app.reputation import service as reputation
from app.search import outbox as search_outbox

FILTERS = ("all", "unanswered", "solved", "unsolved")


LIST_AUTHOR_COLUMNS = (User.id, User.username, User.display_name, User.role, User.points, User.solution_count)


# --- inputs -------------------------------------------------------------------------------------


def parse_tags(raw: str) -> tuple[str, ...]:
    """'Wi Fi, battery  drivers' -> ('wi-fi', 'battery', 'drivers'), validated, duplicates dropped."""
    names: list[str] = []
    for part in raw.replace(";", ",").split(","):
        for word in [part] if "," in raw or ";" in raw else part.split():
            name = content.normalize_tag(word)
            if name and name not in names:
                names.append(name)
    if len(names) > TAGS_MAX:
        raise ValidationFailed(_("Use at most %(max)d tags.", max=TAGS_MAX), "tags")
    for name in names:
        if not (TAG_MIN <= len(name) <= TAG_MAX) or not content.TAG_PATTERN.match(name):
            raise ValidationFailed(
                _(
                    "“%(tag)s” is not a valid tag: use %(min)d–%(max)d letters a–z, digits and dashes.",
                    tag=name[:40],
                    min=TAG_MIN,
                    max=TAG_MAX,
                ),
                "tags",
            )
    return tuple(names)


def _check_body(body: str) -> None:
    if len(body.strip()) < BODY_MIN:
        raise ValidationFailed(_("Write at least %(min)d characters.", min=BODY_MIN), "body")
    if len(body) > BODY_MAX:
        raise ValidationFailed(_("Keep it under %(max)d characters.", max=BODY_MAX), "body")


@dataclass(frozen=True)
class QuestionDraft:
    board_slug: str
    title: str
    body: str
    tags: tuple[str, ...] = ()

    def validate(self) -> None:
        title = self.title.strip()
        if not (TITLE_MIN <= len(title) <= TITLE_MAX):
            raise ValidationFailed(
                _("A title has %(min)d to %(max)d characters.", min=TITLE_MIN, max=TITLE_MAX), "title"
            )
        _check_body(self.body)
        if len(self.tags) > TAGS_MAX:
            raise ValidationFailed(_("Use at most %(max)d tags.", max=TAGS_MAX), "tags")


@dataclass(frozen=True)
class AnswerDraft:
    body: str

    def validate(self) -> None:
        _check_body(self.body)


# --- reading ------------------------------------------------------------------------------------


def list_boards(session: Session) -> list[Board]:
    return list(session.scalars(select(Board).order_by(Board.position, Board.name)))


def get_board(session: Session, slug: str) -> Board:
    board = session.scalar(select(Board).where(Board.slug == slug))
    if board is None:
        raise NotFound(_("There is no board called “%(slug)s”.", slug=slug[:60]))
    return board


@dataclass(frozen=True)
class Cursor:
    """Where a page of a list ends: the (last_activity_at, id) of its last row."""

    at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at, ident = raw.split("|")
            parsed = datetime.fromisoformat(at)
            question_id = parse_id(ident)
            if parsed.tzinfo is None or question_id is None:
                raise ValueError("naive, or not an id")
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
) -> QuestionPage:
    """Questions by latest activity, keyset-paginated so page 1,000 costs what page 1 costs.

    Without a tag the list walks the questions' (board, last_activity_at, id) index; with one, the tag
    rows' copy of the same columns, so neither ever gathers and sorts a whole board or tag."""
    if filter not in FILTERS:
        raise BadRequest(_("Unknown filter “%(name)s”.", name=filter[:30]))
    cursor = Cursor.decode(after) if after else None
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
    query = query.where(public_questions())
    if filter == "unanswered":
        query = query.where(Question.answer_count == 0)
    elif filter == "solved":
        query = query.where(Question.is_solved.is_(True))
    elif filter == "unsolved":
        query = query.where(Question.is_solved.is_(False))
    if cursor is not None:
        # A row-value comparison is one index range; the equivalent OR of two terms is not.
        query = query.where(tuple_(order_at, order_id) < tuple_(cursor.at, cursor.id))
    query = query.order_by(order_at.desc(), order_id.desc()).limit(limit + 1)
    rows = list(session.scalars(query).unique())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = Cursor(rows[-1].last_activity_at, rows[-1].id).encode()
    return QuestionPage(rows, next_cursor)


def list_questions_with_bodies(
    session: Session, board: Board | None = None, tag: str | None = None, limit: int = 30
) -> list[Question]:
    """The newest public questions of a board or tag (feeds): the same list, with the authors loaded."""
    return list_questions(session, board=board, tag=tag, limit=limit).questions


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


def answers_for(session: Session, question: Question, user: User | None = None) -> list[Answer]:
    """A question's answers, the solution first and then oldest first, with their authors, in one query.
    Hidden answers are left out, except for moderators and for their own authors (who see why)."""
    query = (
        select(Answer)
        .options(joinedload(Answer.author))
        .where(Answer.question_id == question.id, answers_in_thread(user))
    )
    answers = list(session.scalars(query.order_by(Answer.is_accepted.desc(), Answer.id)))
    for answer in answers:  # the policy asks an answer about its thread (locked?); no query needed
        set_committed_value(answer, "question", question)
    return answers


def revisions_of(session: Session, question: Question | None = None, answer: Answer | None = None) -> list[Revision]:
    """Every version of a post, newest first, with its editor."""
    query = select(Revision).options(joinedload(Revision.editor)).order_by(Revision.number.desc())
    if question is not None:
        query = query.where(Revision.question_id == question.id)
    else:
        assert answer is not None
        query = query.where(Revision.answer_id == answer.id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class Activity:
    questions: list[Question]
    answers: list[Answer]
    question_count: int
    answer_count: int


def recent_activity(session: Session, user: User, viewer: User | None = None, limit: int = 10) -> Activity:
    """A member's latest posts as `viewer` may see them. Hidden and withdrawn threads show only to moderators
    and to the thread's own asker; a withdrawn question stays private even from those who answered it."""
    question_filter = [Question.author_id == user.id, visible_questions(viewer)]
    answer_filter = [Answer.author_id == user.id, visible_answers(viewer)]
    questions = list(
        session.scalars(select(Question).where(*question_filter).order_by(Question.id.desc()).limit(limit))
    )
    answers = list(
        session.scalars(
            select(Answer)
            .join(Question, Question.id == Answer.question_id)
            .options(joinedload(Answer.question))
            .where(*answer_filter)
            .order_by(Answer.id.desc())
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


# --- writing ------------------------------------------------------------------------------------


def _tags_named(session: Session, names: tuple[str, ...]) -> list[Tag]:
    """The Tag rows for `names`, creating the ones used for the first time."""
    if not names:
        return []
    existing = {tag.name: tag for tag in session.scalars(select(Tag).where(Tag.name.in_(names)))}
    tags = []
    for name in names:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
        tags.append(tag)
    return tags


@dataclass(frozen=True)
class _Checked:
    """A post's text after the listening rules: private data masked, and the flags it raises."""

    title: str
    body: str
    flag_reasons: list[str]
    masked_kinds: list[str]

    def raise_flags(self, session: Session, **post: int) -> None:
        if self.flag_reasons:
            note = "Masked automatically: " + ", ".join(self.masked_kinds) if self.masked_kinds else ""
            screening.raise_rule_flags(session, self.flag_reasons, note=note, **post)


def _screen(session: Session, title: str | None, body: str) -> _Checked:
    rules = screening.load_rules(session)
    parts = [screening.screen(rules, text) for text in ([title] if title is not None else []) + [body]]
    reasons = list(dict.fromkeys(reason for part in parts for reason in part.flag_reasons))
    kinds = list(dict.fromkeys(match.kind for part in parts for match in part.masked))
    return _Checked(parts[0].text if title is not None else "", parts[-1].text, reasons, kinds)


def screened_text(session: Session, text: str) -> str:
    """The text as it would be stored: private data masked (previews show what will really be posted)."""
    return _screen(session, None, text).body


def private_help_keywords(session: Session, title: str, body: str) -> list[str]:
    """Billing or account words in a draft question: the ask form then suggests private help first."""
    return screening.suggestions(screening.load_rules(session), f"{title}\n{body}")


def ask_question(session: Session, author: User, draft: QuestionDraft) -> Question:
    draft.validate()
    board = get_board(session, draft.board_slug)
    require(author, "ask", board)
    now = utcnow()
    checked = _screen(session, draft.title.strip(), draft.body)
    title, body = checked.title, checked.body
    question = Question(
        board_id=board.id,
        author_id=author.id,
        title=title,
        slug=content.slugify(title),
        body_source=body,
        body_html=content.render(body),
        render_version=content.RENDER_VERSION,
        created_at=now,
        last_activity_at=now,
        asker_active_at=now,
        answer_count=0,
        kudos_count=0,
        view_count=0,
        is_solved=False,
    )
    session.add(question)
    board.question_count = Board.question_count + 1
    session.flush()
    activity.set_tags(session, question, _tags_named(session, draft.tags))
    session.add(
        Revision(
            question_id=question.id,
            number=1,
            editor_id=author.id,
            title=title,
            tags=" ".join(draft.tags),
            body_source=body,
            created_at=now,
        )
    )
    checked.raise_flags(session, question_id=question.id)
    search_outbox.enqueue(session, question.id)
    _tell_about_question(session, author, board, question)
    return question


def _question_link(question: Question, answer: Answer | None = None) -> str:
    return f"/questions/{question.id}/{question.slug}" + (f"#answer-{answer.id}" if answer else "")


def _tell_about_question(session: Session, author: User, board: Board, question: Question) -> None:
    """The asker follows their question; the board's followers and anyone @mentioned hear of it."""
    notifications.follow(session, author, question_id=question.id)
    if question.is_private or question.is_hidden:
        return
    link = _question_link(question)
    followers = notifications.follower_ids(session, board_id=board.id)
    notifications.notify_many(
        session, followers, "new_question", {"board": board.name, "title": question.title}, link, actor_id=author.id
    )
    notifications.mentions(session, question.body_source, author, question.title, link, can_see=lambda user: True)


def _tell_about_answer(session: Session, author: User, question: Question, answer: Answer) -> None:
    """The answerer follows the thread; its followers and anyone @mentioned hear of the answer. A withdrawn
    or hidden thread tells only its asker: the others can no longer see it."""
    notifications.follow(session, author, question_id=question.id)
    public = not question.is_private and not question.is_hidden
    link = _question_link(question, answer)
    followers = notifications.follower_ids(session, question_id=question.id)
    notifications.notify_many(
        session,
        followers if public else [question.author_id],
        "new_answer",
        {"actor": author.name, "title": question.title},
        link,
        actor_id=author.id,
    )
    notifications.mentions(
        session,
        answer.body_source,
        author,
        question.title,
        link,
        can_see=lambda user: public or user.id == question.author_id or can(user, "moderate"),
    )


def post_answer(session: Session, author: User, question_id: int, draft: AnswerDraft) -> Answer:
    draft.validate()
    question = access_question(session, author, question_id, for_action="answer")
    now = utcnow()
    checked = _screen(session, None, draft.body)
    answer = Answer(
        question=question,
        author=author,
        body_source=checked.body,
        body_html=content.render(checked.body),
        render_version=content.RENDER_VERSION,
        is_staff=is_staff(author),
        kudos_count=0,
        created_at=now,
    )
    session.add(answer)
    question.answer_count = Question.answer_count + 1
    activity.touch(session, question, now)
    if question.first_answer_at is None:
        question.first_answer_at = now
    if author.id == question.author_id:
        question.asker_active_at = now
    session.flush()
    session.refresh(question, ["answer_count"])
    session.add(Revision(answer_id=answer.id, number=1, editor_id=author.id, body_source=checked.body, created_at=now))
    reputation.answer_posted(session, answer, question)
    checked.raise_flags(session, answer_id=answer.id)
    search_outbox.enqueue(session, question.id)
    _tell_about_answer(session, author, question, answer)
    return answer


def _next_revision_number(session: Session, **post: int) -> int:
    column = Revision.question_id if "question_id" in post else Revision.answer_id
    latest = session.scalar(select(func.max(Revision.number)).where(column == next(iter(post.values()))))
    return (latest or 0) + 1


def edit_question(session: Session, editor: User, question_id: int, draft: QuestionDraft) -> Question:
    draft.validate()
    question = access_question(session, editor, question_id, for_action="edit_question")
    board = get_board(session, draft.board_slug)
    checked = _screen(session, draft.title.strip(), draft.body)
    title, body = checked.title, checked.body
    old_tags = sorted(tag.name for tag in question.tags)
    unchanged = (question.title, question.body_source, old_tags, question.board_id)
    if (title, body, sorted(draft.tags), board.id) == unchanged:
        return question  # nothing changed: no empty revision
    now = utcnow()
    if board.id != question.board_id:
        question.board.question_count = Board.question_count - 1
        board.question_count = Board.question_count + 1
        question.board_id = board.id
        activity.moved(session, question)
    question.title = title
    question.slug = content.slugify(title)
    question.body_source = body
    question.body_html = content.render(body)
    question.render_version = content.RENDER_VERSION
    question.edited_at = now
    activity.touch(session, question, now)
    if old_tags != sorted(draft.tags):
        activity.set_tags(session, question, _tags_named(session, draft.tags))
    if editor.id == question.author_id:
        question.asker_active_at = now
    session.add(
        Revision(
            question_id=question.id,
            number=_next_revision_number(session, question_id=question.id),
            editor_id=editor.id,
            title=title,
            tags=" ".join(draft.tags),
            body_source=body,
            created_at=now,
        )
    )
    checked.raise_flags(session, question_id=question.id)
    search_outbox.enqueue(session, question.id)
    return question


def edit_answer(session: Session, editor: User, answer_id: int, draft: AnswerDraft) -> Answer:
    draft.validate()
    answer = access_answer(session, editor, answer_id, for_action="edit_answer")
    checked = _screen(session, None, draft.body)
    if checked.body == answer.body_source:
        return answer
    now = utcnow()
    answer.body_source = checked.body
    answer.body_html = content.render(checked.body)
    answer.render_version = content.RENDER_VERSION
    answer.edited_at = now
    session.add(
        Revision(
            answer_id=answer.id,
            number=_next_revision_number(session, answer_id=answer.id),
            editor_id=editor.id,
            body_source=checked.body,
            created_at=now,
        )
    )
    checked.raise_flags(session, answer_id=answer.id)
    search_outbox.enqueue(session, answer.question_id)
    return answer


@dataclass(frozen=True)
class RevisionChange:
    """One version of a post and what it changed against the version before it."""

    revision: Revision
    title_before: str | None
    tags_before: str | None
    body_diff: list[tuple[str, str]]  # (" " | "+" | "-", line)


def history(revisions: list[Revision]) -> list[RevisionChange]:
    """Newest first, each version with the line diff from its predecessor (the first: all added)."""
    changes = []
    oldest_first = list(reversed(revisions))
    for index, revision in enumerate(oldest_first):
        before = oldest_first[index - 1] if index else None
        old_lines = before.body_source.splitlines() if before else []
        diff = [
            (line[0], line[2:])
            for line in difflib.ndiff(old_lines, revision.body_source.splitlines())
            if line[:1] in ("+", "-", " ")
        ]
        changes.append(
            RevisionChange(
                revision=revision,
                title_before=before.title if before and before.title != revision.title else None,
                tags_before=before.tags if before and before.tags != revision.tags else None,
                body_diff=diff,
            )
        )
    return list(reversed(changes))
