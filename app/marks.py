"""`N_`: marks a string for the translation catalogues where it is defined (a table of labels, a message
template), to be translated by whoever shows it, in the reader's language."""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks a string for the catalogue; it is translated when shown."""
    return text
