"""Measuring what axe can't: WCAG contrast ratios, colours as the browser computed them, and the pixels of a
screenshot (a small PNG decoder, so the tests need nothing beyond the standard library)."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable

RGB = tuple[int, int, int]
COLOUR = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")


def parse_colours(css: str) -> list[tuple[RGB, float]]:
    """Every rgb()/rgba() colour in a computed CSS value (a colour, or a gradient), with its alpha."""
    found = []
    for r, g, b, a in COLOUR.findall(css):
        alpha = 1.0 if not a else float(a[:-1]) / 100 if a.endswith("%") else float(a)
        found.append(((round(float(r)), round(float(g)), round(float(b))), alpha))
    return found


def luminance(colour: RGB) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """The WCAG 2 contrast ratio, 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def png_pixels(data: bytes) -> list[RGB]:
    """The pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, idat = 8, b""
    width = height = channels = 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour_type in (2, 6), (depth, colour_type, interlace)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[RGB] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        pixels.extend(tuple(line[i : i + 3]) for i in range(0, stride, channels))  # type: ignore[misc]
        previous = line
    return pixels


def extremes(pixels: Iterable[RGB]) -> tuple[RGB, RGB]:
    """The lightest and the darkest pixel."""
    ordered = sorted(set(pixels), key=luminance)
    return ordered[-1], ordered[0]


# Runs in the page: what the focused element's outline looks like, and the colours behind it (the nearest
# ancestor's background: its colour, or every colour of its gradient), since the outline sits outside the element.
FOCUS_PROBE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (!el.dataset.a11yProbe) el.dataset.a11yProbe = String(Math.random()).slice(2);
  const style = getComputedStyle(el);
  let behind = [];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const s = getComputedStyle(node);
    if (s.backgroundImage && s.backgroundImage !== "none") { behind.push(s.backgroundImage); break; }
    if (!/rgba\\(0, 0, 0, 0\\)|transparent/.test(s.backgroundColor)) { behind.push(s.backgroundColor); break; }
  }
  if (!behind.length) behind.push("rgb(255, 255, 255)");
  const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " +
    (el.getAttribute("aria-label") || el.textContent || el.getAttribute("name") || "").trim().slice(0, 40);
  return {key: el.dataset.a11yProbe, name, outlineStyle: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth), outlineColor: style.outlineColor, behind: behind.join(" ")};
}"""
