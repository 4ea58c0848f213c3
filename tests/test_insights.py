"""Community insights: the figures against a hand-computed data set, the SQL duration helper on the test's
database, the SVG charts, the CSV export, and who may see any of it."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import db, utcnow
from app.errors import BadRequest, PermissionDenied
from app.escalation.models import Case
from app.forum.models import Answer, Board, Question
from app.insights import charts, service
from app.insights.service import InsightsQuery, seconds_between
from app.insights.views import bp as insights_bp
from app.reputation.models import PointEvent
from config import config_for
from tests.conftest import make_app
from tests.factories import make_answer, make_board, make_question, make_user

HOUR, MINUTE = 3600, 60
BOARD_NAME = "<b>Boards & more</b>"


@pytest.fixture
def app(tmp_path: Path, postgres_schema: str | None) -> Iterator[Flask]:
    """The usual test app, with the insights blueprint registered when the factory does not (yet) do it."""
    app = make_app(tmp_path, postgres_schema)
    if "insights" not in app.blueprints:
        app.register_blueprint(insights_bp)  # before the first request: Flask refuses it afterwards
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """Like conftest's session, but transactional rather than AUTOCOMMIT: on PostgreSQL the services the
    factories call open SAVEPOINTs (notifications.follow), which need a transaction around them. Every factory
    commits, so the app's requests still see all the data."""
    with app.app_context():
        engine = db.engine
    session = Session(bind=engine, expire_on_commit=False)
    yield session
    session.close()


# --- the data set -------------------------------------------------------------------------------
#
# Board "laptops", questions asked in the last 30 days (all public):
#   q1..q10 answered after 10, 30, 60, 70, 90, 120, 300, 1440, 2000 and 3000 minutes
#     -> median (5th of 10) 90 min, p90 (9th of 10) 2000 min; within 1 h: 3 (60 min counts), 24 h: 8, 48 h: 9
#   q11 asked 30 h ago, unanswered (counts as waiting); q12 asked 2 h ago, unanswered (too young)
#   -> 12 asked: shares 3/12, 8/12, 9/12
#   q1, q2, q3, q9 solved, accepted 2, 5, 10 and 30 h after asking -> 4/12 solved, median (2nd of 4) 5 h
#   answers: q1..q7 by a member, q8..q10 by staff, a second member answer on q1, a hidden one on q2
#     -> 8 community answers, 3 staff answers
#   cases: q3 billing/normal (8 h target) answered in 2 h, resolved        -> within target
#          q4 billing/high (4 h) answered in 6 h, resolved                 -> late: overdue
#          q5 account/urgent (1 h) opened 3 h ago, new, no answer, past due -> overdue, a miss
#          q6 legal/normal (24 h: the legal override) answered in 10 h, open -> within target
#          q7 privacy/low (24 h) opened 1 h ago, new                       -> not judged yet
#     -> 5 opened (billing 2), median response (2nd of 2, 6, 10 h) 6 h, within target 2 of 4, overdue 2 of 5
#   deflection: solved q1, q2, q9 have no case (q3 has) -> 3 x 12.0 = 36.0
# Left out of the 30 days: a hidden and a private question (answered after 5 min), and a question and a case
# from 40 days ago (in the 90 days). Board "<b>Boards & more</b>": one question answered after 15 minutes.
WAITS_MINUTES = (10, 30, 60, 70, 90, 120, 300, 1440, 2000, 3000)
ACCEPTED_AFTER_HOURS = {1: 2, 2: 5, 3: 10, 9: 30}


@dataclass
class World:
    base: datetime
    laptops: Board
    other: Board
    member: User
    moderator: User
    staffer: User
    admin: User
    helper: User
    helper2: User
    questions: dict[int, Question]


def _ask(session: Session, author: User, board: Board, asked: datetime, **fields: object) -> Question:
    question = make_question(session, author, board)
    question.created_at = question.last_activity_at = question.asker_active_at = asked
    for name, value in fields.items():
        setattr(question, name, value)
    session.commit()
    return question


def _answer(session: Session, author: User, question: Question, at: datetime, first: bool = True) -> Answer:
    answer = make_answer(session, author, question)
    answer.created_at = at
    if first:
        question.first_answer_at = at
    session.commit()
    return answer


def _case(
    session: Session,
    question: Question,
    category: str,
    priority: str,
    opened: datetime,
    status: str,
    responded_after: timedelta | None,
    due: datetime,
) -> Case:
    case = Case(
        question_id=question.id,
        customer_id=question.author_id,
        opened_by_id=question.author_id,
        source="customer",
        category=category,
        priority=priority,
        status=status,
        opened_at=opened,
        updated_at=opened,
        due_at=due,
        first_staff_response_at=opened + responded_after if responded_after else None,
    )
    session.add(case)
    session.commit()
    return case


