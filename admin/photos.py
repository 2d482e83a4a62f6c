"""Officer photos: only real JPEG or PNG images are kept, and never as they were sent.

The file's name and declared type prove nothing, so the bytes are decoded
with Pillow; the picture is then re-encoded, which drops whatever else the
file carried (metadata, trailing data) and shrinks it to what a kiosk needs.

Checking costs memory by the pixel, not by the byte: a PNG of one colour
holds 40 megapixels in 130 KB. So the size in the header is checked before
anything is decoded, against what decoding that kind of picture costs
(bench/photo_memory.py measures it), and at most two photos are decoded at
once in a process.
"""
from __future__ import annotations

import threading
from io import BytesIO

from flask_babel import format_decimal, lazy_gettext as _l
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# A kiosk shows the face at a few hundred pixels; more is only weight.
MAX_SIDE = 800
# A PNG, or a progressive JPEG (which holds the coefficients of the whole
# picture while it decodes), is decoded at full size: 4 bytes a pixel. A
# phone's photo is 12 megapixels.
FULL_DECODE_MAX_PIXELS = 16_000_000
# A baseline JPEG decodes at 1/2 to 1/8 of its size (Image.draft), never
# below twice MAX_SIDE: 64 megapixels cost what 4 do. Below Pillow's own
# bomb warning (about 89 megapixels), so whatever Pillow warns about is refused here.
REDUCED_DECODE_MAX_PIXELS = 64_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
# What each format Pillow may name is kept as: phones add a second picture
# (a depth map, a preview) to a JPEG, which Pillow's JPEG opener then calls MPO.
KEPT_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}
# Modes PNG stores as they are; anything else (16-bit, CMYK...) is converted.
PNG_MODES = ("1", "L", "LA", "P", "RGB", "RGBA")
# The modes whose pixels a colour profile of each colour space describes.
PROFILE_MODES = {"RGB": ("RGB", "RGBA", "P", "PA"), "GRAY": ("1", "L", "LA"), "CMYK": ("CMYK",)}
PROFILE_INPUT = {"RGB": "RGB", "GRAY": "L", "CMYK": "CMYK"}
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Whatever arrives together, a process holds at most two decoded photos.
DECODING = threading.BoundedSemaphore(2)


class PhotoError(ValueError):
    """An upload that is not a photo we keep; the message is for the person who sent it."""


def clean_photo(data: bytes, max_bytes: int) -> tuple[str, bytes]:
    """The content type and re-encoded bytes of an uploaded JPEG or PNG.

    Raises PhotoError when the file is larger than ``max_bytes``, when its
    header announces more pixels than its kind may cost to decode, or when it
    is not a JPEG or PNG picture that decodes.
    """
    if len(data) > max_bytes:
        raise PhotoError(
            _l("The photo is larger than %(size)s MB; send a smaller one.", size=_megabytes(max_bytes))
        )
    try:
        with Image.open(BytesIO(data), formats=tuple(FORMATS)) as probe:
            kind = KEPT_AS[probe.format]
            _check_pixels(probe)
            probe.verify()
        # verify() leaves the image unusable, so open it again for real.
        with DECODING, Image.open(BytesIO(data), formats=(kind,)) as image:
            return FORMATS[kind], _reencode(_decoded(image), kind)
    except PhotoError:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses, at open, a picture of more than twice its warning's pixels.
        raise _too_many_pixels(REDUCED_DECODE_MAX_PIXELS) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoError(_l("This file is not a JPEG or PNG photo.")) from None


def _check_pixels(image: Image.Image) -> None:
    reduced = image.format in ("JPEG", "MPO") and not image.info.get("progressive")
    limit = REDUCED_DECODE_MAX_PIXELS if reduced else FULL_DECODE_MAX_PIXELS
    if image.width * image.height > limit:
        raise _too_many_pixels(limit)


def _too_many_pixels(limit: int) -> PhotoError:
    return PhotoError(
        _l("The photo has more than %(limit)s megapixels, far more than a desk photo needs; send a smaller one.",
           limit=format_decimal(limit / 1_000_000, format="#,##0.#"))
    )


def _decoded(image: Image.Image) -> Image.Image:
    """The picture upright, at most MAX_SIDE wide and high, in sRGB, and still carrying its metadata."""
    profile = image.info.get("icc_profile")
    if image.format in ("JPEG", "MPO"):
        # libjpeg scales by 1/2, 1/4 or 1/8 while it decodes, keeping at least twice
        # the size kept in both directions: the full-size picture is never in memory.
        ratio = min(1.0, MAX_SIDE / max(image.size))
        image.draft(None, (2 * round(image.width * ratio), 2 * round(image.height * ratio)))
    # In place, before turning: the full-size picture is not copied.
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return _in_srgb(ImageOps.exif_transpose(image), profile)


def _in_srgb(image: Image.Image, profile: bytes | None) -> Image.Image:
    """``image`` converted from its colour profile to sRGB, so it looks right once the profile is dropped.

    A profile that cannot be read, or that does not describe this kind of
    pixels, is ignored, and the picture taken as sRGB: what browsers do.
    """
    if not profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(profile))
        space = source.profile.xcolor_space.strip()
        if image.mode not in PROFILE_MODES.get(space, ()):
            return image
        alpha = None
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            alpha = image.convert("RGBA").getchannel("A")
        converted = ImageCms.profileToProfile(image.convert(PROFILE_INPUT[space]), source, SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, TypeError, ValueError):
        return image
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _reencode(image: Image.Image, kind: str) -> bytes:
    out = BytesIO()
    if kind == "JPEG":
        picture = image.convert("RGB")
    else:
        picture = image if image.mode in PNG_MODES else image.convert("RGBA")
    # Pillow writes some of what it read back out (a PNG's colour profile, a JPEG's
    # comment): only the transparency, which is part of the picture, is kept.
    transparency = picture.info.get("transparency") if kind == "PNG" else None
    picture.info = {} if transparency is None else {"transparency": transparency}
    if kind == "JPEG":
        picture.save(out, "JPEG", quality=85, optimize=True)
    else:
        picture.save(out, "PNG", optimize=True)
    return out.getvalue()


def _megabytes(size: int) -> str:
    return format_decimal(size / (1024 * 1024), format="#,##0.##")
