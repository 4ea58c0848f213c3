"""The roles are defined once; rank, access levels and the database's check constraint follow from that list."""

from __future__ import annotations

from app.accounts.models import User
from app.auth import access, permissions
from app.auth.roles import LEVELS, ROLE_RANK, ROLES, VISITOR, Role


def test_rank_rises_with_the_order_of_the_roles():
    assert ROLES == ("member", "moderator", "staff", "admin")
    assert [ROLE_RANK[role] for role in ROLES] == [1, 2, 3, 4]
    assert LEVELS == (VISITOR, *ROLES) and access.LEVELS is LEVELS and permissions.ROLE_RANK is ROLE_RANK
    assert [role.value for role in Role] == list(ROLES)


def test_the_check_constraint_keeps_the_text_the_migrations_created():
    (constraint,) = (c for c in User.__table__.constraints if c.name == "ck_users_role")
    assert str(constraint.sqltext) == "role IN ('member', 'moderator', 'staff', 'admin')"
