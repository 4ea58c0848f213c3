"""An uploaded file: who sent it, which post or case message holds it, and where its bytes are stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow

KINDS = ("image", "text")
FILENAME_MAX = 120


class Attachment(Base):
    """A file uploaded by a member. Until a post or case message holds it, it is pending: only its uploader sees
    it, and the cleanup command removes it after a day. Once held, it is seen by whoever may see its holder."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("kind IN ('image', 'text')", name="kind"),
        CheckConstraint(
            "(CASE WHEN question_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN answer_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN case_message_id IS NULL THEN 0 ELSE 1 END) <= 1",
            name="at_most_one_holder",
        ),
        # The daily quota counts a member's uploads since a time.
        Index("ix_attachments_uploader_created", "uploader_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True, nullable=True
    )
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), index=True, nullable=True
    )
    case_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_messages.id", ondelete="CASCADE"), index=True, nullable=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    # The type of the stored (re-encoded) file, which is what it is served as.
    content_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    thumb_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # An image as its member sent it, kept privately until a job re-encodes it into storage_key and thumb_key (never
    # served); None once that is done.
    upload_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Removed by a moderator: the row stays for the audit log, the bytes go.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    @property
    def is_pending(self) -> bool:
        return self.question_id is None and self.answer_id is None and self.case_message_id is None
