"""What made a Whoosh search for a common word faster must not change what it finds or shows: the marked snippets
(app/search/snippets.py), the kept field lengths (app/search/whoosh_scoring.py) and the "1,000+" floor."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from whoosh import index
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.scoring import BM25F

from app.search.backend import SearchQuery
from app.search.documents import Document
from app.search.snippets import marked
from app.search.whoosh_backend import WhooshBackend, _at_least
from app.search.whoosh_schema import SCHEMA
from app.search.whoosh_scoring import KeptLengthsBM25F

FIELDS = ["title", "body", "answers", "best_answer"]


def test_every_query_word_is_marked_as_the_index_spells_it():
    title = marked("Battery drains after the update", {"batteri", "drain"}, whole=True)
    assert re.sub(r' class="[^"]*"', "", title) == "<mark>Battery</mark> <mark>drains</mark> after the update"
    assert marked("Nothing to see here", {"batteri"}) == ""


def test_a_snippet_is_the_window_with_most_different_words_on_whole_words():
    text = ("The fan is loud. " * 12) + "After the update the battery drains overnight. " + ("Filler words. " * 20)
    snippet = marked(text, {"batteri", "drain", "fan"}, top=1)
    plain = re.sub(r"<[^>]+>", "", snippet)
    assert "battery drains" in plain and plain.startswith("… ") and plain.endswith(" …")
    assert all(word in text.split() or word == "…" for word in plain.split())


def test_text_is_escaped_around_the_marks():
    snippet = marked('<script>alert("battery")</script> battery & charger', {"batteri"}, whole=True)
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp; charger" in snippet
    assert snippet.count("<mark") == 2


@pytest.fixture
def segmented(tmp_path):
    """An index of three segments with deletions: what the kept lengths must read right."""
    ix = index.create_in(str(tmp_path), SCHEMA)
    for batch in range(3):
        writer = ix.writer()
        for number in range(batch * 40, batch * 40 + 40):
            padding = " filler" * (number % 17)
            writer.add_document(
                id=number,
                title=f"Question {number} about python" if number % 3 == 0 else f"Question {number}",
                body=f"python is slow{padding}" if number % 2 else f"nothing here{padding}",
                answers="try python again " * (number % 5),
                best_answer="use python" if number % 7 == 0 else "",
            )
        writer.commit(merge=False)
    writer = ix.writer()
    writer.delete_by_term("id", 4)
    writer.delete_by_term("id", 45)
    writer.commit(merge=False)
    return ix


def test_kept_lengths_score_exactly_as_whoosh_does(segmented):
    assert len(segmented._segments()) == 3
    query = MultifieldParser(FIELDS, schema=segmented.schema, group=OrGroup).parse("python slow")
    with segmented.searcher(weighting=BM25F()) as plain, segmented.searcher(weighting=KeptLengthsBM25F()) as kept:
        expected = [(hit["id"], round(hit.score, 9)) for hit in plain.search(query, limit=None)]
        for _twice in range(2):  # the second time from the kept lengths
            assert [(hit["id"], round(hit.score, 9)) for hit in kept.search(query, limit=None)] == expected
    assert len(expected) > 60 and 4 not in dict(expected)


def test_the_floor_never_exceeds_the_live_matches(segmented):
    parser = WhooshBackend._parser(None, segmented)  # type: ignore[arg-type]
    with segmented.searcher() as searcher:
        for text in ("python", "slow", "python slow", "question"):
            query = parser.parse(text)
            live = sum(1 for _ in searcher.docs_for_query(query))
            assert 0 < _at_least(searcher, query) <= live, text
        assert _at_least(searcher, parser.parse("python -slow")) == 0  # not a plain word query: counted


def test_a_common_word_says_more_than_the_cap_without_counting(tmp_path, monkeypatch):
    now = datetime.now(UTC)
    backend = WhooshBackend(tmp_path / "index", match_cap=10)
    backend.create()
    backend.write(
        {
            number: Document(number, f"Python question {number}", "Why is python slow?", "", "", [], "laptops",
                             "asker", "en", False, False, now, now)
            for number in range(1, 26)
        }
    )
    walked = []
    monkeypatch.setattr("whoosh.searching.Searcher.docs_for_query", lambda *a, **k: walked.append(1) or iter(()))
    found = backend.search(SearchQuery(text="python"))
    assert (found.total, found.capped, walked) == (21, True, [])  # a page and one more: there is a next page
    assert len(found.hits) == 20 and all("<mark" in hit.title_html for hit in found.hits)
