"""When an existing question is like enough to a draft to show it: the share of the draft's words it holds.

Both backends rank candidates; neither says "none of these is close". A plain rule on top of them does, the
same for Whoosh and PostgreSQL: a candidate is shown only when it holds more than half of the draft title's
meaningful words, a word in its title counting fully and one only in its text counting less. So "laptop
bag" no longer brings up a trade-in question that only says "laptop"."""

from __future__ import annotations

import re
import unicodedata

MIN_SHARE = 0.5  # strictly above: both words of a two-word title, three of five
TITLE_WEIGHT, BODY_WEIGHT = 1.0, 0.6
WORD = re.compile(r"\w+(?:[-'’]\w+)*")
# Words that say nothing about the problem (English, the community's main language; others pass through).
STOP_WORDS = frozenset(
    """about after again all also and any are but can cannot could did does doesn't don't down for from get
    gets getting had has have help how into its just keep keeps know like made make more most much need not now
    off once one only other our out over please really same should since some still than that the their them
    then there these they this those through too under until use used using very want was way were what when
    where which while who why will with without won't would you your""".split()
)


def fold(word: str) -> str:
    """A word as compared: case and accents folded, hyphens dropped, a plain English ending taken off."""
    text = unicodedata.normalize("NFKD", word.casefold().replace("-", "").replace("’", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    for ending in ("ing", "ed", "es", "s"):
        if len(text) > len(ending) + 3 and text.endswith(ending):
            return text[: -len(ending)]
    return text


def words_of(text: str) -> set[str]:
    return {fold(word) for word in WORD.findall(text or "")}


def meaningful_words(title: str) -> set[str]:
    """The draft title's words that carry meaning: not stop words, not one or two letters, not numbers alone."""
    return {
        fold(word)
        for word in WORD.findall(title or "")
        if len(word) > 2 and word.casefold() not in STOP_WORDS and not word.isdigit()
    }


def share(wanted: set[str], title: str, body: str) -> float:
    """How much of `wanted` a question holds (0 to 1)."""
    if not wanted:
        return 0.0
    in_title, in_body = words_of(title), words_of(body)
    held = sum(TITLE_WEIGHT if word in in_title else BODY_WEIGHT if word in in_body else 0.0 for word in wanted)
    return held / len(wanted)


def close_enough(wanted: set[str], title: str, body: str) -> bool:
    return share(wanted, title, body) > MIN_SHARE
