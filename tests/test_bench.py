"""The HTTP benchmark's parts that can be wrong without anyone noticing: the comparison seed must give a
consistent Agora database (counts, counters, ledger, index, a member who can sign in), and the wrk output
parser must read what wrk really prints. No timing is asserted here; the figures live in bench/RESULTS.md."""

from __future__ import annotations

import collections
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from app import create_app
from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.content import render
from app.db import db
from app.forum.models import Answer, Board, Question, Revision, question_tags
from app.reputation import rules
from app.reputation.models import PointEvent, UserBadge
from bench import __main__ as bench_cli
from bench import comparison
from bench.wrk import parse_wrk
from tests.conftest import POSTGRES_URL

# The comparison data set's generator is not part of this repository: it lives beside the checkout
# (../shared/bench/datagen.py, or BENCH_DATAGEN), shared by every forum the benchmark compares. A clone without it
# cannot load the data set, so its tests say so instead of failing on a missing file.
needs_datagen = pytest.mark.skipif(
    not comparison.DATAGEN.is_file(), reason=f"no comparison data generator at {comparison.DATAGEN} (BENCH_DATAGEN)"
)

# Real output of `wrk -t2 -c8 -d3s --latency` (Debian's wrk 4.1.0) against bench.hello under gunicorn.
WRK_OUTPUT = """\
Running 3s test @ http://127.0.0.1:18731/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.22ms    8.42ms  44.26ms   83.22%
    Req/Sec   464.50    256.21   777.00     58.33%
  Latency Distribution
     50%    6.23ms
     75%   11.83ms
     90%   24.79ms
     99%   37.30ms
  2782 requests in 3.01s, 450.99KB read
Requests/sec:    924.76
Transfer/sec:    149.91KB
"""

# The same against a missing page, and a slow run's figures in seconds and microseconds (wrk's own units).
WRK_OUTPUT_ERRORS = """\
Running 2s test @ http://127.0.0.1:18732/missing
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    22.07ms   19.78ms 155.13ms   82.39%
    Req/Sec   209.40    191.20     0.85k    87.50%
  Latency Distribution
     50%  812.00us
     75%   35.35ms
     90%    1.44s
     99%    2.70s
  850 requests in 2.08s, 305.47KB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 850
Requests/sec:    407.75
Transfer/sec:    146.53KB
"""


def test_wrk_output_is_parsed() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result.requests == 2782
    assert result.seconds == pytest.approx(3.01)
    assert result.requests_per_second == pytest.approx(924.76)
    assert result.latency_ms == pytest.approx({"50": 6.23, "75": 11.83, "90": 24.79, "99": 37.30})
    assert (result.non_2xx_3xx, result.socket_errors) == (0, 0)


def test_wrk_errors_and_units_are_parsed() -> None:
    result = parse_wrk(WRK_OUTPUT_ERRORS)
    assert result.latency_ms == pytest.approx({"50": 0.812, "75": 35.35, "90": 1440.0, "99": 2700.0})
    assert result.non_2xx_3xx == 850
    assert result.socket_errors == 5


def test_wrk_output_without_figures_is_refused() -> None:
    with pytest.raises(ValueError, match="latency distribution"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_the_dispatcher_refuses_unknown_benchmarks_and_a_bare_seed(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_cli.main(["nonsense"]) == 2
    assert bench_cli.main(["seed"]) == 2
    assert "--comparison" in capsys.readouterr().err
    assert bench_cli.main(["--help"]) == 0
    assert set(bench_cli.COMMANDS) >= {"http", "seed", "pages", "search"}


@needs_datagen
def test_the_data_sets_text_renders_as_the_app_renders_it() -> None:
    """The seed writes body_html without the Markdown renderer (60,000 bodies): it must be what the renderer
    makes of the same text, or the benchmark would measure different pages than the app serves."""
    datagen = comparison.load_datagen()
    vocabulary, rng = datagen.vocabulary(), random.Random(7)  # noqa: S311 - test data
    for _ in range(20):
        body = datagen._paragraphs(rng, vocabulary, 20, 160)
        assert comparison.paragraphs_html(body) == render(body)


@pytest.fixture
def bench_database(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test: a SQLite file, or a PostgreSQL database of its own (the
    seed drops the schema it loads into, so never the suite's shared one)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'comparison.db'}"
        return
    name = f"{make_url(POSTGRES_URL).database}_bench_test"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@needs_datagen
def test_the_comparison_seed_loads_a_consistent_database(
    bench_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATASET_SCALE", "0.01")  # 20 members, 100 questions, 500 answers; the hot one keeps 50
    data = comparison.load_datagen().generate()
    index_dir = str(tmp_path / "index")
    seed = comparison.seed_comparison(bench_database, index_dir, log=lambda line: None)

    topics, replies = data["topics"], data["replies"]
    engine = create_engine(bench_database)
    with engine.connect() as conn:
        def count(table) -> int:
            return conn.scalar(select(func.count()).select_from(table))

        assert count(User) == len(data["users"]) == 20
        assert count(Question) == len(topics) == 100
        assert count(Answer) == len(replies) == 500
        assert count(Revision) == len(topics) + len(replies)
        assert count(question_tags) == sum(len(topic["tags"]) for topic in topics)
        assert conn.scalar(select(func.sum(Board.question_count))) == len(topics)
        per_question = collections.Counter(reply["topic"] + 1 for reply in replies)
        assert dict(conn.execute(select(Question.id, Question.answer_count)).all()) == {
            topic["index"] + 1: per_question[topic["index"] + 1] for topic in topics
        }
        hot = conn.execute(select(Question.id, Question.answer_count).where(Question.id == seed.hot_question_id)).one()
        assert hot.answer_count == 50
        # Every answer earned points unless its author had already earned them for 10 answers that day.
        events = count(PointEvent)
        assert 0 < events <= len(replies)
        assert conn.scalar(select(func.sum(User.points))) == events * rules.POINTS.answer_posted
        assert count(UserBadge) == len({reply["author"] for reply in replies})
        member = conn.execute(select(User.password_hash).where(User.username == seed.username)).scalar_one()
        assert verify_password(member, seed.password)
        assert conn.scalar(text("SELECT version_num FROM alembic_version"))
    engine.dispose()
    assert comparison.verify(bench_database) == []

    app = create_app({"ENV_NAME": "testing", "DATABASE_URL": bench_database, "SEARCH_INDEX_DIR": index_dir})
    with app.app_context():
        assert app.extensions["agora_search"].count() == len(topics)
        page = app.test_client().get(f"/questions/{seed.hot_question_id}/{seed.hot_question_slug}")
        found = app.test_client().get(f"/search?q={seed.search_word}")
        db.engine.dispose()
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('id="answer-') == 50
    assert found.status_code == 200


@needs_datagen
def test_the_seed_refuses_to_hide_an_inconsistency(bench_database: str, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """verify() is what makes the seed trustworthy, so it must see a drifted counter and a drifted total."""
    monkeypatch.setenv("DATASET_SCALE", "0.01")
    comparison.seed_comparison(bench_database, str(tmp_path / "index"), log=lambda line: None)
    engine = create_engine(bench_database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE questions SET answer_count = answer_count + 1 WHERE id = 2"))
        conn.execute(text("UPDATE users SET points = points + 3 WHERE id = 1"))
    engine.dispose()
    problems = comparison.verify(bench_database)
    assert any("answer_count" in problem for problem in problems)
    assert any("points" in problem for problem in problems)
