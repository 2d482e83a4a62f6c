"""Ids for what the kiosk records: UUID version 7 (RFC 9562).

A version 7 UUID begins with the time in milliseconds, the rest random (74
bits). The central service keeps every rating's id in a unique index; ids
that arrive roughly in time order land next to each other in that index,
so storing a batch touches a few pages of it instead of one page per rating,
as random (version 4) ids do. The time part only orders; the random part
makes the id unique, so a kiosk whose clock is wrong still makes good ids.
"""
from __future__ import annotations

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62


def new_id() -> str:
    """A new UUID version 7, in the canonical text form the kiosk API sends."""
    millis = time.time_ns() // 1_000_000 & (1 << 48) - 1
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 62 & 0xFFF
    rand_b = rand & (1 << 62) - 1
    return str(uuid.UUID(int=millis << 80 | _VERSION_7 | rand_a << 64 | _VARIANT_RFC | rand_b))