@pytest.fixture
def world(session: Session) -> World:
    base = utcnow()
    laptops = make_board(session, "laptops", "Laptops")
    other = make_board(session, "boards-more", BOARD_NAME)
    asker = make_user(session, "asker")
    helper, helper2 = make_user(session, "helper"), make_user(session, "helper2")
    staffer = make_user(session, "staffer", role="staff")
    world = World(
        base,
        laptops,
        other,
        make_user(session, "member"),
        make_user(session, "moder", role="moderator"),
        staffer,
        make_user(session, "boss", role="admin"),
        helper,
        helper2,
        {},
    )

    for n, minutes in enumerate(WAITS_MINUTES, start=1):
        asked = base - timedelta(days=6, hours=n)
        question = world.questions[n] = _ask(session, asker, laptops, asked)
        answer = _answer(session, staffer if n >= 8 else helper, question, asked + timedelta(minutes=minutes))
        if n in ACCEPTED_AFTER_HOURS:
            answer.is_accepted, question.is_solved = True, True
            answer.accepted_at = asked + timedelta(hours=ACCEPTED_AFTER_HOURS[n])
            session.commit()
    q1, q2 = world.questions[1], world.questions[2]
    _answer(session, helper2, q1, q1.first_answer_at + timedelta(minutes=5), first=False)
    hidden_answer = _answer(session, helper2, q2, q2.first_answer_at + timedelta(minutes=5), first=False)
    hidden_answer.is_hidden = True
    q2.answer_count = 1
    world.questions[11] = _ask(session, asker, laptops, base - timedelta(hours=30))
    world.questions[12] = _ask(session, asker, laptops, base - timedelta(hours=2))

    for flag in ("is_hidden", "is_private"):  # answered while public, then hidden or withdrawn
        question = _ask(session, asker, laptops, base - timedelta(days=2))
        _answer(session, helper, question, question.created_at + timedelta(minutes=5))
        setattr(question, flag, True)
        session.commit()
    old = _ask(session, asker, laptops, base - timedelta(days=40))
    _answer(session, helper, old, old.created_at + timedelta(minutes=5))
    other_question = _ask(session, asker, other, base - timedelta(days=1))
    _answer(session, helper2, other_question, other_question.created_at + timedelta(minutes=15))

    q = world.questions
    day = timedelta(days=1)
    _case(session, q[3], "billing", "normal", base - 5 * day, "resolved", timedelta(hours=2), base - 2 * day)
    _case(session, q[4], "billing", "high", base - 5 * day, "resolved", timedelta(hours=6), base - 2 * day)
    opened = base - timedelta(hours=3)
    _case(session, q[5], "account", "urgent", opened, "new", None, opened + timedelta(hours=1))
    opened = base - 4 * day
    _case(session, q[6], "legal", "normal", opened, "open", timedelta(hours=10), opened + timedelta(hours=240))
    opened = base - timedelta(hours=1)
    _case(session, q[7], "privacy", "low", opened, "new", None, opened + timedelta(hours=24))
    _case(session, old, "other", "normal", base - 40 * day, "closed", timedelta(hours=1), base - 39 * day)
    _case(session, other_question, "other", "normal", base - timedelta(hours=20), "resolved", timedelta(hours=1), base)
    # Points earned 40 days ago on the old question: only in the 90 days.
    session.add(
        PointEvent(
            user_id=helper2.id,
            delta=100,
            reason="answer_accepted",
            key="old",
            question_id=old.id,
            created_at=base - 40 * day,
        )
    )
    session.commit()
    return world


def _report(
    session: Session, world: World, days: int = 30, board: str | None = "laptops", cost: float = 12.0
) -> service.Dashboard:
    return service.dashboard(session, world.staffer, InsightsQuery(days, board), ticket_cost=cost, now=utcnow())


# --- the figures --------------------------------------------------------------------------------


def test_answer_figures_match_the_hand_computed_values(session, world):
    report = _report(session, world)
    assert report.asked == 12
    assert report.answered == 10
    assert report.median_first_answer == 90 * MINUTE
    assert report.p90_first_answer == 2000 * MINUTE
    assert report.answered_within == {1: 3, 24: 8, 48: 9}  # exactly 60 min and exactly 24 h count as within
    assert report.within_share(1) == pytest.approx(3 / 12)
    assert report.within_share(24) == pytest.approx(8 / 12)
    assert report.within_share(48) == pytest.approx(9 / 12)
    assert report.solved == 4
    assert report.solved_share == pytest.approx(1 / 3)
    assert report.median_solution == 5 * HOUR
    assert report.unanswered == 1
    assert (report.community_answers, report.staff_answers) == (8, 3)
    assert report.deflected == 3
    assert report.deflection_value == pytest.approx(36.0)


