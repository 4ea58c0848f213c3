"""Server-drawn bar charts as inline SVG: readable without JavaScript and allowed by the strict CSP.

Pure: data in, markup out. Only presentation attributes and classes (no style attribute, no <style>, no
script), and every piece of text passes through markupsafe.escape, so the result is safe to mark |safe.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
TOP, BOTTOM, SIDE = 24, 34, 8  # room for the value above each bar and the label below it
BAR_FILL = "#1f5fbf"
EMPTY_FILL = "#5f6b7a"
INK = "#1b2430"
AXIS = "#d9dee6"
CHART_ID = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


def _default_value(value: float) -> str:
    return f"{value:g}"


def _n(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")


def bar_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    chart_id: str,
    title: str,
    description: str,
    format_value: Callable[[float], str] = _default_value,
    no_data: str = "–",
) -> Markup:
    """A bar per (label, value); a None value is drawn as a gap marked `no_data`. `title` and `description`
    become the SVG's <title> and <desc> (named by aria-labelledby), and the description also lists every value,
    so a screen reader hears the data, not only the headline."""
    if not CHART_ID.match(chart_id):
        raise ValueError(f"chart ids are short lower-case slugs, not {chart_id!r}")
    values = [value for _, value in points if value is not None]
    top = max(values, default=0) or 1
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - 2 * SIDE) / max(1, len(points))
    bar_width = slot * 0.7
    readings = "; ".join(f"{label}: {no_data if value is None else format_value(value)}" for label, value in points)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" focusable="false" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)} {escape(readings)}</desc>',
        f'<line x1="{SIDE}" y1="{TOP + plot_height}" x2="{WIDTH - SIDE}" y2="{TOP + plot_height}" '
        f'stroke="{AXIS}" stroke-width="1"/>',
    ]
    for index, (label, value) in enumerate(points):
        centre = SIDE + slot * index + slot / 2
        shown = no_data if value is None else format_value(value)
        bar_height = 0.0 if value is None else max(0.0, value) / top * plot_height
        bar_top = TOP + plot_height - bar_height
        parts.append(f"<g><title>{escape(label)}: {escape(shown)}</title>")
        if value is not None:
            parts.append(
                f'<rect class="chart-bar" x="{_n(centre - bar_width / 2)}" y="{_n(bar_top)}" '
                f'width="{_n(bar_width)}" height="{_n(bar_height)}" fill="{BAR_FILL}"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{_n(centre)}" y="{_n(bar_top - 6)}" text-anchor="middle" font-size="12" '
            f'fill="{INK if value is not None else EMPTY_FILL}">{escape(shown)}</text>'
        )
        parts.append(
            f'<text class="chart-label" x="{_n(centre)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" '
            f'font-size="11" fill="{EMPTY_FILL}">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - built only from escaped text and numbers formatted here
