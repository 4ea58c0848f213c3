"""Whoosh's BM25F, with each segment's field lengths read once per process instead of once per scored posting.

BM25 divides by each matching document's field length. Whoosh reads that length from the segment's file for every
posting it scores (a seek and a read: we open the index without mmap, see WhooshBackend._open), which was about a
quarter of a search for a common word. A segment never changes its documents' lengths (a deletion only marks a
document deleted), so its lengths, one byte a document and field, are loaded on first use and kept by segment id:
same scores, same order, no file reads. The cache is bounded; a merged-away segment's lengths simply age out."""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

SEGMENT_FIELDS = 64  # (segment, field) pairs kept: a handful of segments times the four text fields, and room
_BYTE_TO_LENGTH = [byte_to_length(value) for value in range(256)]
_lengths: OrderedDict[tuple[str, str], array] = OrderedDict()
_lock = threading.Lock()


class KeptLengthsBM25F(BM25F):
    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> Any:
        scorer = super().scorer(searcher, fieldname, text, qf)
        if isinstance(scorer, BM25FScorer):
            lengths = _segment_lengths(searcher.reader(), fieldname)
            if lengths is not None:
                scorer.dfl = lengths
        return scorer


def _segment_lengths(reader: Any, fieldname: str) -> Callable[[int], int] | None:
    """docnum -> the field's length in that document, for a one-segment reader (None for anything else: Whoosh's
    own lookup then applies)."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    perdoc = getattr(reader, "_perdoc", None)
    if segment is None or perdoc is None:
        return None
    key = (segment.segment_id(), fieldname)
    with _lock:
        found = _lengths.get(key)
        if found is not None:
            _lengths.move_to_end(key)
    if found is None:
        try:
            found = array("B", perdoc.column_reader(f"_{fieldname}_len", LENGTHS_COLUMN).load())
        except Exception:  # no length column (a field no document holds yet): Whoosh's own lookup
            return None
        with _lock:
            _lengths[key] = found
            while len(_lengths) > SEGMENT_FIELDS:
                _lengths.popitem(last=False)
    table, count = _BYTE_TO_LENGTH, len(found)
    return lambda docnum: (table[found[docnum]] or 1) if docnum < count else 1
