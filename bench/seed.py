"""Bulk-load a large, realistic Agora database for the benchmarks.

Rows go in with SQLAlchemy Core ``insert()`` executemany in batches, never through the services (which
render Markdown and flush one object at a time: far too slow for a million posts). Titles and bodies are
put together from word lists with a fixed random seed, so two builds with the same settings hold the
same rows; only the times move, since they are spread over the two years before the build day.

The schema is the application's own (``Base.metadata.create_all``). Its secondary indexes are dropped
while loading and created again afterwards, which yields the same schema several times faster. The
database is built under a temporary name and renamed when complete, so a half-built file is never
mistaken for a finished one by ``--reuse``.
"""

from __future__ import annotations

import html
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, bindparam, create_engine, event, insert, inspect, update
from sqlalchemy.engine import Connection

from app.content import RENDER_VERSION, slugify
from app.db import Base
from app.demo.data import BOARDS
from app.models import import_all_models

Log = Callable[[str], None]

DUMMY_PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2gtc2VlZA$bm90LWEtcmVhbC1oYXNoLWJlbmNoLW9ubHk"
BOARD_WEIGHTS = {"laptops": 35, "broadband": 30, "billing-accounts": 20, "community-lounge": 15}
UNANSWERED_SHARE = 0.15  # questions nobody answered; the rest get 1 + Poisson answers
SOLVED_SHARE = 0.4  # answered questions whose asker accepted an answer
ANSWER_CAP = 40  # no random question reaches the chosen one's 50 answers
MEAN_ANSWER_DELAY_S = 6 * 3600


@dataclass(frozen=True)
class SeedConfig:
    questions: int = 250_000
    answers_per_question: float = 3.0
    users: int = 2_000
    tags: int = 200
    big_question_answers: int = 50
    span_days: int = 730
    batch_size: int = 10_000
    seed: int = 20_260_101
    # 0: members answer equally often (bench.pages); above 0, answers follow a Zipf law of this exponent over
    # member_cum_weights' order, so a few members write most answers (and solutions), as on real forums.
    answerer_skew: float = 0.0


@dataclass
class SeedReport:
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


# --- word lists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    products: tuple[str, ...]
    parts: tuple[str, ...]
    symptoms: tuple[str, ...]
    events: tuple[str, ...]
    actions: tuple[str, ...]


VOCABULARY: dict[str, Vocabulary] = {
    "laptops": Vocabulary(
        products=("Nimbus Book 14", "Nimbus Book Pro 16", "Nimbus Air 13", "the Book 14", "my Air 13", "the Pro 16"),
        parts=("battery", "keyboard", "trackpad", "fan", "screen", "webcam", "speakers", "USB-C port", "charger",
               "SSD", "Wi-Fi card", "hinge", "fingerprint reader", "Bluetooth", "microphone", "backlight"),
        symptoms=("stops working", "drains overnight", "is very loud", "flickers", "won't charge", "is not detected",
                  "keeps disconnecting", "gets hot", "makes a clicking noise", "is slow", "freezes", "crackles"),
        events=("the BIOS update", "a Windows update", "waking from sleep", "a factory reset",
                "installing new drivers", "a week of use", "the latest firmware", "replacing the charger"),
        actions=("update the BIOS", "recalibrate the battery", "replace the SSD", "reinstall the drivers",
                 "turn off the keyboard backlight", "enable fast charging", "connect two monitors",
                 "claim the warranty", "change the fan profile", "run the hardware diagnostics"),
    ),
    "broadband": Vocabulary(
        products=("Nimbus Hub 3", "the Hub 3", "Nimbus Fibre 500", "Nimbus Fibre 900", "my mesh extender",
                  "the fibre modem"),
        parts=("Wi-Fi", "5 GHz band", "ethernet port", "upload speed", "download speed", "DNS", "port forwarding",
               "guest network", "connection", "IPv6", "power light", "mesh extender"),
        symptoms=("drops every evening", "is much slower than promised", "keeps rebooting", "blinks red",
                  "stops working", "disconnects randomly", "is not reachable", "shows limited connectivity"),
        events=("the firmware update", "the engineer visit", "a power cut", "moving the router",
                "the outage last night", "upgrading my plan", "switching to fibre"),
        actions=("set up port forwarding", "change the Wi-Fi password", "turn off WPS", "use my own router",
                 "set a static IP", "check for an outage", "split the 2.4 and 5 GHz bands", "enable bridge mode"),
    ),
    "billing-accounts": Vocabulary(
        products=("My Nimbus", "the Nimbus app", "my account", "the March invoice", "my fibre contract",
                  "the family plan"),
        parts=("direct debit", "invoice", "refund", "price change", "payment card", "promo code", "discount",
               "late fee", "contract end date", "paperless billing", "VAT number", "account email"),
        symptoms=("is wrong", "was charged twice", "never arrived", "is missing", "can't be changed",
                  "shows an error", "was declined", "expired early"),
        events=("the price rise", "moving house", "upgrading my plan", "cancelling the add-on", "changing banks",
                "the new app version"),
        actions=("change the payment date", "get a copy of an old invoice", "add a second user", "close my account",
                 "switch to annual billing", "dispute a charge", "update my card", "transfer the contract"),
    ),
    "community-lounge": Vocabulary(
        products=("the community", "Nimbus", "the forum", "the new app", "the Book 14", "the Hub 3"),
        parts=("dark mode", "home office setup", "accessibility option", "badge", "profile page", "meetup",
               "keyboard shortcut", "desk setup", "travel kit", "newsletter"),
        symptoms=("would be great", "is finally here", "needs more love", "deserves its own thread",
                  "is underrated", "could be better"),
        events=("the last meetup", "the redesign", "the summer sale", "the product launch", "a year on the forum"),
        actions=("share my setup", "suggest a feature", "organise a meetup", "translate the help pages",
                 "report a forum bug", "find other members nearby"),
    ),
}

