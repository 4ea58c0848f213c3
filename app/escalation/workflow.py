"""The case workflow as a table: states, (state, action) -> (new state, who may), and nothing else.

Pure: no Flask, no SQLAlchemy. The UI's buttons and the service's checks both come from here.
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("new", "open", "waiting_on_customer", "resolved", "closed")
ACTIONS = ("start", "wait", "resume", "customer_reply", "resolve", "close", "reopen")
# Active: not yet resolved (one per question at a time). Open: staff owe a response, so the due clock runs.
ACTIVE_STATES = ("new", "open", "waiting_on_customer")
OPEN_STATES = ("new", "open")

# Who acts: "staff" (staff and admins), "customer" (the case's own customer). Moderators see cases and
# write internal notes, but the support workflow belongs to staff.
STAFF, CUSTOMER = "staff", "customer"

TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    ("new", "start"): ("open", frozenset({STAFF})),
    ("new", "resolve"): ("resolved", frozenset({STAFF})),
    ("open", "wait"): ("waiting_on_customer", frozenset({STAFF})),
    ("open", "resolve"): ("resolved", frozenset({STAFF})),
    ("waiting_on_customer", "customer_reply"): ("open", frozenset({CUSTOMER})),
    ("waiting_on_customer", "resume"): ("open", frozenset({STAFF})),
    ("waiting_on_customer", "resolve"): ("resolved", frozenset({STAFF})),
    ("resolved", "reopen"): ("open", frozenset({STAFF, CUSTOMER})),  # a customer only within the reopen period
    ("resolved", "close"): ("closed", frozenset({STAFF})),
}


class IllegalTransition(Exception):
    def __init__(self, state: str, action: str, role: str) -> None:
        super().__init__(f"{action!r} is not possible for {role!r} in state {state!r}")
        self.state, self.action, self.role = state, action, role


@dataclass(frozen=True)
class Move:
    action: str
    to: str


def allows(state: str, action: str, role: str) -> bool:
    """Whether `role` may do `action` in `state`."""
    entry = TRANSITIONS.get((state, action))
    return entry is not None and role in entry[1]


def next_state(state: str, action: str, role: str) -> str:
    """The state after `role` does `action` in `state`, or IllegalTransition."""
    if not allows(state, action, role):
        raise IllegalTransition(state, action, role)
    return TRANSITIONS[(state, action)][0]


def allowed(state: str, role: str) -> list[Move]:
    """What `role` may do in `state`, in a stable order (for the buttons on the case page)."""
    return [Move(action, TRANSITIONS[(state, action)][0]) for action in ACTIONS if allows(state, action, role)]


def is_open(state: str) -> bool:
    """Still being worked on (the response clock runs while new or open)."""
    return state in OPEN_STATES
