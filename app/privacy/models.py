"""Data exports a member asked for: prepared after the request, downloadable by them for a limited time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow

EXPORT_STATES = ("pending", "preparing", "ready", "failed", "expired")


class DataExport(Base):
    """One request for "everything you hold about me". The ZIP is kept in the row (every app server can hand it
    out) until it expires; `flask privacy purge` then drops the bytes and keeps the record of the request."""

    __tablename__ = "data_exports"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'preparing', 'ready', 'failed', 'expired')", name="status"),
        Index("ix_data_exports_user", "user_id", "id"),
        Index("ix_data_exports_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
