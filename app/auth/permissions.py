"""The one policy module: may this user do this action to this object? Views and templates only ask."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context

from app.auth.roles import ROLE_RANK, Role
from app.db import utcnow
from app.errors import PermissionDenied
from app.reputation import rules


def role_at_least(user: Any, role: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return ROLE_RANK.get(user.role, 0) >= ROLE_RANK[role]


def is_member(user: Any) -> bool:
    return role_at_least(user, Role.MEMBER)


def is_moderator(user: Any) -> bool:
    # Staff and admins can do everything a moderator can.
    return role_at_least(user, Role.MODERATOR)


def is_active_member(user: Any) -> bool:
    """Signed in and not suspended: may take part, not just read."""
    return is_member(user) and not user.is_suspended()


def is_owner(user: Any, obj: Any) -> bool:
    return is_member(user) and getattr(obj, "author_id", None) == user.id


def _thread_open(question: Any) -> bool:
    return not question.is_locked and question.duplicate_of_id is None


def _answer(user: Any, question: Any) -> bool:
    if is_moderator(user):
        return True
    return is_active_member(user) and (question is None or _thread_open(question))


def _edit_question(user: Any, question: Any) -> bool:
    if is_moderator(user):
        return True
    return is_active_member(user) and is_owner(user, question) and not question.is_locked


def _edit_answer(user: Any, answer: Any) -> bool:
    if is_moderator(user):
        return True
    return is_active_member(user) and is_owner(user, answer) and not answer.question.is_locked


def _public_post(post: Any) -> bool:
    """Neither the post nor its thread is hidden, nor withdrawn into a private case (an answer's thread loaded)."""
    question = getattr(post, "question", post)
    return not post.is_hidden and not question.is_hidden and not question.is_private


def _kudo(user: Any, post: Any) -> bool:
    """Kudos only for someone else's post, and only while the public can see it: a hidden post earns nothing."""
    return is_active_member(user) and post is not None and post.author_id != user.id and _public_post(post)


def _withdraw_kudo(user: Any, post: Any) -> bool:
    """Not from a hidden post: hiding already took its kudos' points back, and restoring gives them again."""
    return is_member(user) and post is not None and _public_post(post)


def _flag(user: Any, post: Any) -> bool:
    """Someone else's post that is still public: a hidden one is already with the moderators."""
    return is_active_member(user) and post is not None and post.author_id != user.id and not post.is_hidden


def is_staff(user: Any) -> bool:
    """Company staff (and admins): they work the private support cases."""
    return role_at_least(user, Role.STAFF)


def _view_question(user: Any, question: Any) -> bool:
    """Hidden or withdrawn (private) questions: only their author, moderators and staff."""
    if question is None:
        return False
    if not question.is_hidden and not question.is_private:
        return True
    return is_owner(user, question) or is_moderator(user)


def moderators_are_employees() -> bool:
    """CASE_CONTENT_FOR_MODERATORS: the company's moderators are its employees and may read private cases.
    Off by default, because many communities' moderators are volunteer members."""
    return has_app_context() and bool(current_app.config.get("CASE_CONTENT_FOR_MODERATORS"))


def company_sign_in_only() -> bool:
    """OIDC_ONLY (with a provider configured): members sign in only through the company's OpenID Connect provider."""
    config = current_app.config if has_app_context() else {}
    return bool(config.get("OIDC_ISSUER")) and bool(config.get("OIDC_ONLY"))


def _use_password(user: Any, obj: Any) -> bool:
    """A local password signs in (and may be set) unless members sign in through the company; admins keep theirs
    as the way in when the provider is down or misconfigured."""
    return not company_sign_in_only() or role_at_least(user, Role.ADMIN)


def _is_customer(user: Any, case: Any) -> bool:
    return is_member(user) and case.customer_id == user.id


def _view_case(user: Any, case: Any) -> bool:
    """That a case exists, its status, category and public note: its customer, moderators and staff."""
    return case is not None and (is_moderator(user) or _is_customer(user, case))


def _insider(user: Any, case: Any) -> bool:
    """Staff, and moderators where they are employees: the whole conversation, internal notes included."""
    return case is not None and (is_staff(user) or (is_moderator(user) and moderators_are_employees()))


def _read_case(user: Any, case: Any) -> bool:
    """The conversation with the customer: the customer and the insiders."""
    return case is not None and (_is_customer(user, case) or _insider(user, case))


def _reply_to_case(user: Any, case: Any) -> bool:
    """Only the customer and staff talk in the conversation, and only while the case is not closed."""
    return case is not None and case.status != "closed" and (_is_customer(user, case) or is_staff(user))


def _private_help(user: Any, question: Any) -> bool:
    return is_active_member(user) and question is not None and question.author_id == user.id


def _suspend(user: Any, target: Any) -> bool:
    """Moderators suspend members; nobody suspends an admin or someone of their own rank or above."""
    if not is_moderator(user) or target is None or target.role == Role.ADMIN:
        return False
    return ROLE_RANK.get(target.role, 0) < ROLE_RANK[user.role]


def _accept(user: Any, question: Any) -> bool:
    """The asker, moderators and staff; or an experienced member once the asker has gone quiet. Never on a
    hidden question: a moderator removed it, and its solution is frozen with it."""
    if not is_active_member(user) or question is None or question.is_hidden:
        return False
    if is_owner(user, question) or is_moderator(user):
        return True
    if not rules.rank_at_least(user.points, user.solution_count, rules.ACCEPT_FOR_ABSENT_ASKER_RANK):
        return False
    asker_active = question.asker_active_at or question.created_at
    return utcnow() - asker_active >= rules.ASKER_ABSENT_AFTER


# action -> predicate(user, obj). Every rule lives here, named by what the user wants to do.
RULES: dict[str, Any] = {
    # An archived board takes no new questions; without a board, "may this member ask at all?"
    "ask": lambda user, board: is_active_member(user) and (board is None or not board.is_archived),
    "upload": lambda user, obj: is_active_member(user),
    "answer": _answer,
    "edit_question": _edit_question,
    "edit_answer": _edit_answer,
    "kudo": _kudo,
    "withdraw_kudo": _withdraw_kudo,
    "flag": _flag,
    "suspend": _suspend,
    "accept": _accept,
    "edit_profile": lambda user, profile: is_member(user) and (profile.id == user.id),
    "moderate": lambda user, obj: is_moderator(user),
    "view_question": _view_question,
    "escalate": lambda user, question: is_moderator(user),
    "request_private_help": _private_help,
    "view_case": _view_case,
    "read_case": _read_case,
    "reply_to_case": _reply_to_case,
    "write_internal_note": _insider,
    "work_cases": lambda user, obj: is_staff(user),
    "administer": lambda user, obj: role_at_least(user, Role.ADMIN),
    "use_password": _use_password,
}


def can(user: Any, action: str, obj: Any = None) -> bool:
    """True when `user` may do `action` to `obj`. Unknown actions are refused, never allowed."""
    rule = RULES.get(action)
    return bool(rule and rule(user, obj))


def require(user: Any, action: str, obj: Any = None, message: str | None = None) -> None:
    """Raise PermissionDenied unless `can(user, action, obj)`."""
    if not can(user, action, obj):
        raise PermissionDenied(message or "You don't have permission to do that.")
