"""The search outbox (written in the same transaction as the post) and PostgreSQL's search documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class SearchOutbox(Base):
    """ "Question N changed": applied to the index after commit, by one writer at a time; a crash loses nothing."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SearchDocument(Base):
    """One public question's text for PostgreSQL full-text search (SEARCH_BACKEND=postgres); unused elsewhere."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_vector", "vector", postgresql_using="gin"),)

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    vector: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    best_answer: Mapped[str] = mapped_column(Text, default="")
