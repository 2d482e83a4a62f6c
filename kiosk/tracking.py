"""The tracking code a citizen is shown after the reasons view (issue 11): their rating's own id, made short.

The code is the last 50 bits of the rating's UUID as 10 Crockford base-32
characters, most significant first, shown as two groups of five
(``8ZFW6-KRARH``). It is made from the id the kiosk already sends, so nothing
new goes on the wire and the kiosk shows it offline; the central service
finds the rating by the same 50 bits (``admin/tracking.py``, its own copy:
a kiosk release does not ship ``admin/``). Those bits are random in a UUID
version 7 (``kiosk/ids.py``), so a code says nothing of when or where the
rating was made, and a guessed code names a stored rating about once in
2**50 / (ratings stored) tries.

Crockford's alphabet has no I, L, O or U: a code read aloud or copied by
hand is not mistaken for another.
"""
from __future__ import annotations

import io
import re
import uuid

import segno

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
BITS = 5 * LENGTH
# A code as the screen shows it; the board's address takes it without the hyphen.
SHOWN = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def tracking_code(rating_id: str) -> str:
    """The code shown for the rating ``rating_id`` (a UUID in text form), e.g. ``8ZFW6-KRARH``."""
    low = uuid.UUID(rating_id).int & (1 << BITS) - 1
    chars = "".join(ALPHABET[low >> shift & 31] for shift in range(BITS - 5, -1, -5))
    return f"{chars[:5]}-{chars[5:]}"


def lookup_url(board_url: str, code: str) -> str:
    """The public board's page of the rating with ``code``: ``{board_url}/tra-cuu?ma=<10 characters>``."""
    return f"{board_url.rstrip('/')}/tra-cuu?ma={code.replace('-', '')}"


def qr_svg(url: str) -> bytes:
    """A QR code of ``url`` as SVG, made on the kiosk (nothing from elsewhere; docs/architecture.md, principle 4).

    Black on white with the standard quiet zone of four modules, and no fixed
    size (a ``viewBox`` only), so the screen's style sets it; error correction
    M, so that a phone reads it from a screen with a glare on it.
    """
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(
        out, kind="svg", border=4, dark="#000", light="#fff", xmldecl=False, svgclass=None, lineclass=None,
        omitsize=True,
    )
    return out.getvalue()
