"""A schemathesis run against the OpenAPI description of an app with seeded data, as a visitor and with a member's
token: whatever it generates, no answer is a 5xx, every status is one the description lists, and every body
matches its schema. Bounded in examples so the suite stays quick. (Driven through Hypothesis directly:
schemathesis' pytest plugin does not run under pytest 9.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api import tokens
from app.escalation import service as escalation
from tests.factories import make_answer, make_board, make_question, make_user

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6


@pytest.fixture
def operations(app, session):
    board = make_board(session, "laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    for n in range(3):
        question = make_question(session, asker, board, title=f"Battery question number {n} for the contract")
        make_answer(session, helper, question)
    moderator = make_user(session, "mod", role="moderator")
    escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _run(operation, headers: dict[str, str]) -> list[int]:
    """Send the generated requests for one operation; the statuses it got back."""
    statuses: list[int] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
    )
    def check(case) -> None:
        statuses.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    check()
    return statuses


@pytest.mark.parametrize("as_member", [False, True], ids=["visitor", "member"])
def test_the_api_keeps_its_description(app, session, operations, as_member):
    headers = {}
    if as_member:
        member = make_user(session, "contract")
        with app.test_request_context():
            _token, raw = tokens.create(session, member, "contract", ["read", "write"])
        session.commit()
        headers = {"Authorization": f"Bearer {raw}"}
    assert len(operations) >= 20
    seen: dict[str, list[int]] = {}
    for operation in operations:
        seen[operation.label] = _run(operation, headers)
    assert all(seen.values()), "every operation was called"
    # Not only refusals: the seeded data and the member's token let real work through.
    assert any(200 <= status < 300 for statuses in seen.values() for status in statuses)
