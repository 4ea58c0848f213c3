"""The roles, defined once in rising order; rank, access levels, CLI choice and check constraint derive from it."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    STAFF = "staff"
    ADMIN = "admin"


# In rising order of power; a role may do everything the roles before it may.
ROLES: tuple[str, ...] = tuple(role.value for role in Role)
ROLE_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES, start=1)}

# Who may reach a route: anyone at all, or a signed-in member of at least a role.
VISITOR = "visitor"
LEVELS: tuple[str, ...] = (VISITOR, *ROLES)


def role_check_sql(column: str = "role") -> str:
    """The CHECK constraint keeping `column` to the known roles (the migrations hold its text: keep it stable)."""
    quoted = ", ".join(f"'{role}'" for role in ROLES)
    return f"{column} IN ({quoted})"


def at_least(role: Role) -> tuple[str, ...]:
    """The roles of `role`'s rank or above (e.g. staff and admins)."""
    return ROLES[ROLES.index(role.value) :]
