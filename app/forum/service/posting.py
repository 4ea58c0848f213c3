"""Writing to the forum: ask a question, answer it, edit either; each write keeps a revision and tells followers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import content
from app.accounts.models import User
from app.attachments import service as attachments
from app.auth.permissions import is_staff, require
from app.auth.visibility import access_post, can_see
from app.db import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.forum import activity
from app.forum.models import Answer, Board, Question, Revision, Tag
from app.forum.service.drafts import AnswerDraft, QuestionDraft, post_language, screen
from app.forum.service.keeping import discard_draft
from app.forum.service.reading import access_answer, access_question, get_board
from app.forum.service.revisions import record_revision
from app.moderation.service.auditing import audit
from app.notifications import service as notifications
from app.reputation import service as reputation


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


def _set_body(post: Question | Answer, body: str) -> None:
    """Store the source with its sanitised HTML and the renderer version that made it (to re-render later)."""
    post.body_source = body
    post.body_html = content.render(body)
    post.render_version = content.RENDER_VERSION


def ask_question(session: Session, author: User, draft: QuestionDraft) -> Question:
    draft.validate()
    board = get_board(session, draft.board_slug)
    require(author, "ask", board)
    language = post_language(draft.language, author)
    now = utcnow()
    checked = screen(session, draft.title.strip(), draft.body)
    title = checked.title or ""
    question = Question(
        board_id=board.id,
        author_id=author.id,
        title=title,
        slug=content.slugify(title),
        language=language,
        created_at=now,
        last_activity_at=now,
        asker_active_at=now,
        answer_count=0,
        kudos_count=0,
        view_count=0,
        is_solved=False,
    )
    _set_body(question, checked.body)
    session.add(question)
    board.question_count = Board.question_count + 1
    session.flush()
    tags = _tags_named(session, draft.tags)
    activity.set_tags(session, question, tags)
    record_revision(session, author, question, checked, now, tags=draft.tags, first=True)
    attachments.hold(session, author, question.body_source, draft.max_attachments, question=question)
    discard_draft(session, author, None)
    _tell_about_question(session, author, board, question, tags)
    return question


def post_answer(session: Session, author: User, question_id: int, draft: AnswerDraft) -> Answer:
    draft.validate()
    question = access_question(session, author, question_id, for_action="answer")
    language = post_language(draft.language, author)
    now = utcnow()
    checked = screen(session, None, draft.body)
    answer = Answer(
        question=question,
        author=author,
        language=language,
        is_staff=is_staff(author),
        kudos_count=0,
        created_at=now,
    )
    _set_body(answer, checked.body)
    session.add(answer)
    question.answer_count = Question.answer_count + 1
    activity.touch(session, question, now)
    if question.first_answer_at is None:
        question.first_answer_at = now
    if author.id == question.author_id:
        question.asker_active_at = now
    session.flush()
    session.refresh(question, ["answer_count"])
    reputation.answer_posted(session, answer, question)
    record_revision(session, author, answer, checked, now, first=True)
    attachments.hold(session, author, answer.body_source, draft.max_attachments, answer=answer)
    discard_draft(session, author, question.id)
    _tell_about_answer(session, author, question, answer)
    return answer


def edit_question(
    session: Session, editor: User, question_id: int, draft: QuestionDraft, restored_from: int | None = None
) -> Question:
    draft.validate()
    question = access_question(session, editor, question_id, for_action="edit_question")
    board = get_board(session, draft.board_slug)
    language = post_language(draft.language, editor, current=question.language)
    checked = screen(session, draft.title.strip(), draft.body)
    title = checked.title or ""
    old_tags = sorted(tag.name for tag in question.tags)
    unchanged = (question.title, question.body_source, old_tags, question.board_id, question.language)
    if (title, checked.body, sorted(draft.tags), board.id, language) == unchanged:
        return question  # nothing changed: no empty revision
    now = utcnow()
    if board.id != question.board_id:
        if board.is_archived:
            raise ValidationFailed(_("That board is archived and takes no new questions."), "board")
        question.board.question_count = Board.question_count - 1
        board.question_count = Board.question_count + 1
        question.board_id = board.id
        activity.moved(session, question)
    question.title = title
    question.slug = content.slugify(title)
    question.language = language
    _set_body(question, checked.body)
    question.edited_at = now
    activity.touch(session, question, now)
    if old_tags != sorted(draft.tags):
        activity.set_tags(session, question, _tags_named(session, draft.tags))
    if editor.id == question.author_id:
        question.asker_active_at = now
    record_revision(
        session, editor, question, checked, now, tags=draft.tags, summary=draft.summary, restored_from=restored_from
    )
    attachments.hold(session, editor, question.body_source, draft.max_attachments, question=question)
    return question


def edit_answer(
    session: Session, editor: User, answer_id: int, draft: AnswerDraft, restored_from: int | None = None
) -> Answer:
    draft.validate()
    answer = access_answer(session, editor, answer_id, for_action="edit_answer")
    language = post_language(draft.language, editor, current=answer.language)
    checked = screen(session, None, draft.body)
    if (checked.body, language) == (answer.body_source, answer.language):
        return answer
    now = utcnow()
    answer.language = language
    _set_body(answer, checked.body)
    answer.edited_at = now
    record_revision(session, editor, answer, checked, now, summary=draft.summary, restored_from=restored_from)
    attachments.hold(session, editor, answer.body_source, draft.max_attachments, answer=answer)
    return answer


def roll_back(session: Session, editor: User, kind: str, post_id: int, number: int) -> Question | Answer:
    """Make version `number` of a post its current text again, as a new version (history is never rewritten).
    The author or a moderator may; a moderator's rollback of someone else's post goes in the audit log."""
    action = "edit_question" if kind == "question" else "edit_answer"
    post = access_post(session, editor, kind, post_id, action)
    column = Revision.question_id if kind == "question" else Revision.answer_id
    revision = session.scalar(select(Revision).where(column == post_id, Revision.number == number))
    if revision is None:
        raise NotFound(_("That version doesn't exist."))
    current = session.scalar(select(func.max(Revision.number)).where(column == post_id))
    if revision.number == current:
        raise Conflict(_("That is already the current version."))
    if isinstance(post, Question):
        draft = QuestionDraft(
            board_slug=post.board.slug,
            title=revision.title or post.title,
            body=revision.body_source,
            tags=tuple((revision.tags or "").split()),
        )
        result: Question | Answer = edit_question(session, editor, post_id, draft, restored_from=revision.number)
    else:
        result = edit_answer(session, editor, post_id, AnswerDraft(revision.body_source), restored_from=revision.number)
    if editor.id != post.author_id:
        audit(
            session,
            editor,
            "post_rolled_back",
            kind,
            post_id,
            before={"version": current},
            after={"version": revision.number},
        )
    return result


def _question_link(question: Question, answer: Answer | None = None) -> str:
    return f"/questions/{question.id}/{question.slug}" + (f"#answer-{answer.id}" if answer else "")


def _tell_about_question(session: Session, author: User, board: Board, question: Question, tags: list[Tag]) -> None:
    """The asker follows their question; the followers of its board and of its tags, and anyone @mentioned,
    hear of it."""
    notifications.follow(session, author, question_id=question.id)
    if not can_see(None, question):  # hidden or withdrawn already: only those who may see it would hear
        return
    link = _question_link(question)
    followers = notifications.follower_ids(session, board_id=board.id)
    # A tag's followers hear of it too; one notification each, however many of its tags they follow.
    followers += notifications.tag_follower_ids(session, [tag.id for tag in tags])
    notifications.notify_many(
        session, followers, "new_question", {"board": board.name, "title": question.title}, link, actor_id=author.id
    )
    notifications.mentions(session, question.body_source, author, question.title, link, can_see=lambda user: True)


def _tell_about_answer(session: Session, author: User, question: Question, answer: Answer) -> None:
    """The answerer follows the thread; its followers and anyone @mentioned hear of the answer. A withdrawn
    or hidden thread tells only its asker: the others can no longer see it."""
    notifications.follow(session, author, question_id=question.id)
    link = _question_link(question, answer)
    followers = notifications.follower_ids(session, question_id=question.id)
    notifications.notify_many(
        session,
        followers if can_see(None, question) else [question.author_id],
        "new_answer",
        {"actor": author.name, "title": question.title},
        link,
        actor_id=author.id,
    )
    notifications.mentions(
        session, answer.body_source, author, question.title, link, can_see=lambda user: can_see(user, answer)
    )
