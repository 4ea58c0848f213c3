"""Time what an upload costs on the server: Pillow decoding, re-encoding and thumbnailing typical files.

    .venv/bin/python -m bench.attachments [--repeat N]

Makes (in memory) a 12-megapixel phone photo with EXIF and GPS, a 2560x1440 PNG screenshot, a 1920x1080 WebP,
a small GIF and a 1 MB log, runs each through app.attachments.files.prepare (the check made while the member
waits) and, for images, files.process_image (the re-encoding a job does after the commit) with the default limits
--repeat times, and prints the median and worst time of each, the size before and after, and the stored
dimensions. Also times the refusal of a decompression bomb (a few kilobytes that would decode to 144 megapixels).

Target: a screenshot well under 0.5 s and a 12 MP photo under 2 s on one core, so a worker is never held long.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from importlib.metadata import version

from PIL import Image, ImageDraw

from app.attachments import files
from app.errors import ValidationFailed


def _image(size: tuple[int, int], fmt: str, exif: bool = False) -> bytes:
    """A photo is noise all over (it compresses like one); a screenshot is flat panels, text-like stripes and
    one photo-like patch."""
    if exif:
        image = Image.effect_noise(size, 40).convert("RGB")
    else:
        image = Image.new("RGB", size, (246, 247, 250))
        draw = ImageDraw.Draw(image)
        for top in range(0, size[1], 24):
            draw.rectangle((40, top + 6, 40 + (top * 37) % (size[0] - 80), top + 14), fill=(40, 50, 60))
        image.paste(Image.effect_noise((size[0] // 4, size[1] // 4), 40).convert("RGB"), (size[0] // 2, 60))
    out = io.BytesIO()
    options = {}
    if exif:
        data = image.getexif()
        data[0x0112] = 6
        data.get_ifd(0x8825).update({1: "N", 2: (52.0, 13.0, 0.0)})
        options["exif"] = data
    image.save(out, fmt, **options)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")
    cases = [
        ("photo.jpg (12 MP, EXIF)", "photo.jpg", _image((4000, 3000), "JPEG", exif=True)),
        ("screenshot.png 2560x1440", "screenshot.png", _image((2560, 1440), "PNG")),
        ("capture.webp 1920x1080", "capture.webp", _image((1920, 1080), "WEBP")),
        ("spinner.gif 400x300", "spinner.gif", _image((400, 300), "GIF")),
        ("server.log 1 MB", "server.log", b"2026-12-01 12:00:00 INFO wifi: firmware loaded\n" * 21_000),
        ("bomb.png (refused)", "bomb.png", bomb.getvalue()),
    ]
    limits = files.Limits(max_bytes=50 * 1024 * 1024)
    print(f"Pillow {version('Pillow')}, {args.repeat} runs each\n")
    print(f"{'file':28} {'in':>9} {'out':>9} {'stored':>11} {'check ms':>9} {'worst':>7} {'job ms':>7} {'worst':>7}")
    for label, name, data in cases:
        checks, jobs, prepared = [], [], None
        for _ in range(args.repeat):
            start = time.perf_counter()
            try:
                prepared = files.prepare(name, data, limits)
            except ValidationFailed:
                prepared = None
            checks.append((time.perf_counter() - start) * 1000)
            if prepared is not None and not prepared.processed:
                start = time.perf_counter()
                prepared = files.process_image(prepared.content_type, prepared.data, limits)
                jobs.append((time.perf_counter() - start) * 1000)
        out = f"{len(prepared.data) // 1024} KB" if prepared else "refused"
        dims = f"{prepared.width}x{prepared.height}" if prepared and prepared.width else "-"
        job = f"{statistics.median(jobs):>7.1f} {max(jobs):>7.1f}" if jobs else f"{'-':>7} {'-':>7}"
        print(
            f"{label:28} {len(data) // 1024:>6} KB {out:>9} {dims:>11} "
            f"{statistics.median(checks):>9.1f} {max(checks):>7.1f} {job}"
        )

if __name__ == "__main__":
    main()
