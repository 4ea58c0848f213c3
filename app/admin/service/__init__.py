"""Admin operations, one module per subject: `from app.admin import service` and `service.create_board(...)`."""

from __future__ import annotations

from app.admin.service.boards import (
    BOARD_DESCRIPTION_MAX,
    BoardDraft,
    BoardPage,
    board_page,
    create_board,
    edit_board,
    get_board_by_id,
    move_board,
    set_archived,
)
from app.admin.service.members import (
    MemberPage,
    MemberRecord,
    change_role,
    member_record,
    search_members,
    send_reset_link,
)

__all__ = [
    "BOARD_DESCRIPTION_MAX",
    "BoardDraft",
    "BoardPage",
    "MemberPage",
    "MemberRecord",
    "board_page",
    "change_role",
    "create_board",
    "edit_board",
    "get_board_by_id",
    "member_record",
    "move_board",
    "search_members",
    "send_reset_link",
    "set_archived",
]