def test_escalation_figures_match_the_hand_computed_values(session, world):
    cases = _report(session, world).cases
    assert cases.opened == 5
    assert cases.by_category == [("billing", 2), ("account", 1), ("legal", 1), ("privacy", 1)]
    assert cases.responded == 3
    assert cases.median_first_response == 6 * HOUR
    assert (cases.within_target, cases.target_passed) == (2, 4)
    assert cases.within_target_share == pytest.approx(0.5)
    assert cases.overdue == 2
    assert cases.overdue_share == pytest.approx(0.4)


def test_all_boards_and_the_longer_period(session, world):
    everything = _report(session, world, board=None)
    assert everything.asked == 13
    # 11 waits: 10, 15, 30, 60, ... -> the median is the 6th (90 min), p90 the 10th (2000 min)
    assert (everything.median_first_answer, everything.p90_first_answer) == (90 * MINUTE, 2000 * MINUTE)
    assert everything.cases.opened == 6

    other = _report(session, world, board="boards-more")
    assert (other.asked, other.median_first_answer, other.p90_first_answer) == (1, 15 * MINUTE, 15 * MINUTE)
    assert other.cases.opened == 1 and other.cases.within_target == 1

    quarter = _report(session, world, days=90)
    assert quarter.asked == 13
    assert quarter.cases.opened == 6
    assert quarter.answered_within[1] == 4


def test_top_helpers_leave_staff_out_and_follow_the_period(session, world):
    # Each answer earned 2 points just now: the helper wrote 10, helper2 three. The staff member's three answers
    # earned points too, but staff are not ranked. Helpers are over all boards, whatever the board filter.
    month = _report(session, world)
    assert [(user.username, points) for user, points in month.helpers] == [("helper", 20), ("helper2", 6)]
    assert world.staffer.id not in {user.id for user, _ in month.helpers}
    assert _report(session, world, board="boards-more").helpers == month.helpers
    quarter = _report(session, world, days=90)
    assert [(user.username, points) for user, points in quarter.helpers] == [("helper2", 106), ("helper", 20)]


def test_weekly_series_over_twelve_weeks(session, world):
    series = _report(session, world).series
    assert set(series) == {"questions_asked", "median_hours_to_first_answer", "share_solved", "escalations"}
    assert all(len(points) == service.WEEKS for points in series.values())
    # Oldest first: the last point is this week; the question from 40 days ago is in week 5 back (index 6).
    assert [point.value for point in series["questions_asked"]] == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 12]
    assert series["median_hours_to_first_answer"][-1].value == pytest.approx(1.5)
    assert series["median_hours_to_first_answer"][6].value == pytest.approx(5 / 60)
    assert series["median_hours_to_first_answer"][0].value is None
    assert series["share_solved"][-1].value == pytest.approx(4 / 12)
    assert series["share_solved"][6].value == 0
    assert [point.value for point in series["escalations"]] == [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5]
    starts = [point.start for point in series["questions_asked"]]
    assert all(later - earlier == timedelta(days=7) for earlier, later in itertools.pairwise(starts))


def test_unanswered_list_is_newest_first_and_skips_locked_questions(session, world):
    locked = _ask(session, world.member, world.laptops, world.base - timedelta(hours=40), is_locked=True)
    later = _ask(session, world.member, world.laptops, world.base - timedelta(hours=26))
    result = service.unanswered(session, world.staffer, InsightsQuery(30, "laptops"))
    assert [q.id for q in result.questions] == [later.id, world.questions[11].id]
    assert locked.id not in [q.id for q in result.questions]
    assert _report(session, world).unanswered == 2


def test_an_empty_period_has_no_figures_rather_than_errors(session, world):
    report = service.dashboard(
        session, world.admin, InsightsQuery(7, "laptops"), ticket_cost=12.0, now=world.base - timedelta(days=200)
    )
    assert report.asked == 0
    assert report.median_first_answer is None and report.within_share(1) is None
    assert report.cases.opened == 0 and report.cases.overdue_share is None
    assert report.deflection_value == 0


