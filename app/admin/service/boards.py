"""Boards for admins: create, edit, reorder, archive (questions stay readable; no new ones) and list a page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.permissions import require
from app.db import utcnow
from app.errors import BadRequest, Conflict, NotFound, ValidationFailed
from app.forum.models import Board
from app.moderation.service.auditing import audit, check_reason

SLUG_MIN, SLUG_MAX = 2, 60
NAME_MIN, NAME_MAX = 2, 80
BOARD_DESCRIPTION_MAX = 500
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PAGE_SIZE = 50


@dataclass(frozen=True)
class BoardDraft:
    slug: str
    name: str
    description: str = ""

    def checked(self) -> BoardDraft:
        """The draft trimmed, or ValidationFailed on the first field that is wrong."""
        slug, name, description = self.slug.strip().lower(), self.name.strip(), self.description.strip()
        if not (SLUG_MIN <= len(slug) <= SLUG_MAX) or not SLUG_PATTERN.match(slug):
            raise ValidationFailed(
                _(
                    "A board's address has %(min)d to %(max)d lower-case letters, digits and single dashes.",
                    min=SLUG_MIN,
                    max=SLUG_MAX,
                ),
                "slug",
            )
        if not (NAME_MIN <= len(name) <= NAME_MAX):
            raise ValidationFailed(
                _("A board's name has %(min)d to %(max)d characters.", min=NAME_MIN, max=NAME_MAX), "name"
            )
        if len(description) > BOARD_DESCRIPTION_MAX:
            raise ValidationFailed(
                _("Keep the description under %(max)d characters.", max=BOARD_DESCRIPTION_MAX), "description"
            )
        return BoardDraft(slug, name, description)


def _slug_taken() -> ValidationFailed:
    return ValidationFailed(_("Another board already has that address."), "slug")


def _check_slug_free(session: Session, slug: str, board_id: int | None = None) -> None:
    query = select(Board.id).where(Board.slug == slug)
    if board_id is not None:
        query = query.where(Board.id != board_id)
    if session.scalar(query) is not None:
        raise _slug_taken()


def _flush_unique(session: Session) -> None:
    """Write now, so that a board given the same address at the same moment by another admin is refused
    with 409 (the unique index decides) rather than a server error."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("Another board already has that address.")) from None


def get_board_by_id(session: Session, board_id: int) -> Board:
    board = session.get(Board, board_id)
    if board is None:
        raise NotFound(_("That board doesn't exist."))
    return board


def create_board(session: Session, actor: User, draft: BoardDraft) -> Board:
    require(actor, "administer")
    draft = draft.checked()
    _check_slug_free(session, draft.slug)
    last = session.scalar(select(func.max(Board.position))) or 0
    board = Board(slug=draft.slug, name=draft.name, description=draft.description, position=last + 1)
    session.add(board)
    _flush_unique(session)
    audit(session, actor, "board_created", "board", board.id, after={"slug": board.slug, "name": board.name})
    return board


def edit_board(session: Session, actor: User, board_id: int, draft: BoardDraft) -> Board:
    require(actor, "administer")
    board = get_board_by_id(session, board_id)
    draft = draft.checked()
    _check_slug_free(session, draft.slug, board.id)
    before = {"slug": board.slug, "name": board.name, "description": board.description}
    after = {"slug": draft.slug, "name": draft.name, "description": draft.description}
    if before == after:
        return board  # nothing changed: no audit entry
    board.slug, board.name, board.description = draft.slug, draft.name, draft.description
    _flush_unique(session)
    changed = [key for key in after if before[key] != after[key]]
    audit(
        session,
        actor,
        "board_edited",
        "board",
        board.id,
        before={key: before[key] for key in changed},
        after={"name": board.name, **{key: after[key] for key in changed}},
    )
    return board


def move_board(session: Session, actor: User, board_id: int, direction: str) -> Board:
    """Swap the board with its neighbour above ("up") or below ("down"), numbering every board afresh so that
    positions stay distinct (boards are few: dozens, never thousands)."""
    require(actor, "administer")
    if direction not in ("up", "down"):
        raise BadRequest(_("Move a board up or down."))
    boards = list(session.scalars(select(Board).order_by(Board.position, Board.id).with_for_update()))
    board = next((b for b in boards if b.id == board_id), None)
    if board is None:
        raise NotFound(_("That board doesn't exist."))
    index = boards.index(board)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(boards):
        raise Conflict(_("That board is already first.") if direction == "up" else _("That board is already last."))
    old = board.position
    boards[index], boards[other] = boards[other], boards[index]
    for position, each in enumerate(boards, start=1):
        each.position = position
    audit(
        session, actor, "board_moved", "board", board.id,
        before={"position": old}, after={"name": board.name, "position": board.position},
    )  # fmt: skip
    return board


def set_archived(session: Session, actor: User, board_id: int, archived: bool, reason: str = "") -> Board:
    """Archive a board (its questions stay readable and answerable; it takes no new ones) or reopen it."""
    require(actor, "administer")
    board = get_board_by_id(session, board_id)
    reason = check_reason(reason, required=False)
    if board.is_archived == archived:
        raise Conflict(_("That board is already archived.") if archived else _("That board is not archived."))
    board.archived_at = utcnow() if archived else None
    action = "board_archived" if archived else "board_unarchived"
    audit(
        session, actor, action, "board", board.id, reason,
        before={"archived": not archived}, after={"name": board.name, "archived": archived},
    )  # fmt: skip
    return board


@dataclass(frozen=True)
class BoardPage:
    boards: list[Board]
    next_after: str | None  # "<position>.<id>" of the last board shown, when more follow


def parse_board_cursor(value: str | None) -> tuple[int, int] | None:
    """`?after=<position>.<id>`: None when absent, BadRequest (400) when broken."""
    if not value:
        return None
    match = re.fullmatch(r"(-?\d{1,9})\.(\d{1,9})", value)
    if match is None:
        raise BadRequest(_("That page link is broken; start again from the first page."))
    return int(match.group(1)), int(match.group(2))


def board_page(session: Session, after: str | None = None, limit: int = PAGE_SIZE) -> BoardPage:
    """Every board, archived ones included, in the public order, a page at a time (keyset on position, id)."""
    cursor = parse_board_cursor(after)
    query = select(Board).order_by(Board.position, Board.id)
    if cursor is not None:
        query = query.where(tuple_(Board.position, Board.id) > tuple_(*cursor))
    boards = list(session.scalars(query.limit(limit + 1)))
    shown = boards[:limit]
    more = len(boards) > limit
    return BoardPage(shown, f"{shown[-1].position}.{shown[-1].id}" if more else None)
