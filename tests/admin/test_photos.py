"""admin/photos.py: what an officer photo may cost to check, and what the kept photo carries.

The pixel limits are checked from the header, so the pictures past them here
claim their size over a few bytes of pixel data (photo_support): decoding
them would fail on the missing data, only a check of the header names the size.
"""
from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image, ImageCms

from admin import create_app
from admin.photos import PhotoError, clean_photo

from .photo_support import (
    jpeg_claiming,
    jpeg_markers,
    png_chunks,
    png_claiming,
    swapped_primaries_profile,
)

LIMIT = 2 * 1024 * 1024
TOO_MANY_PIXELS = "Ảnh có hơn %s megapixel"
NOT_A_PHOTO = "Tệp này không phải ảnh JPEG hoặc PNG."
# What a re-encoded photo may hold: the picture, its palette and transparency, nothing else.
PNG_PICTURE_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
# SOI, JFIF (APP0), quantization and Huffman tables, frame header, restart interval, first scan.
JPEG_PICTURE_MARKERS = {0xD8, 0xE0, 0xDB, 0xC4, 0xC0, 0xDD, 0xDA}


@pytest.fixture
def vi(tmp_path):
    """A request context of the console, in its default language (Vietnamese)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
                      "SECRET_KEY": "test"})
    app.instance_path = str(tmp_path)
    with app.test_request_context():
        yield


def refusal(data: bytes) -> str:
    with pytest.raises(PhotoError) as raised:
        clean_photo(data, LIMIT)
    return str(raised.value)


def saved(image: Image.Image, kind: str, **options) -> bytes:
    out = BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def kept(data: bytes) -> tuple[str, Image.Image, bytes]:
    content_type, cleaned = clean_photo(data, LIMIT)
    return content_type, Image.open(BytesIO(cleaned)), cleaned


@pytest.mark.parametrize("data, limit", [
    # 40 megapixels as PNG: decoded at full size, 4 bytes a pixel.
    (png_claiming(7700, 5190), 16),
    # Progressive JPEGs keep every coefficient of the full picture while decoding.
    (jpeg_claiming(5000, 4000, progressive=True), 16),
    # Baseline JPEGs decode at a fraction of their size, up to a limit of their own.
    (jpeg_claiming(9000, 8000), 64),
])
def test_photo_past_its_pixel_limit_refused_from_its_header(vi, data, limit):
    assert TOO_MANY_PIXELS % limit in refusal(data)


# Pillow's warning is a line in the log; the refusal below is what matters.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("data", [png_claiming(20000, 20000), jpeg_claiming(16000, 12000), jpeg_claiming(10000, 10000)])
def test_photo_past_pillows_bomb_limits_refused_as_too_many_pixels(vi, data):
    # 400 and 192 megapixels: Pillow refuses these itself, at open; 100 it only warns about.
    # Either way it is the size that is wrong, and nothing is decoded.
    assert TOO_MANY_PIXELS % 64 in refusal(data)


def test_big_baseline_jpeg_kept_decoded_at_a_fraction(vi):
    # 20 megapixels, past what a full decode may take, but a baseline JPEG decodes at 1/4 here.
    content_type, image, _ = kept(saved(Image.new("RGB", (5000, 4000), (90, 140, 200)), "JPEG"))
    assert content_type == "image/jpeg"
    assert image.size == (800, 640)


def test_truncated_png_within_limits_is_not_a_photo(vi):
    # (libjpeg fills a JPEG's missing rows with grey: such a JPEG is kept, as browsers show it.)
    assert refusal(png_claiming(800, 600)) == NOT_A_PHOTO


def test_png_keeps_no_metadata(vi):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Nguyen Van An", zip=False)
    info.add_text("Comment", "GPS 21.0285 105.8542", zip=True)
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    original = saved(Image.new("RGB", (64, 80), (200, 30, 30)), "PNG", pnginfo=info, exif=exif,
                     icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), dpi=(300, 300))
    assert {b"iCCP", b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"pHYs"} <= set(png_chunks(original))
    content_type, image, cleaned = kept(original)
    assert content_type == "image/png"
    assert set(png_chunks(cleaned)) <= PNG_PICTURE_CHUNKS
    assert image.getpixel((10, 10)) == (200, 30, 30)


def test_jpeg_keeps_no_metadata(vi):
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    exif.get_ifd(0x8825)[2] = (21.0, 1.0, 42.0)  # GPSLatitude
    original = saved(Image.new("RGB", (64, 80), (200, 30, 30)), "JPEG", exif=exif, comment=b"taken at home",
                     icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
                     xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    assert {0xE1, 0xE2, 0xFE} <= set(jpeg_markers(original))
    content_type, image, cleaned = kept(original)
    assert content_type == "image/jpeg"
    assert set(jpeg_markers(cleaned)) <= JPEG_PICTURE_MARKERS
    assert image.getexif() == {} and "icc_profile" not in image.info


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_photo_with_a_colour_profile_converted_to_srgb(vi, kind):
    # Red under the swapped profile is sRGB's green: shown without its profile, it must already be green.
    original = saved(Image.new("RGB", (64, 80), (255, 0, 0)), kind, icc_profile=swapped_primaries_profile())
    _, image, _ = kept(original)
    assert "icc_profile" not in image.info
    red, green, blue = image.convert("RGB").getpixel((32, 40))
    assert green > 230 and red < 30 and blue < 30


def test_png_with_alpha_and_a_colour_profile_keeps_its_transparency(vi):
    picture = Image.new("RGBA", (64, 80), (255, 0, 0, 255))
    picture.putpixel((0, 0), (255, 0, 0, 0))
    _, image, _ = kept(saved(picture, "PNG", icc_profile=swapped_primaries_profile()))
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0))[3] == 0
    red, green, _, alpha = image.getpixel((32, 40))
    assert (green > 230, red < 30, alpha) == (True, True, 255)


def test_unreadable_colour_profile_dropped_and_picture_kept_as_it_is(vi):
    # As a browser does: a profile that cannot be read is ignored, the picture taken as sRGB.
    original = saved(Image.new("RGB", (64, 80), (200, 30, 30)), "PNG", icc_profile=b"not a profile" * 20)
    _, image, cleaned = kept(original)
    assert b"iCCP" not in png_chunks(cleaned)
    assert image.getpixel((10, 10)) == (200, 30, 30)


def test_jpeg_turned_upright_by_its_orientation_then_orientation_dropped(vi):
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: the picture is to be shown rotated 90° clockwise
    _, image, _ = kept(saved(Image.new("RGB", (80, 40), (200, 30, 30)), "JPEG", exif=exif))
    assert image.size == (40, 80)
    assert image.getexif() == {}


def test_phone_jpeg_with_a_second_picture_kept_as_jpeg(vi):
    # Phones add a second picture (depth map, preview): Pillow calls such a file MPO.
    first, second = Image.new("RGB", (64, 80), (200, 30, 30)), Image.new("RGB", (32, 40), (0, 0, 0))
    original = saved(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(BytesIO(original)).format == "MPO"
    content_type, image, _ = kept(original)
    assert (content_type, image.format, image.size) == ("image/jpeg", "JPEG", (64, 80))