def test_the_service_refuses_members_moderators_and_unknown_input(session, world):
    with pytest.raises(PermissionDenied):
        service.dashboard(session, world.moderator, InsightsQuery(), ticket_cost=1)
    with pytest.raises(PermissionDenied):
        service.unanswered(session, world.member, InsightsQuery())
    with pytest.raises(BadRequest):
        service.dashboard(session, world.staffer, InsightsQuery(31), ticket_cost=1)
    with pytest.raises(BadRequest):
        service.dashboard(session, world.staffer, InsightsQuery(30, "no-such-board"), ticket_cost=1)
    for args in ({"period": "14"}, {"period": "thirty"}, {"period": "-7"}):
        with pytest.raises(BadRequest):
            InsightsQuery.from_args(args)
    assert InsightsQuery.from_args({}) == InsightsQuery(30, None)
    assert InsightsQuery.from_args({"period": "90", "board": " laptops "}) == InsightsQuery(90, "laptops")


# --- seconds between two timestamps ---------------------------------------------------------------


def test_seconds_between_compiles_for_sqlite_and_postgresql():
    expression = select(seconds_between(Question.created_at, Question.first_answer_at))
    assert "julianday(questions.first_answer_at) - julianday(questions.created_at)" in str(
        expression.compile(dialect=sqlite.dialect())
    )
    assert "EXTRACT(EPOCH FROM (questions.first_answer_at) - (questions.created_at))" in str(
        expression.compile(dialect=postgresql.dialect())
    )


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        (datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=UTC), datetime(2026, 3, 1, 11, 0, 0, 123000, tzinfo=UTC), 3600),
        (datetime(2026, 3, 1, 10, 0, tzinfo=UTC), datetime(2026, 3, 1, 11, 0, 0, 500000, tzinfo=UTC), 3600.5),
        (datetime(2026, 2, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 2, 1, 0, tzinfo=UTC), 26 * HOUR),
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 3, 30, tzinfo=UTC), 3 * HOUR),  # EU DST day
        (datetime(2026, 3, 1, 11, 0, tzinfo=UTC), datetime(2026, 3, 1, 10, 0, tzinfo=UTC), -3600),
    ],
)
def test_seconds_between_on_the_test_database(session, world, start, end, seconds):
    """Runs on the database under test: SQLite by default, PostgreSQL with TEST_DATABASE_URL."""
    question = world.questions[1]
    session.execute(update(Question).where(Question.id == question.id).values(created_at=start, first_answer_at=end))
    stored = session.scalar(
        select(seconds_between(Question.created_at, Question.first_answer_at)).where(Question.id == question.id)
    )
    assert float(stored) == seconds
    with_value = session.scalar(
        select(seconds_between(Question.created_at, service._at(end))).where(Question.id == question.id)
    )
    assert float(with_value) == seconds


# --- charts -------------------------------------------------------------------------------------


