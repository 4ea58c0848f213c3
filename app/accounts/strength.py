"""How hard a new password is to guess: at least PASSWORD_MIN characters and a zxcvbn score of at least 3, with
the member's own names and the site's as words an attacker would try first. No composition rules.

zxcvbn writes its hints in English; each is looked up here, in our catalogues, so the member reads it in their
language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _
from zxcvbn import zxcvbn

from app.errors import ValidationFailed

PASSWORD_MIN, PASSWORD_MAX = 10, 200
MIN_SCORE = 3
# zxcvbn refuses longer input (ValueError) and slows down with length; what follows can only add strength.
CHECKED_LENGTH = 72
# What an attacker tries first against this site's accounts, besides the member's own names.
SITE_WORDS = ("nimbus", "community", "agora", "forum")

# Every hint zxcvbn 4.5 can give (zxcvbn/feedback.py), keyed by its English text.
HINTS = {
    "Use a few words, avoid common phrases.": _("Use a few words, avoid common phrases."),
    "No need for symbols, digits, or uppercase letters.": _("No need for symbols, digits, or uppercase letters."),
    "Add another word or two. Uncommon words are better.": _("Add another word or two. Uncommon words are better."),
    "Straight rows of keys are easy to guess.": _("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.": _("Short keyboard patterns are easy to guess."),
    "Use a longer keyboard pattern with more turns.": _("Use a longer keyboard pattern with more turns."),
    'Repeats like "aaa" are easy to guess.': _('Repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': _(
        'Repeats like "abcabcabc" are only slightly harder to guess than "abc".'
    ),
    "Avoid repeated words and characters.": _("Avoid repeated words and characters."),
    'Sequences like "abc" or "6543" are easy to guess.': _('Sequences like "abc" or "6543" are easy to guess.'),
    "Avoid sequences.": _("Avoid sequences."),
    "Recent years are easy to guess.": _("Recent years are easy to guess."),
    "Avoid recent years.": _("Avoid recent years."),
    "Avoid years that are associated with you.": _("Avoid years that are associated with you."),
    "Dates are often easy to guess.": _("Dates are often easy to guess."),
    "Avoid dates and years that are associated with you.": _("Avoid dates and years that are associated with you."),
    "This is a top-10 common password.": _("This is a top-10 common password."),
    "This is a top-100 common password.": _("This is a top-100 common password."),
    "This is a very common password.": _("This is a very common password."),
    "This is similar to a commonly used password.": _("This is similar to a commonly used password."),
    "A word by itself is easy to guess.": _("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.": _("Names and surnames by themselves are easy to guess."),
    "Common names and surnames are easy to guess.": _("Common names and surnames are easy to guess."),
    "Capitalization doesn't help very much.": _("Capitalization doesn't help very much."),
    "All-uppercase is almost as easy to guess as all-lowercase.": _(
        "All-uppercase is almost as easy to guess as all-lowercase."
    ),
    "Reversed words aren't much harder to guess.": _("Reversed words aren't much harder to guess."),
    "Predictable substitutions like '@' instead of 'a' don't help very much.": _(
        "Predictable substitutions like '@' instead of 'a' don't help very much."
    ),
}


def _hint(text: str) -> str:
    # A hint from a newer zxcvbn that we have not translated yet is better left out than shown in English.
    hint = HINTS.get(text)
    return str(hint) if hint is not None else ""


def check(password: str, username: str = "", email: str = "", field: str = "password") -> None:
    """Refuse (ValidationFailed on `field`) a password that is too short, too long or too easy to guess, saying
    why in the reader's language."""
    if not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        raise ValidationFailed(
            _("A password has %(min)d to %(max)d characters.", min=PASSWORD_MIN, max=PASSWORD_MAX), field
        )
    local, _at, domain = email.lower().partition("@")
    inputs = [word for word in (username.lower(), local, *domain.split("."), *SITE_WORDS) if word]
    result = zxcvbn(password[:CHECKED_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return
    feedback = result["feedback"]
    hints = [_hint(text) for text in (feedback.get("warning"), *feedback.get("suggestions", ())) if text]
    message = " ".join([str(_("This password is too easy to guess.")), *(hint for hint in hints if hint)])
    raise ValidationFailed(message, field)