TITLE_TEMPLATES = (
    "{product} {part} {symptom} after {event}",
    "How do I {action} on {product}?",
    "{part} {symptom} on {product}",
    "Is it normal that the {part} {symptom}?",
    "Why does the {part} {symptom} since {event}?",
    "Best way to {action}?",
    "{product}: {part} {symptom} every few minutes",
    "Can't {action} after {event}",
)
QUESTION_SENTENCES = (
    "I have {product} and the {part} {symptom} after {event}.",
    "It started {when} and happens {often}.",
    "I already tried to {action}, but nothing changed.",
    "Support suggested that I {action}, which did not help.",
    "Has anyone else seen this with {product}?",
    "Is there anything else I could try before I {action}?",
    "The {part} {symptom} only when {condition}.",
    "Everything is up to date as far as I can tell.",
    "I'd rather not {action} unless I really have to.",
    "Any pointers are welcome, thanks in advance.",
)
ANSWER_SENTENCES = (
    "Try to {action} first; that fixed it for me.",
    "On my {product} the {part} {symptom} until I decided to {action}.",
    "This is a known issue since {event}, and a fix is on its way.",
    "You can {action} from the settings page, it takes about {minutes} minutes.",
    "Thanks, that worked!",
    "Same problem here since {event}.",
    "Make sure you {action} before you {action2}.",
    "If the {part} still {symptom}, contact support and mention this thread.",
    "I would not {action} yet: check whether it happens when {condition}.",
    "Our team can {action} for you; send us a private message with your account number.",
)
WHEN = ("two days ago", "last week", "yesterday evening", "after the holidays", "this morning", "a month ago")
OFTEN = ("every night", "a few times a day", "randomly", "every time I restart", "only on battery",
         "about once an hour")
CONDITION = ("the charger is plugged in", "I join a video call", "the lid is closed", "several devices are connected",
             "I open the app", "the laptop is on battery", "it is very warm in the room")

FIRST_NAMES = ("Anna", "Ben", "Chloe", "Dawit", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kasia", "Liam",
               "Maya", "Nikos", "Olga", "Pavel", "Quinn", "Rosa", "Sam", "Tomasz", "Uma", "Viktor", "Wen", "Yael",
               "Zofia", "Arben", "Eleni", "Noa", "Marek", "Lucy")