def test_chart_is_accessible_svg_with_escaped_text_and_no_styles():
    svg = charts.bar_chart(
        [("1 Sep", 3), (BOARD_NAME, None), ("15 Sep", 0.5)],
        chart_id="chart-test",
        title=f"Questions — {BOARD_NAME}",
        description="Per week.",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and 'aria-labelledby="chart-test-title chart-test-desc"' in svg
    assert '<title id="chart-test-title">Questions — &lt;b&gt;Boards &amp; more&lt;/b&gt;</title>' in svg
    readings = "1 Sep: 3; &lt;b&gt;Boards &amp; more&lt;/b&gt;: –; 15 Sep: 0.5"
    assert f'<desc id="chart-test-desc">Per week. {readings}</desc>' in svg
    assert "<b>" not in svg
    assert "style" not in svg.lower() and "<script" not in svg.lower() and " on" not in svg.lower()
    assert svg.count("<rect") == 2  # no bar for the missing week
    with pytest.raises(ValueError, match="chart ids"):
        charts.bar_chart([], chart_id='x" onload="alert(1)', title="t", description="d")


def test_dashboard_page_draws_charts_without_inline_styles_and_escapes_the_board(client, world, login_as):
    login_as(world.staffer)
    response = client.get("/insights?board=boards-more&period=7")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('class="chart" role="img"') == 4, "four charts (the header's bell is an icon, not a chart)"
    assert "style=" not in page and "<style" not in page
    assert "&lt;b&gt;Boards &amp; more&lt;/b&gt;" in page
    assert BOARD_NAME not in page
    assert 'href="/insights.csv?period=7&amp;board=boards-more"' in page
    assert "per ticket" in page


def test_dashboard_shows_the_figures_and_links_to_the_unanswered_list(client, world, login_as):
    login_as(world.admin)
    page = client.get("/insights?board=laptops").get_data(as_text=True)
    assert "1.5 h" in page  # median time to first answer
    assert "25%" in page  # answered within an hour
    assert 'href="/insights/unanswered?period=30&amp;board=laptops"' in page
    listing = client.get("/insights/unanswered?period=30&board=laptops")
    assert listing.status_code == 200
    assert f"/questions/{world.questions[11].id}/" in listing.get_data(as_text=True)


def test_figures_and_money_are_written_as_the_readers_language_writes_them(app, client, session, world, login_as):
    app.config["TICKET_COST"] = 1234.5  # three questions deflected on the laptops board: 3,703.50
    world.staffer.locale = "el"
    session.commit()
    login_as(world.staffer)
    page = client.get("/insights?board=laptops").get_data(as_text=True)
    assert "3.703,50\xa0€" in page and "1.234,50\xa0€" in page  # Greek: "." groups, "," decimals, € after
    assert "1,5" in page  # the median time to first answer (1.5 hours), a Greek decimal
    assert "3,703.50" not in page and "1234.50" not in page
    world.staffer.locale, app.config["TICKET_CURRENCY"] = "en", "USD"
    session.commit()
    page = client.get("/insights?board=laptops").get_data(as_text=True)
    assert "$3,703.50" in page and "$1,234.50" in page


def test_the_ticket_currency_is_a_setting_with_euro_by_default(app, monkeypatch):
    assert app.config["TICKET_CURRENCY"] == "EUR"
    monkeypatch.setenv("TICKET_CURRENCY", " gbp ")
    assert config_for("testing")["TICKET_CURRENCY"] == "GBP"


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_export_has_every_figure_and_the_weekly_series(app, client, world, login_as):
    app.config["TICKET_COST"] = 20.0
    login_as(world.staffer)
    response = client.get("/insights.csv?period=30&board=laptops")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.fullmatch(
        r'attachment; filename="insights-\d{4}-\d{2}-\d{2}-30d-laptops\.csv"', response.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    split = rows.index([])
    assert rows[0] == ["figure", "value"]
    figures = dict(rows[1:split])
    assert figures["period_days"] == "30" and figures["board"] == "laptops"
    assert figures["questions_asked"] == "12"
    assert figures["median_seconds_to_first_answer"] == str(90 * MINUTE)
    assert figures["p90_seconds_to_first_answer"] == str(2000 * MINUTE)
    assert figures["share_answered_within_1h"] == "0.25"
    assert figures["share_answered_within_48h"] == "0.75"
    assert figures["share_solved"] == "0.3333"
    assert figures["median_seconds_to_solution"] == str(5 * HOUR)
    assert figures["unanswered_after_24h"] == "1"
    assert (figures["community_answers"], figures["staff_answers"]) == ("8", "3")
    assert figures["escalations"] == "5" and figures["escalations_billing"] == "2"
    assert figures["median_seconds_to_first_staff_response"] == str(6 * HOUR)
    assert figures["share_first_response_within_target"] == "0.5"
    assert figures["share_cases_overdue"] == "0.4"
    assert figures["solved_without_escalation"] == "3"
    assert figures["cost_per_ticket"] == "20"
    assert figures["deflection_estimate"] == "60"
    assert figures["top_helper_1"] == "helper" and figures["top_helper_1_points"] == "20"

    assert rows[split + 1] == ["series", "week", "value"]
    series = rows[split + 2 :]
    assert len(series) == 4 * service.WEEKS
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", week) for _, week, _ in series)
    asked = [value for name, _, value in series if name == "questions_asked"]
    assert asked[-1] == "12" and asked[6] == "1"
    assert [value for name, _, value in series if name == "escalations"][-1] == "5"


def test_csv_text_cells_cannot_become_spreadsheet_formulas():
    assert service._text("-A1") == "'-A1"
    assert service._text("=cmd") == "'=cmd"
    assert service._text("anna") == "anna"


# --- access -------------------------------------------------------------------------------------

URLS = ("/insights", "/insights.csv", "/insights/unanswered")


@pytest.mark.parametrize("url", URLS)
def test_visitors_are_sent_to_sign_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("role", "status"), [("member", 403), ("moderator", 403), ("staffer", 200), ("admin", 200)])
def test_only_staff_and_admins_get_in(client, world, login_as, url, role, status):
    login_as(getattr(world, role))
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=14", "Choose a period of 7, 30 or 90 days."),
        ("period=abc", "Choose a period of 7, 30 or 90 days."),
        ("board=nowhere", "There is no board called “nowhere”."),
    ],
)
def test_bad_period_or_board_is_a_400_with_a_clear_message(client, world, login_as, url, query, message):
    login_as(world.staffer)
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_endpoints_declare_staff_access(app):
    for endpoint in ("insights.dashboard", "insights.export", "insights.unanswered"):
        assert app.view_functions[endpoint].access_level == "staff"
