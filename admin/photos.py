"""Officer photos: only real JPEG or PNG images are kept, and never as they were sent.

The file's name and declared type prove nothing, so the bytes are decoded
with Pillow; the picture is then re-encoded, which drops whatever else the
file carried (metadata, trailing data) and shrinks it to what a kiosk needs.
"""
from __future__ import annotations

from io import BytesIO

from flask_babel import format_decimal, lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

# A kiosk shows the face at a few hundred pixels; more is only weight.
MAX_SIDE = 800
# Refuse to decode pictures whose pixel count could exhaust memory.
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
# Modes PNG stores as they are; anything else (16-bit, CMYK...) is converted.
PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")


class PhotoError(ValueError):
    """An upload that is not a photo we keep; the message is for the person who sent it."""


def clean_photo(data: bytes, max_bytes: int) -> tuple[str, bytes]:
    """The content type and re-encoded bytes of an uploaded JPEG or PNG.

    Raises PhotoError when the file is larger than ``max_bytes`` or is not a
    JPEG or PNG picture that decodes.
    """
    if len(data) > max_bytes:
        raise PhotoError(
            _l("The photo is larger than %(size)s MB; send a smaller one.", size=_megabytes(max_bytes))
        )
    try:
        with Image.open(BytesIO(data), formats=tuple(FORMATS)) as probe:
            kind = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoError(_l("The photo has too many pixels; send a smaller one."))
            probe.verify()
        # verify() leaves the image unusable, so decode it again for real.
        with Image.open(BytesIO(data), formats=(kind,)) as image:
            image.load()
            return FORMATS[kind], _reencode(ImageOps.exif_transpose(image), kind)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(_l("This file is not a JPEG or PNG photo.")) from None


def _reencode(image: Image.Image, kind: str) -> bytes:
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        if image.mode not in PNG_MODES:
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _megabytes(size: int) -> str:
    return format_decimal(size / (1024 * 1024), format="#,##0.##")
