"""Pictures for the photo tests: colour profiles, metadata, and headers that claim a size.

A picture's header gives its size before a pixel is decoded; the ones made
here claim a large size over a few bytes of pixel data, so a check that
decodes them fails on the missing data, and only a check made from the
header answers with the size.
"""
from __future__ import annotations

import struct
import zlib
from io import BytesIO

from PIL import Image

# sRGB's primaries as ICC profiles store them (adapted to D50), and D50 itself.
SRGB_RED = (0.4360747, 0.2225045, 0.0139322)
SRGB_GREEN = (0.3850649, 0.7168786, 0.0971045)
SRGB_BLUE = (0.1430804, 0.0606169, 0.7141733)
D50 = (0.9642, 1.0, 0.8249)


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _desc(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    # textDescriptionType (ICC v2): the ASCII text, then empty Unicode and ScriptCode parts.
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_text)) + ascii_text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67


def swapped_primaries_profile() -> bytes:
    """An ICC v2 display profile like sRGB but with red and green swapped.

    A pixel (255, 0, 0) under this profile is sRGB's pure green: a check that
    converts to sRGB turns it green, one that drops the profile leaves it red.
    """
    gamma = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags = [
        (b"desc", _desc("Swapped red and green")),
        (b"wtpt", _xyz(D50)),
        (b"rXYZ", _xyz(SRGB_GREEN)),
        (b"gXYZ", _xyz(SRGB_RED)),
        (b"bXYZ", _xyz(SRGB_BLUE)),
        (b"rTRC", gamma),
        (b"gTRC", gamma),
        (b"bTRC", gamma),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        padded = data + b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += padded
    size = offset + len(body)
    header = (
        struct.pack(">I", size) + b"\0" * 4 + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp"
        + b"\0" * 24 + struct.pack(">I", 0) + b"".join(struct.pack(">i", round(v * 65536)) for v in D50)
    )
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG file, in order."""
    types, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        types.append(data[at + 4:at + 8])
        at += 12 + length
    return types


def jpeg_markers(data: bytes) -> list[int]:
    """The marker bytes of a JPEG file up to its first scan (0xDA), in order."""
    markers, at = [], 2
    while at < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        at += 2 + length
    return markers


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header says ``width`` x ``height`` over the pixel data of an 8 x 8 picture."""
    out = BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = 8  # the IHDR chunk comes first: length, type, then width and height
    data[ihdr + 8:ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4:ihdr + 8 + 13]))
    data[ihdr + 8 + 13:ihdr + 8 + 17] = struct.pack(">I", crc)
    return bytes(data)


def jpeg_claiming(width: int, height: int, progressive: bool = False) -> bytes:
    """A JPEG whose frame header says ``width`` x ``height`` over the scans of a 16 x 16 picture."""
    out = BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, "JPEG", progressive=progressive)
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    # FF Cn, length (2), precision (1), then height and width.
    data[frame + 5:frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)