LAST_NAMES = ("Okafor", "Novak", "Papadopoulos", "Kowalski", "Hoxha", "Levi", "Smith", "García", "Müller", "Rossi",
              "Dubois", "Jensen", "Nakamura", "Silva", "Kumar", "Brown", "Ivanova", "Cohen", "Berg", "Moreau")
LOCALES = ("en",) * 12 + ("el", "pl", "sq", "he")

TAG_WORDS = (
    "battery", "sleep", "bios", "drivers", "keyboard", "trackpad", "fan", "screen", "webcam", "audio", "usb-c",
    "charger", "ssd", "wi-fi", "bluetooth", "warranty", "repair", "windows", "linux", "firmware", "router", "mesh",
    "fibre", "outage", "speed", "dns", "ipv6", "ethernet", "port-forwarding", "guest-network", "invoice", "refund",
    "direct-debit", "price-change", "contract", "payment", "promo", "account", "login", "password", "app",
    "feedback", "feature-request", "meetup", "accessibility", "setup", "tips", "nimbus-book-14", "nimbus-air-13",
    "nimbus-book-pro-16", "nimbus-hub-3", "monitor", "dock", "printer", "vpn", "gaming", "overheating", "noise",
)
TAG_QUALIFIERS = ("issue", "help", "update", "settings", "2025", "2026", "error", "question", "guide", "beta")


def _fill(template: str, vocabulary: Vocabulary, rng: random.Random) -> str:
    text = template.format(
        product=rng.choice(vocabulary.products), part=rng.choice(vocabulary.parts),
        symptom=rng.choice(vocabulary.symptoms), event=rng.choice(vocabulary.events),
        action=rng.choice(vocabulary.actions), action2=rng.choice(vocabulary.actions),
        when=rng.choice(WHEN), often=rng.choice(OFTEN), condition=rng.choice(CONDITION),
        minutes=rng.randint(2, 30),
    )
    return text[0].upper() + text[1:]


@dataclass(frozen=True)
class TextPools:
    """Pre-generated titles and sentences per board; bodies are sampled from them (fast, still varied)."""

    titles: tuple[str, ...]
    question_sentences: tuple[str, ...]
    answer_sentences: tuple[str, ...]

    @classmethod
    def build(cls, vocabulary: Vocabulary, rng: random.Random, size: int = 800) -> TextPools:
        return cls(
            titles=tuple(_fill(rng.choice(TITLE_TEMPLATES), vocabulary, rng) for _ in range(size * 3)),
            question_sentences=tuple(_fill(rng.choice(QUESTION_SENTENCES), vocabulary, rng) for _ in range(size)),
            answer_sentences=tuple(_fill(rng.choice(ANSWER_SENTENCES), vocabulary, rng) for _ in range(size)),
        )


def _body(rng: random.Random, sentences: tuple[str, ...], paragraphs: int, per_paragraph: tuple[int, int]) -> str:
    return "\n\n".join(
        " ".join(rng.choices(sentences, k=rng.randint(*per_paragraph))) for _ in range(paragraphs)
    )


def _to_html(source: str) -> str:
    return "\n".join(f"<p>{html.escape(paragraph, quote=False)}</p>" for paragraph in source.split("\n\n"))


def member_cum_weights(users: int, skew: float, seed: int) -> list[float]:
    """Cumulative Zipf weights (exponent `skew`) of members 1..users, busiest first in a fixed shuffled order,
    so that the busy members are spread over the ids; the same arguments always give the same order."""
    ranked = list(range(1, users + 1))
    random.Random(seed).shuffle(ranked)
    weights = [0.0] * users
    for rank, user_id in enumerate(ranked, start=1):
        weights[user_id - 1] = 1 / rank**skew
    return list(_cumulative(weights))


