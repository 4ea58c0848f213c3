"""WTForms' and Flask-WTF's own messages, in our catalogues and looked up there, in the reader's language."""

from __future__ import annotations

from flask_babel import get_translations


def N_(text: str) -> str:
    """Marks a string for the catalogue; WTForms asks for its translation when it shows it."""
    return text


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Marks a singular and plural pair (extraction knows `ngettext`); not a lookup."""
    return singular, plural


# Exactly as WTForms 3.3 and Flask-WTF 1.2 write them (validators.py, fields/choices.py, csrf.py): only what our
# forms can produce. WTForms ships no Albanian, and its wording is not ours, so ours is looked up instead.
MESSAGES = (
    N_("This field is required."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Invalid email address."),
    N_("Not a valid choice."),
    N_("Invalid Choice: could not coerce."),
    # CSRF: the form_errors macro and the CSRFError page say it in our own words; these are for anything else.
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
)
PLURAL_MESSAGES = (
    ngettext("Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters."),
)


class CatalogueTranslations:
    """What WTForms' Meta.get_translations returns: our catalogue in the reader's language. WTForms fills in
    %(min)d and the like itself, so the text is returned unformatted (flask_babel.ngettext would format it)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ungettext(singular, plural, n)


translations = CatalogueTranslations()
