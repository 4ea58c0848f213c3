"""WTForms' and Flask-WTF's own messages, replaced by the site's own wording and looked up in our catalogues, in the
reader's language."""

from __future__ import annotations

from flask_babel import get_translations

from app.marks import N_


def ngettext(singular: str, plural: str) -> tuple[str, str]:
    """Marks a singular and plural pair (extraction knows `ngettext`); not a lookup."""
    return singular, plural


# Flask-WTF's CSRF messages, exactly as Flask-WTF 1.2 writes them (csrf.py): the form_errors macro and the
# CSRFError page say it in our own words; these are for anything else.
MESSAGES = (
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
)

# WTForms' English is a programmer's ("Field must be between 10 and 200 characters long."): each stock message is
# replaced by ours before it is looked up. The placeholders stay the same, WTForms fills them in.
OWN_WORDING = {
    "This field is required.": N_("Please fill this in."),
    "Field must be between %(min)d and %(max)d characters long.": N_("Use %(min)d to %(max)d characters."),
    "Invalid email address.": N_("That doesn't look like an e-mail address."),
    "Not a valid choice.": N_("Choose one of the options offered."),
    "Invalid Choice: could not coerce.": N_("Choose one of the options offered."),
}
OWN_PLURAL_WORDING = {
    "Field cannot be longer than %(max)d character.": ngettext(
        "Use at most %(max)d character.", "Use at most %(max)d characters."
    ),
}


class CatalogueTranslations:
    """What WTForms' Meta.get_translations returns: our wording from our catalogue, in the reader's language.
    WTForms fills in %(min)d and the like itself, so the text is returned unformatted (flask_babel.ngettext
    would format it)."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(OWN_WORDING.get(string, string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        singular, plural = OWN_PLURAL_WORDING.get(singular, (singular, plural))
        return get_translations().ungettext(singular, plural, n)


translations = CatalogueTranslations()
