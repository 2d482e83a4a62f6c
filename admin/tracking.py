"""Tracking codes (mã tra cứu): what a citizen types to follow their complaint.

Every rating has one and the kiosk shows it to every citizen asked for
reasons (so the desk cannot tell who complained); only a complaint's code
finds anything on the board.

The code is derived from the rating's UUID, so the kiosk shows it at once,
offline, and the service finds the same code when the complaint arrives: the
last 50 bits of the UUID's 128-bit integer, as 10 Crockford base-32
characters, most significant first, in two groups of five (``8ZFW6-KRARH``).
In a UUID version 7 those bits are random, so a code tells nothing about when
or where the complaint was made, and guessing one is hopeless at the rate the
public lookup allows. The kiosk computes it with the same rule (docs/public-board.md).
"""
from __future__ import annotations

import re
import uuid

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
BITS = 5 * LENGTH
# What people type for a character that looks like another (Crockford's rule).
LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Spaces and hyphens anywhere are ignored; a longer text is refused before any work.
SEPARATORS = re.compile(r"[\s\-]+")
MAX_INPUT = 40


def tracking_code(rating_uuid: uuid.UUID) -> str:
    """The code a citizen reads for the complaint ``rating_uuid``: ``XXXXX-XXXXX``."""
    compact = stored_code(rating_uuid)
    return f"{compact[:5]}-{compact[5:]}"


def stored_code(rating_uuid: uuid.UUID) -> str:
    """The code as the database keeps it: the 10 characters without the hyphen."""
    value = rating_uuid.int & ((1 << BITS) - 1)
    return "".join(ALPHABET[(value >> shift) & 31] for shift in range(BITS - 5, -1, -5))


def parse_tracking_code(text: str) -> str | None:
    """The stored form of what a person typed, or None when it cannot be a code.

    Accepts lower case, spaces, a missing or moved hyphen, and O for 0, I or L
    for 1; refuses anything else (U included: Crockford leaves it out).
    """
    if len(text) > MAX_INPUT:
        return None
    compact = SEPARATORS.sub("", text).upper().translate(LOOKALIKES)
    if len(compact) != LENGTH or any(char not in ALPHABET for char in compact):
        return None
    return compact


def display(stored: str) -> str:
    """A stored code as people read it, with its hyphen."""
    return f"{stored[:5]}-{stored[5:]}"
