"""Search hits' marked titles and snippets, cut from the stored text without running Whoosh's analyser pipeline.

Whoosh's highlighter passes every word of each shown field through the whole analyser again (tokeniser, folding,
stemming, one generator stage per token) and its stemming cache starts cold with each searcher's freshly loaded
schema: for a common word that was about half of a search's time. Here each distinct word is folded and stemmed
once per process (a bounded cache) and a page's texts are only scanned with the tokeniser's own pattern. The
fragments are Whoosh's (`Fragment`, the shared `SnippetFormatter`), chosen the way its ContextFragmenter and
BasicFragmentScorer choose them: a window of context around the matches, the fragments matching the most
different words first, shown in the text's order."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from whoosh.analysis import Token
from whoosh.highlight import Fragment

from app.search.whoosh_schema import ANALYZER, FORMATTER

# The tokeniser's pattern (whoosh_schema.WORDS): the words Whoosh indexed are exactly these.
WORD = re.compile(r"\w+(?:[-.'’]\w+)*")


@lru_cache(maxsize=200_000)
def indexed_form(word: str) -> str:
    """The word as the index holds it (folded, stemmed)."""
    return next((token.text for token in ANALYZER(word)), "")


def marked(text: str, terms: Collection[str], *, whole: bool = False, top: int = 2, maxchars: int = 220,
           surround: int = 60) -> str:
    """`text` escaped, its words that are among `terms` (indexed forms) in <mark>: the whole text (a title), or the
    `top` best fragments of about `maxchars` with `surround` characters of context. "" when no word matches."""
    if not text or not terms:
        return ""
    matches = []
    for found in WORD.finditer(text):
        term = indexed_form(found.group())
        if term in terms:
            token = Token(text=term, boost=1.0, matched=True)
            token.startchar, token.endchar = found.start(), found.end()
            matches.append(token)
    if not matches:
        return ""
    if whole:
        return FORMATTER.format([Fragment(text, matches, startchar=0, endchar=len(text))])
    fragments = _fragments(text, matches, maxchars, surround)
    best = sorted(fragments, key=lambda f: (-len(f.matched_terms) * len(f.matches), f.startchar))[:top]
    return FORMATTER.format(sorted(best, key=lambda f: f.startchar))


def _fragments(text: str, matches: list[Token], maxchars: int, surround: int) -> list[Fragment]:
    """Consecutive matches grouped while a window around them stays within `maxchars`."""
    fragments, first = [], 0
    while first < len(matches):
        start = max(0, matches[first].startchar - surround)
        last = first
        while last + 1 < len(matches) and matches[last + 1].endchar + surround - start <= maxchars:
            last += 1
        end = min(len(text), matches[last].endchar + surround)
        fragments.append(Fragment(text, matches[first : last + 1], startchar=start, endchar=end))
        first = last + 1
    return fragments