def _tag_names(count: int) -> list[str]:
    names = list(TAG_WORDS)
    for qualifier in TAG_QUALIFIERS:
        names.extend(f"{word}-{qualifier}" for word in TAG_WORDS if len(word) + len(qualifier) < 30)
    if count > len(names):
        raise ValueError(f"at most {len(names)} tags can be generated")
    return names[:count]


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; fine for the small means used here."""
    limit, k, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def answer_counts(rng: random.Random, n: int, mean: float) -> list[int]:
    """Answers per question with the given mean: some unanswered, the rest 1 + Poisson, capped."""
    if mean <= 0:
        return [0] * n
    unanswered = UNANSWERED_SHARE if mean >= 1 - UNANSWERED_SHARE else 1 - mean
    lam = max(0.0, mean / (1 - unanswered) - 1)
    return [0 if rng.random() < unanswered else min(ANSWER_CAP, 1 + _poisson(rng, lam)) for _ in range(n)]


def chosen_question_ids(questions: int) -> tuple[int, int]:
    """(the question given exactly `big_question_answers` answers, an ordinary question)."""
    big = max(1, questions // 2)
    ordinary = max(1, questions // 3)
    if ordinary == big:
        ordinary = big + 1 if big < questions else big - 1
    return big, max(1, ordinary)


# --- loading ------------------------------------------------------------------------------------


def _bulk_engine(path: Path) -> Engine:
    """An engine tuned for one bulk load: no journal, no fsync; the file is renamed only when complete."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144", "temp_store=MEMORY"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    return engine


class BatchInserter:
    """Collects rows per table and sends them with Core insert() executemany, `batch_size` at a time."""

    def __init__(self, conn: Connection, batch_size: int) -> None:
        self.conn = conn
        self.batch_size = batch_size
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}

    @property
    def rows(self) -> int:
        """Rows handed over so far, sent or still pending."""
        return sum(self.counts.values()) + sum(len(rows) for rows in self.pending.values())

    def add(self, table: str, row: dict[str, Any]) -> None:
        rows = self.pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= self.batch_size:
            self._send(table)

    def extend(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.add(table, row)

    def flush(self) -> None:
        for table in list(self.pending):
            self._send(table)

    def _send(self, table: str) -> None:
        rows = self.pending.pop(table, [])
        if not rows:
            return
        target = Base.metadata.tables[table]
        # Optional keys (e.g. answers.is_accepted) are only sent when the current models have the column;
        # columns the rows leave out get their defaults, so the loader survives schema additions.
        if unknown := rows[0].keys() - target.c.keys():
            rows = [{key: value for key, value in row.items() if key not in unknown} for row in rows]
        self.conn.execute(insert(target), rows)
        self.counts[table] = self.counts.get(table, 0) + len(rows)


def schema_differences(path: Path) -> list[str]:
    """What the current models have that the database at `path` lacks (tables, columns, indexes)."""
    import_all_models()
    engine = create_engine(f"sqlite:///{path}")
    try:
        inspector = inspect(engine)
        existing = set(inspector.get_table_names())
        missing: list[str] = []
        for table in Base.metadata.sorted_tables:
            if table.name not in existing:
                missing.append(f"table {table.name}")
                continue
            columns = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"column {table.name}.{name}" for name in table.c.keys() if name not in columns]
            indexes = {index["name"] for index in inspector.get_indexes(table.name)}
            missing += [f"index {index.name}" for index in table.indexes if index.name not in indexes]
        return missing
    finally:
        engine.dispose()


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_database(path: Path, config: SeedConfig, log: Log = print,
                   extra: Callable[[BatchInserter], None] | None = None) -> SeedReport:
    """Create the schema at `path` (replacing any file there) and fill it; returns the row counts and time.

    `extra`, when given, loads more rows (e.g. bench.ledger's point events) after the forum's, in the same
    transaction and before the secondary indexes are created again."""
    if config.questions < 10:
        raise ValueError("use at least 10 questions")
    building = path.with_name(path.name + ".building")
    remove_database(building)
    import_all_models()
    engine = _bulk_engine(building)
    Base.metadata.create_all(engine)
    indexes = [index for table in Base.metadata.sorted_tables for index in table.indexes]

    started = time.perf_counter()
    report = SeedReport()
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
        inserter = BatchInserter(conn, config.batch_size)
        _load(inserter, config, log, started)
        inserter.flush()
        if extra is not None:
            extra(inserter)
            inserter.flush()
        loaded = time.perf_counter()
        log(f"  loaded {sum(inserter.counts.values()):,} rows in {loaded - started:.1f}s; creating indexes")
        for index in indexes:
            index.create(conn)
        log(f"  {len(indexes)} indexes created in {time.perf_counter() - loaded:.1f}s")
        report.rows = dict(inserter.counts)
    engine.dispose()
    report.seconds = time.perf_counter() - started
    remove_database(path)
    building.rename(path)
    return report


