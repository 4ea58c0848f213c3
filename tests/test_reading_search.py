"""Search as issue 14's readers met it: snippets, similar questions and related questions, on every backend."""

from __future__ import annotations

import re

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


def test_related_questions_beside_a_question_leave_out_the_question_itself(search_app, s):
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
    page = client.get(f"/questions/{first.id}/{first.slug}").get_data(as_text=True)
    url = re.search(r'data-related-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    related = client.get(url).json["questions"]
    assert [q["id"] for q in related] == [second.id]
    assert client.get(url.replace(f"exclude={first.id}", "exclude=<script>")).status_code == 200
