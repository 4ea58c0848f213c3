"""What an uploaded file really is: images decoded and re-encoded with Pillow (metadata stripped, orientation
applied, size capped, a thumbnail made), text logs checked to be text. Pure functions: no database, no Flask.

An image is checked while its member waits (decoded in full, so a file that is not what it says is refused at once
and their post is kept), and re-encoded later, by a job (`process_image`): the resizing and encoding are most of the
cost of a large photo."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.attachments.models import FILENAME_MAX
from app.errors import ValidationFailed

# extension -> (Pillow's format name, the type it is stored and served as, the stored extension)
IMAGE_TYPES = {
    "png": ("PNG", "image/png", "png"),
    "jpg": ("JPEG", "image/jpeg", "jpg"),
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "webp": ("WEBP", "image/webp", "webp"),
    "gif": ("GIF", "image/gif", "gif"),
}
TEXT_TYPES = {"txt", "log"}
TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
THUMBNAIL_SIDE = 320


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 5 * 1024 * 1024
    max_side: int = 2560  # longer side of a stored image, in pixels
    max_pixels: int = 40_000_000  # larger images are refused before decoding (decompression bombs)


@dataclass(frozen=True)
class Prepared:
    """A checked file, ready to store: for an image, the re-encoded bytes and a thumbnail."""

    kind: str
    filename: str
    extension: str
    content_type: str
    data: bytes
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None
    processed: bool = True  # False: an image's upload as sent, to be re-encoded by process_image


def refuse(message: object) -> ValidationFailed:
    return ValidationFailed(message, "files")


def safe_filename(name: str) -> str:
    """The last path part of what the browser sent, letters, digits, dots and dashes only, at most 120 characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    name = re.sub(r"[^\w.\-]+", "_", name).strip("._") or "file"
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: FILENAME_MAX - len(ext) - 1] + dot + ext) if dot and len(ext) <= 5 else name[:FILENAME_MAX]
    return name


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def prepare(filename: str, data: bytes, limits: Limits) -> Prepared:
    """Check one upload and make what is stored, or raise ValidationFailed saying what is wrong with it."""
    name = safe_filename(filename)
    extension = extension_of(name)
    if extension not in IMAGE_TYPES and extension not in TEXT_TYPES:
        raise refuse(
            _(
                "“%(name)s” can't be attached: attach images (PNG, JPEG, WebP, GIF) or text logs (.txt, .log).",
                name=name,
            )
        )
    if not data:
        raise refuse(_("“%(name)s” is empty.", name=name))
    if len(data) > limits.max_bytes:
        raise refuse(_("“%(name)s” is larger than %(size)s MB.", name=name, size=_megabytes(limits.max_bytes)))
    if extension in TEXT_TYPES:
        return _prepare_text(name, extension, data)
    return _prepare_image(name, extension, data, limits)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _prepare_text(name: str, extension: str, data: bytes) -> Prepared:
    if b"\x00" in data:
        raise refuse(_("“%(name)s” is not a text file: its content doesn't match its name.", name=name))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:  # a log from an older tool: Latin-1 always decodes, so keep it readable as UTF-8
            data = data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError:
            raise refuse(_("“%(name)s” is not a text file: its content doesn't match its name.", name=name)) from None
    return Prepared("text", name, extension, TEXT_CONTENT_TYPE, data)


def _prepare_image(name: str, extension: str, data: bytes, limits: Limits) -> Prepared:
    """The image checked (decoded in full): what is stored until `process_image` makes the file that is served."""
    pillow_format, content_type, stored_extension = IMAGE_TYPES[extension]
    image = _decoded(name, data, pillow_format, limits)
    return Prepared(
        "image",
        _with_extension(name, stored_extension),
        stored_extension,
        content_type,
        data,
        width=image.width,
        height=image.height,
        processed=False,
    )


def _decoded(name: str, data: bytes, pillow_format: str, limits: Limits) -> Image.Image:
    mismatch = _(
        "“%(name)s” is not really a %(type)s image: its content doesn't match its name.", name=name, type=pillow_format
    )
    bomb = _("“%(name)s” has too many pixels to be an ordinary screenshot.", name=name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[pillow_format])
            if image.width * image.height > limits.max_pixels:
                raise refuse(bomb)
            image.seek(0)  # an animated GIF or WebP keeps its first frame
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise refuse(bomb) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise refuse(mismatch) from None
    return image


def process_image(content_type: str, data: bytes, limits: Limits) -> Prepared:
    """The served file of a checked upload: turned upright, converted, capped in size and re-encoded from its pixels
    alone, with a WebP thumbnail. Raises ValidationFailed only for bytes `prepare` never accepted."""
    extension = next(ext for ext, (_f, type_, stored) in IMAGE_TYPES.items() if type_ == content_type and ext == stored)
    pillow_format = IMAGE_TYPES[extension][0]
    image = _decoded("upload", data, pillow_format, limits)
    image = ImageOps.exif_transpose(image)  # turned the way the camera held it; EXIF goes below
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if transparent and pillow_format != "JPEG" else "RGB")
    # Bicubic: for screenshots as sharp as Lanczos to the eye, and faster (the resize is most of the cost).
    image.thumbnail((limits.max_side, limits.max_side), Image.Resampling.BICUBIC)
    stored = _encode(image, pillow_format)
    scale = min(1.0, THUMBNAIL_SIDE / max(image.size))
    thumb_size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    thumb = image.resize(thumb_size, Image.Resampling.BICUBIC, reducing_gap=2.0)
    return Prepared(
        "image", "", extension, content_type, stored, thumbnail=_encode(thumb, "WEBP"),
        width=image.width, height=image.height,
    )  # fmt: skip


def _encode(image: Image.Image, pillow_format: str) -> bytes:
    """A new file from the pixels alone: no EXIF, GPS, camera serial, comments or colour-profile tricks."""
    image.info = {}
    out = io.BytesIO()
    # Speed over the last few per cent of size: a worker should not spend seconds on one screenshot.
    options = {"JPEG": {"quality": 88}, "WEBP": {"quality": 85, "method": 2}, "PNG": {"compress_level": 6}}
    image.save(out, format=pillow_format, **options.get(pillow_format, {}))
    return out.getvalue()


def _with_extension(name: str, extension: str) -> str:
    stem = name.rsplit(".", 1)[0]
    return f"{stem}.{extension}"
