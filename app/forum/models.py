"""Boards, questions, answers, tags and the revision history of every edit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db import Base, UTCDateTime, utcnow

TITLE_MIN, TITLE_MAX = 10, 150
BODY_MIN, BODY_MAX = 10, 20_000
TAG_MIN, TAG_MAX = 2, 30
TAGS_MAX = 5
SUMMARY_MAX = 200
LANGUAGE_MAX = 8  # a language code such as "el" or "pt-BR": the post's lang attribute (WCAG 3.1.2)

# A question's tags. The question's board and last activity are copied here (app/forum/activity.py keeps
# them in step) so a tag's list walks one index in page order instead of gathering and sorting every
# question with that tag: page 1,000 of a popular tag costs what page 1 costs.
question_tags = Table(
    "question_tags",
    Base.metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Column("board_id", ForeignKey("boards.id"), nullable=False),
    Column("last_activity_at", UTCDateTime, nullable=False),
    Index("ix_question_tags_tag_board_activity", "tag_id", "board_id", "last_activity_at", "question_id"),
    Index("ix_question_tags_tag_activity", "tag_id", "last_activity_at", "question_id"),
)


class Board(Base):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    question_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An archived board keeps its questions readable (and answerable) but takes no new ones.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX), unique=True)
    # What the tag is for, written by moderators; shown on the tags page and the tag's question list.
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        # Board lists: newest activity first, keyset-paginated on (last_activity_at, id).
        Index("ix_questions_board_activity", "board_id", "last_activity_at", "id"),
        Index("ix_questions_activity", "last_activity_at", "id"),
        # Insights: questions asked in a period, overall and per board.
        Index("ix_questions_created", "created_at"),
        Index("ix_questions_board_created", "board_id", "created_at"),
        # The "most kudos" order, over all boards and within one.
        Index("ix_questions_kudos", "kudos_count", "id"),
        Index("ix_questions_board_kudos", "board_id", "kudos_count", "id"),
        # A board's pinned threads (its first page); without it, that query walks the whole board.
        Index("ix_questions_board_pinned", "board_id", "is_pinned"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    slug: Mapped[str] = mapped_column(String(80))
    # The language the title and body are written in, which need not be the reader's interface language.
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX), default="en", server_default="en")
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    render_version: Mapped[int] = mapped_column(Integer)
    is_solved: Mapped[bool] = mapped_column(Boolean, default=False)
    answer_count: Mapped[int] = mapped_column(Integer, default=0)
    kudos_count: Mapped[int] = mapped_column(Integer, default=0)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the asker last did something in the thread (ask, edit, answer, accept).
    asker_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Counts acceptances, so each one has its own ledger key even when the same answer is re-accepted.
    solution_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), nullable=True)
    # Withdrawn from public view (escalated with private data): only its author, staff and moderators see it.
    is_private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The company's public response while a case is open ("taken to a private conversation"), then its outcome.
    support_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    board: Mapped[Board] = relationship(lazy="raise")
    author: Mapped[User] = relationship(lazy="raise")
    # Read-only: rows are written by app/forum/activity.py, which also fills the copied columns.
    tags: Mapped[list[Tag]] = relationship(secondary=question_tags, lazy="raise", order_by=Tag.name, viewonly=True)
    answers: Mapped[list[Answer]] = relationship(back_populates="question", lazy="raise", order_by="Answer.id")


class Answer(Base):
    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_question_created", "question_id", "id"),
        Index("ix_answers_accepted_author", "is_accepted", "author_id", "question_id"),  # solution counts
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    language: Mapped[str] = mapped_column(String(LANGUAGE_MAX), default="en", server_default="en")
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    render_version: Mapped[int] = mapped_column(Integer)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    kudos_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    is_accepted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    is_hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    question: Mapped[Question] = relationship(back_populates="answers", lazy="raise")
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise")


class Revision(Base):
    """One version of a post: number 1 is what its author first wrote, each edit adds the next."""

    __tablename__ = "revisions"
    __table_args__ = (CheckConstraint("(question_id IS NULL) <> (answer_id IS NULL)", name="exactly_one_post"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True, nullable=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), index=True, nullable=True
    )
    number: Mapped[int] = mapped_column(Integer)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX), nullable=True)
    tags: Mapped[str | None] = mapped_column(String(200), nullable=True)
    body_source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the editor said they changed ("fixed the driver version"); a rollback names the version it restored.
    summary: Mapped[str | None] = mapped_column(String(SUMMARY_MAX), nullable=True)
    # A rollback: the version whose text this one restored.
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)

    editor: Mapped[User] = relationship(lazy="raise")


class PostDraft(Base):
    """What a member is writing on the ask form or an answer form, kept while they type so that leaving the
    page loses nothing. One per member and form (`slot`: "ask", or "answer-<question id>")."""

    __tablename__ = "post_drafts"
    __table_args__ = (UniqueConstraint("user_id", "slot", name="uq_post_drafts_user_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(40))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), nullable=True)
    board_slug: Mapped[str] = mapped_column(String(60), default="")
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
