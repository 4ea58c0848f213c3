"""Row ids and id cursors from the outside world: the one place that decides what a valid id looks like."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from werkzeug.routing import BaseConverter

from app.errors import BadRequest

# Our id columns are INTEGER: PostgreSQL refuses anything past 2^31 - 1 (SQLite past 2^63 - 1), and a
# database error there is a 500. A number past this can never be a row, so it is refused at the edge.
MAX_ID = 2**31 - 1


def _numbers_up_to(limit: int) -> str:
    """A regex for the numbers 1..limit written without leading zeros (e.g. 1..347: [1-9][0-9]{0,1},
    [1-2][0-9]{2}, 3[0-3][0-9], 34[0-6], 347)."""
    digits = str(limit)
    branches = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for place, digit in enumerate(digits):
        lowest = 1 if place == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - place - 1
            branches.append(f"{digits[:place]}[{lowest}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    branches.append(digits)
    return "(?:" + "|".join(branches) + ")"


# The range is in the pattern itself, not checked after it matched: Werkzeug treats a converter that
# refuses a matched segment as "some other method would do", and answers 405 where 404 is the truth.
# ASCII digits only: str.isdigit() also says yes to "²" and "١", which int() then refuses or reads.
ID_PATTERN = _numbers_up_to(MAX_ID)
_ID = re.compile(ID_PATTERN)


def parse_id(value: str | None) -> int | None:
    """`value` as an id (1..MAX_ID in plain digits), or None when it is missing or isn't one."""
    if not value or _ID.fullmatch(value) is None:
        return None
    return int(value)


def cursor_id(value: str | None) -> int | None:
    """An optional id cursor from a query (`?before=`): None when absent, BadRequest (400) when broken."""
    if not value:
        return None
    number = parse_id(value)
    if number is None:
        raise BadRequest(_l("That page link is broken; start again from the first page."))
    return number


class IdConverter(BaseConverter):
    """`<id:question_id>` in a route: an id the database can hold, else the rule doesn't match (404)."""

    regex = ID_PATTERN
    weight = 50  # as Werkzeug's `int`, so rules keep the order they had

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))
