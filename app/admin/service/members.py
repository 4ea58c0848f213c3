"""Members for admins: find them by name or e-mail (keyset pages), read one's record, change a role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.models import EMAIL_MAX, USERNAME_MAX, User
from app.auth.permissions import require
from app.auth.roles import ROLES
from app.errors import BadRequest, Conflict, ValidationFailed
from app.forum.models import Answer, Question
from app.moderation.models import Flag
from app.moderation.service.auditing import audit, check_reason
from app.reputation import standing as reputation

PAGE_SIZE = 50
QUERY_MAX = EMAIL_MAX


@dataclass(frozen=True)
class MemberPage:
    members: list[User]
    next_after: str | None  # the username key of the last member shown, when more follow


def _prefix(text: str) -> str:
    """A LIKE pattern matching what starts with `text`, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


# Above every character a username or e-mail address holds, in each database's order: SQLite compares code
# points, so the last one; PostgreSQL compares by its collation, and U+FFFF is the character the Unicode
# collation (CLDR) gives the highest weight precisely so that it can close a prefix range.
_RANGE_END = {"sqlite": "\U0010ffff"}


def _starts_with(session: Session, column: Any, text: str) -> ColumnElement[bool]:
    """`column` starts with `text`, in a form the column's unique index answers: a range the planner walks (a
    LIKE alone never uses the index, on SQLite because its LIKE ignores case, on PostgreSQL unless the
    database's collation is plain C), and the LIKE to decide exactly."""
    end = _RANGE_END.get(session.get_bind().dialect.name, "\uffff")
    return and_(column >= text, column < text + end, column.like(_prefix(text), escape="\\"))


def search_members(
    session: Session, query: str = "", role: str | None = None, after: str | None = None, limit: int = PAGE_SIZE
) -> MemberPage:
    """Members whose username or e-mail address starts with `query` (any case), optionally of one role, in
    username order, a page at a time: keyset on the unique username key, so a deep page costs what the first
    costs. Both columns hold lower-case copies, so each prefix is one walk of its unique index."""
    text = (query or "").strip().lower()
    if len(text) > QUERY_MAX:
        raise BadRequest(_("Search for at most %(max)d characters.", max=QUERY_MAX))
    if role is not None and role not in ROLES:
        raise BadRequest(_("Unknown role %(role)s.", role=role[:20]))
    if after is not None and (not after or len(after) > USERNAME_MAX):
        raise BadRequest(_("That page link is broken; start again from the first page."))
    statement = select(User)
    if text:
        statement = statement.where(
            or_(_starts_with(session, User.username_key, text), _starts_with(session, User.email, text))
        )
    if role is not None:
        statement = statement.where(User.role == role)  # ix_users_role_username walks it in page order
    if after is not None:
        statement = statement.where(User.username_key > after)
    members = list(session.scalars(statement.order_by(User.username_key).limit(limit + 1)))
    shown = members[:limit]
    return MemberPage(shown, shown[-1].username_key if len(members) > limit else None)


@dataclass(frozen=True)
class MemberRecord:
    user: User
    standing: reputation.Standing
    questions: int
    answers: int
    flags_on_posts: int  # flags anyone raised on this member's posts
    flags_pending: int  # of those, still waiting in the queue
    flags_raised: int  # flags this member raised on others' posts


def member_record(session: Session, username: str) -> MemberRecord:
    """What an admin reads about a member beside the profile: role, points, rank, flags (suspension: on `user`)."""
    user = accounts.user_by_username(session, username)
    questions = session.scalar(select(func.count()).where(Question.author_id == user.id)) or 0
    answers = session.scalar(select(func.count()).where(Answer.author_id == user.id)) or 0
    on_questions = (
        select(Flag.status).join(Question, Flag.question_id == Question.id).where(Question.author_id == user.id)
    )
    on_answers = select(Flag.status).join(Answer, Flag.answer_id == Answer.id).where(Answer.author_id == user.id)
    statuses = on_questions.union_all(on_answers).subquery()
    total, pending = session.execute(
        select(func.count(), func.count().filter(statuses.c.status == "pending")).select_from(statuses)
    ).one()
    raised = session.scalar(select(func.count()).where(Flag.reporter_id == user.id)) or 0
    return MemberRecord(user, reputation.standing(user), questions, answers, total, pending, raised)


def change_role(session: Session, actor: User, username: str, role: str, reason: str = "") -> User:
    """Give a member another role. It ends every sign-in session of theirs (as `flask set-role` does); an
    admin can't change their own role, so there is always an admin left to change it back."""
    require(actor, "administer")
    if role not in ROLES:
        raise ValidationFailed(_("Choose one of the roles."), "role")
    target = accounts.user_by_username(session, username or "")
    reason = check_reason(reason, required=False)
    if target.id == actor.id:
        raise Conflict(_("You can't change your own role; ask another admin."))
    if target.role == role:
        raise Conflict(_("That member already has this role."))
    old = target.role
    accounts.set_role(session, target.username, role)
    audit(session, actor, "role_changed", "user", target.id, reason, before={"role": old}, after={"role": role})
    return target


def send_reset_link(session: Session, actor: User, username: str) -> User:
    """Mail a member a link to choose a new password (for someone who can't receive the one they ask for
    themselves, or after an account was misused); audited. Their password is unchanged until they use it."""
    require(actor, "administer")
    target = accounts.user_by_username(session, username or "")
    from app.accounts.service_mail import send_password_reset

    send_password_reset(session, target)
    audit(session, actor, "password_reset_sent", "user", target.id, "")
    return target
