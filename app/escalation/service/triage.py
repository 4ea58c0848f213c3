"""Staff's side of the work: the inbox with its filters and counts, assignment (one case or many), and the
cases past their due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.auth.permissions import is_staff, require
from app.auth.roles import Role, at_least
from app.db import utcnow
from app.errors import Conflict, ValidationFailed
from app.escalation import rules, workflow
from app.escalation.models import Case
from app.escalation.service.cases import access_case, case_link
from app.moderation.service.auditing import audit
from app.notifications import service as notifications

# The inbox's status filter: the active cases (the default), all of them, or one state.
STATUS_FILTERS = ("active", "all", *workflow.STATES)


@dataclass(frozen=True)
class InboxFilter:
    status: str | None = None  # one of STATUS_FILTERS; None means "active"
    category: str | None = None
    priority: str | None = None
    assignee: str | None = None  # "me", "none", or a username
    overdue: bool = False


@dataclass(frozen=True)
class Inbox:
    cases: list[Case]
    counts: dict[str, int]


def _overdue(now: datetime | None = None):
    return Case.status.in_(workflow.OPEN_STATES) & (Case.due_at < (now or utcnow()))


def inbox(session: Session, staff: User, filters: InboxFilter, limit: int = 200) -> Inbox:
    require(staff, "work_cases")
    query = select(Case).options(joinedload(Case.question), joinedload(Case.customer), joinedload(Case.assignee))
    status = filters.status or "active"
    if status not in STATUS_FILTERS:
        raise ValidationFailed(_("Unknown status."), "status")
    if status == "active":
        query = query.where(Case.status.in_(workflow.ACTIVE_STATES))
    elif status != "all":
        query = query.where(Case.status == status)
    if filters.category:
        if filters.category not in rules.CATEGORIES:
            raise ValidationFailed(_("Unknown category."), "category")
        query = query.where(Case.category == filters.category)
    if filters.priority:
        if filters.priority not in rules.PRIORITIES:
            raise ValidationFailed(_("Unknown priority."), "priority")
        query = query.where(Case.priority == filters.priority)
    if filters.assignee == "me":
        query = query.where(Case.assignee_id == staff.id)
    elif filters.assignee == "none":
        query = query.where(Case.assignee_id.is_(None))
    elif filters.assignee:
        assignee_id = session.scalar(select(User.id).where(User.username_key == filters.assignee.lower()))
        query = query.where(Case.assignee_id == (assignee_id or -1))
    if filters.overdue:
        query = query.where(_overdue())
    cases = list(session.scalars(query.order_by(Case.due_at, Case.id).limit(limit)))
    counts = dict(session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    counts["overdue"] = session.scalar(select(func.count()).select_from(Case).where(_overdue())) or 0
    return Inbox(cases, {state: int(counts.get(state, 0)) for state in (*workflow.STATES, "overdue")})


def overdue_cases(session: Session, now: datetime | None = None) -> list[Case]:
    """Cases past their due time while staff owe a response (for `flask cases overdue`)."""
    return list(
        session.scalars(
            select(Case)
            .options(joinedload(Case.assignee), joinedload(Case.question))
            .where(_overdue(now))
            .order_by(Case.due_at)
        )
    )


def tell_overdue(session: Session, now: datetime | None = None) -> int:
    """Tell staff about each case past its due time, once per response clock: its assignee, or every staff member
    while nobody has it. A case whose clock restarted (a new due_at) and ran out again is told about again.
    Returns the cases told about."""
    now = now or utcnow()
    # Not told since its due time: never, or before a restarted clock.
    untold = or_(Case.overdue_notified_at.is_(None), Case.overdue_notified_at < Case.due_at)
    everyone: list[int] | None = None
    told = 0
    for case in session.scalars(select(Case).where(_overdue(now), untold).order_by(Case.due_at)).all():
        # Claimed by a conditional update: the periodic job and a cron run at the same moment tell staff once.
        claimed = session.execute(
            update(Case)
            .where(Case.id == case.id, untold)
            .values(overdue_notified_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        if case.assignee_id is not None:
            recipients = [case.assignee_id]
        else:
            everyone = everyone if everyone is not None else [user.id for user in staff_members(session)]
            recipients = everyone
        notifications.notify_many(session, recipients, "case_overdue", {"case": case.id}, case_link(case))
        told += 1
    return told


def staff_members(session: Session) -> list[User]:
    """Everyone a case can be assigned to (staff and admins), by name."""
    staff = session.scalars(select(User).where(User.role.in_(at_least(Role.STAFF))))
    return sorted(staff, key=lambda user: (user.name.casefold(), user.id))


def assign(session: Session, actor: User, case_id: int, assignee_username: str | None) -> Case:
    require(actor, "work_cases")
    case = access_case(session, actor, case_id)
    assignee = None
    if assignee_username:
        assignee = session.scalar(select(User).where(User.username_key == assignee_username.lower()))
        if assignee is None or not is_staff(assignee):
            raise ValidationFailed(_("Cases are assigned to staff members."), "assignee")
    before = case.assignee_id
    if before == (assignee.id if assignee else None):
        raise Conflict(_("The case is already assigned that way."))
    case.assignee_id = assignee.id if assignee else None
    case.updated_at = utcnow()
    audit(
        session,
        actor,
        "case_assigned",
        "case",
        case.id,
        "",
        before={"assignee_id": before},
        after={"assignee_id": case.assignee_id},
    )
    if assignee is not None:
        notifications.notify(
            session, assignee.id, "case_assigned", {"case": case.id}, case_link(case), actor_id=actor.id
        )
    return case


def bulk_assign(session: Session, actor: User, case_ids: list[int], assignee_username: str) -> int:
    require(actor, "work_cases")
    if not case_ids:
        raise ValidationFailed(_("Select at least one case."), "case_ids")
    changed = 0
    for case_id in dict.fromkeys(case_ids):
        try:
            assign(session, actor, case_id, assignee_username)
            changed += 1
        except Conflict:
            continue  # already theirs
    return changed
