"""Search as issue 14's readers met it: snippets, similar questions and related questions, on every backend."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.forum.models import Question
from app.search import service as search
from app.search.backend import SearchQuery
from tests.factories import make_board, make_question, make_user

LONG_BODY = (
    "I bought the Nimbus Book last spring and everything worked well until the latest system update arrived. "
    "Since then the laptop wakes from sleep every night and the battery drains to zero before the morning. "
    "I disabled wake timers, checked the power plan, and updated every driver from the support page."
)


def test_search_snippets_start_and_end_on_whole_words_with_an_ellipsis(search_app, s):
    """Regression: snippets began mid-word ("ery drains") with nothing to say text was left out."""
    board, asker = make_board(s, "laptops", "Laptops"), make_user(s, "asker")
    make_question(s, asker, board, title="Laptop wakes up at night", body=LONG_BODY)
    search.drain_app(search_app)
    found = search.search(s, search_app.extensions["agora_search"], SearchQuery(text="drains"))
    ((_question, hit),) = found.questions
    snippet = re.sub(r"</?mark>", "", hit.snippet_html)
    assert "drains" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …"), snippet
    words = set(re.findall(r"\w+", LONG_BODY))
    inner = snippet.strip("… ").split()
    assert inner[0].strip(".,") in words and inner[-1].strip(".,") in words, snippet  # no word cut in two
    # Without search words the list shows each text's start, cut at a word, with an ellipsis.
    listing = search.search(s, search_app.extensions["agora_search"], SearchQuery(text="", tag=None))
    ((_question, hit),) = listing.questions
    assert hit.snippet_html.startswith("I bought") and hit.snippet_html.endswith(" …")
    assert hit.snippet_html[:-2].split()[-1].strip(".,") in words


def test_similar_questions_only_above_a_relevance_threshold_and_never_a_merged_one(search_app, s):
    """Regression: "laptop bag" listed a trade-in question first (the list always padded to five), and a
    question merged into another still showed."""
    from app.moderation import service as moderation

    board, asker = make_board(s, "laptops", "Laptops"), make_user(s, "asker")
    moderator = make_user(s, "mod", role="moderator")
    trade_in = make_question(s, asker, board, title="Trade in my old laptop for credit", body="How much is it worth?")
    bag = make_question(s, asker, board, title="Which bag fits the Nimbus Book 16 laptop?", body="Looking for one.")
    copy = make_question(s, asker, board, title="Laptop bag for the Nimbus Book 16", body="Same question, again.")
    moderation.close_as_duplicate(s, moderator, copy.id, bag.id)
    s.commit()
    search.drain_app(search_app)
    backend = search_app.extensions["agora_search"]
    assert [q.id for q in search.similar(s, backend, "laptop bag")] == [bag.id]
    assert trade_in.id not in [q.id for q in search.similar(s, backend, "laptop bag recommendations")]
    assert search.similar(s, backend, "the and for with") == []  # nothing meaningful asked, nothing offered
    assert search.similar(s, backend, "printer toner cartridge") == []


def _related_titles(client, question) -> list[str]:
    """The titles listed under "Related questions" on the question's page, as served (no script runs here)."""
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    aside = re.search(r'<aside class="related".*?</aside>', page, re.S)
    return re.findall(r"<a [^>]*>([^<]+)</a>", aside.group(0)) if aside else []


def test_related_questions_are_rendered_with_the_page_and_leave_out_the_question_itself(search_app, s):
    board, asker = make_board(s, "laptops", "Laptops"), make_user(s, "asker")
    first = make_question(
        s, asker, board, title="Nimbus Book 14 battery drains overnight", body="It drains while asleep."
    )
    second = make_question(
        s, asker, board, title="Battery drains overnight on my Nimbus Book 14", body="It drains again overnight."
    )
    make_question(
        s, asker, board, title="Printer toner cartridge is not recognised", body="The toner is not recognised."
    )
    search.drain_app(search_app)
    client = search_app.test_client()
    assert _related_titles(client, first) == [second.title]  # not itself, not the unrelated printer question
    assert _related_titles(client, first) == [second.title]  # the second view: from the cache, the same
    third = make_question(s, asker, board, title="Battery drains overnight again", body="Nimbus Book 14 again.")
    search.drain_app(search_app)  # the index changed: on Whoosh the picks renew at once
    if search_app.config["SEARCH_BACKEND"] == "whoosh":
        assert set(_related_titles(client, first)) == {second.title, third.title}
    printer = s.scalar(select(Question).where(Question.title.startswith("Printer")))
    assert _related_titles(client, printer) == []  # nothing close enough: no list at all
    assert 'class="related"' not in client.get(f"/questions/{printer.id}/{printer.slug}").get_data(as_text=True)


def test_a_hidden_withdrawn_or_merged_question_is_never_related(search_app, s):
    """The picks are cached; what the reader may see is re-checked on every view, before the outbox reaches
    the index and after."""
    from app.escalation import service as escalation
    from app.moderation import service as moderation

    board, asker = make_board(s, "laptops", "Laptops"), make_user(s, "asker")
    moderator = make_user(s, "mod", role="moderator")
    title = "Nimbus Book 14 fan is loud when idle"
    question = make_question(s, asker, board, title=title, body="The fan spins up at idle.", tags=("fan",))
    hidden, withdrawn, merged, kept = (
        make_question(s, asker, board, title=f"{title} ({why})", body="The fan is loud at idle.")
        for why in ("hidden", "withdrawn", "merged", "kept")
    )
    search.drain_app(search_app)
    client = search_app.test_client()
    assert set(_related_titles(client, question)) == {q.title for q in (hidden, withdrawn, merged, kept)}

    moderation.hide_post(s, moderator, "question", hidden.id, "Spam")
    escalation.escalate(s, moderator, withdrawn.id, escalation.EscalationDraft("billing", withdraw=True))
    moderation.close_as_duplicate(s, moderator, merged.id, kept.id)
    s.commit()
    assert _related_titles(client, question) == [kept.title]  # the index still holds them: the page does not
    search.drain_app(search_app)
    assert _related_titles(client, question) == [kept.title]
    assert search_app.extensions.pop("agora_related") is not None  # forget the picks
    assert _related_titles(client, question) == [kept.title]  # asked afresh: the index agrees