def _load(inserter: BatchInserter, config: SeedConfig, log: Log, started: float) -> None:
    rng = random.Random(config.seed)
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=config.span_days)
    span = (end - start).total_seconds()

    boards = sorted(BOARDS, key=lambda board: board["position"])
    board_ids = list(range(1, len(boards) + 1))
    for board_id, board in zip(board_ids, boards, strict=True):
        inserter.add("boards", {
            "id": board_id, "slug": board["slug"], "name": board["name"], "description": board["description"],
            "position": board["position"], "question_count": 0, "created_at": start - timedelta(days=30),
        })
    vocabularies = [VOCABULARY.get(board["slug"], VOCABULARY["community-lounge"]) for board in boards]
    pools = [TextPools.build(vocabulary, rng) for vocabulary in vocabularies]

    staff_ids = tuple(range(2, 7))
    for user_id in range(1, config.users + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username = f"{first.lower()}{user_id}"
        role = "admin" if user_id == 1 else "staff" if user_id in staff_ids else (
            "moderator" if user_id <= 16 else "member")
        inserter.add("users", {
            "id": user_id, "username": username, "username_key": username.lower(),
            "email": f"{username}@example.com", "password_hash": DUMMY_PASSWORD_HASH,
            "display_name": f"{first} {last}", "bio": "", "locale": rng.choice(LOCALES), "role": role,
            "points": int(rng.expovariate(1 / 40)), "created_at": start - timedelta(days=rng.uniform(0, 365)),
            "last_seen_at": end - timedelta(hours=rng.uniform(0, 24 * 60)),
        })

    tag_names = _tag_names(config.tags)
    inserter.extend("tags", ({"id": i, "name": name} for i, name in enumerate(tag_names, start=1)))
    tag_ids = list(range(1, len(tag_names) + 1))
    tag_cum_weights = list(_cumulative(1 / rank for rank in tag_ids))  # Zipf: a few big tags, a long tail

    questions = config.questions
    counts = answer_counts(rng, questions, config.answers_per_question)
    big_id, ordinary_id = chosen_question_ids(questions)
    counts[big_id - 1] = config.big_question_answers
    counts[ordinary_id - 1] = max(1, round(config.answers_per_question))
    question_boards = rng.choices(board_ids, weights=[BOARD_WEIGHTS.get(b["slug"], 10) for b in boards], k=questions)
    asked_offsets = sorted(rng.random() * span for _ in range(questions))  # ids follow time, as in real life
    board_counts = dict.fromkeys(board_ids, 0)
    solutions: dict[int, int] = {}  # accepted answers per member
    member_ids = range(1, config.users + 1)
    answerer_weights = member_cum_weights(config.users, config.answerer_skew, config.seed) if (
        config.answerer_skew) else None
    slugs: dict[str, str] = {}
    answer_id = revision_id = 0
    step = max(1, questions // 10)

    for question_id in range(1, questions + 1):
        board_id = question_boards[question_id - 1]
        board_counts[board_id] += 1
        pool = pools[board_id - 1]
        author_id = rng.randint(1, config.users)
        title = rng.choice(pool.titles)
        slug = slugs.get(title) or slugs.setdefault(title, slugify(title))
        body = _body(rng, pool.question_sentences, rng.randint(1, 3), (2, 4))
        asked_s = asked_offsets[question_id - 1]
        asked = start + timedelta(seconds=asked_s)

        answer_times: list[datetime] = []
        moment = asked_s
        count = counts[question_id - 1]
        accepted = rng.randrange(count) if count and rng.random() < SOLVED_SHARE else -1
        accepted_at: datetime | None = None
        for index in range(count):
            moment = min(span, moment + rng.expovariate(1 / MEAN_ANSWER_DELAY_S))
            answer_id += 1
            answered = start + timedelta(seconds=moment)
            answer_times.append(answered)
            is_staff = rng.random() < 0.08
            if is_staff:
                answerer = rng.choice(staff_ids)
            elif answerer_weights is None:
                answerer = rng.randint(1, config.users)
            else:
                answerer = rng.choices(member_ids, cum_weights=answerer_weights)[0]
            answer_body = _body(rng, pool.answer_sentences, rng.randint(1, 2), (1, 3))
            is_accepted = index == accepted
            if is_accepted:
                accepted_at = min(end, answered + timedelta(hours=rng.uniform(0.5, 48)))
                if answerer != author_id:  # as reputation.verify counts: one's own question earns no solution
                    solutions[answerer] = solutions.get(answerer, 0) + 1
            inserter.add("answers", {
                "id": answer_id, "question_id": question_id, "author_id": answerer, "body_source": answer_body,
                "body_html": _to_html(answer_body), "render_version": RENDER_VERSION, "is_staff": is_staff,
                "kudos_count": int(rng.expovariate(1 / 2)), "created_at": answered, "edited_at": None,
                "is_accepted": is_accepted, "accepted_at": accepted_at if is_accepted else None,
                "accepted_by_id": author_id if is_accepted else None, "is_hidden": False,
            })
            revision_id += 1
            inserter.add("revisions", {
                "id": revision_id, "question_id": None, "answer_id": answer_id, "number": 1, "editor_id": answerer,
                "title": None, "tags": None, "body_source": answer_body, "created_at": answered,
            })

        # Accepting a solution also counts as activity (reputation.accept_answer touches the question).
        last_activity = max(answer_times[-1] if answer_times else asked, accepted_at or asked)
        picks = rng.choices(tag_ids, cum_weights=tag_cum_weights, k=3)
        chosen_tags = list(dict.fromkeys(picks))[: rng.choice((1, 1, 2, 2, 2, 3, 3))]
        # The tag rows carry copies of the question's board and last activity (app/forum/activity.py).
        inserter.extend("question_tags", (
            {"question_id": question_id, "tag_id": tag, "board_id": board_id, "last_activity_at": last_activity}
            for tag in chosen_tags
        ))
        inserter.add("questions", {
            "id": question_id, "board_id": board_id, "author_id": author_id, "title": title, "slug": slug,
            "body_source": body, "body_html": _to_html(body), "render_version": RENDER_VERSION,
            "is_solved": accepted >= 0, "answer_count": len(answer_times),
            "kudos_count": int(rng.expovariate(1 / 3)), "view_count": int(rng.expovariate(1 / 150)),
            "created_at": asked, "edited_at": None,
            "last_activity_at": last_activity,
            "first_answer_at": answer_times[0] if answer_times else None,
            "asker_active_at": accepted_at or asked, "solution_seq": 1 if accepted_at else 0, "is_hidden": False,
        })
        revision_id += 1
        inserter.add("revisions", {
            "id": revision_id, "question_id": question_id, "answer_id": None, "number": 1, "editor_id": author_id,
            "title": title, "tags": " ".join(tag_names[tag - 1] for tag in chosen_tags), "body_source": body,
            "created_at": asked,
        })
        if question_id % step == 0 or question_id == questions:
            elapsed = time.perf_counter() - started
            rows = inserter.rows
            log(f"  questions {question_id:>9,}/{questions:,}  answers {answer_id:>9,}  "
                f"{elapsed:6.1f}s  {rows / elapsed if elapsed else 0:,.0f} rows/s")

    inserter.flush()
    boards_table: Table = Base.metadata.tables["boards"]
    for board_id, count in board_counts.items():
        inserter.conn.execute(update(boards_table).where(boards_table.c.id == board_id).values(question_count=count))
    users_table: Table = Base.metadata.tables["users"]
    if "solution_count" in users_table.c and solutions:
        inserter.conn.execute(
            update(users_table).where(users_table.c.id == bindparam("user_id")).values(solution_count=bindparam("n")),
            [{"user_id": user_id, "n": n} for user_id, n in solutions.items()],
        )


def _cumulative(weights: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total
