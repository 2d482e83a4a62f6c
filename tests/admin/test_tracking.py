"""Tracking codes: the kiosk's and the service's rule gives these codes, and the parser reads what people type."""
from __future__ import annotations

import uuid

import pytest

from admin.tracking import display, parse_tracking_code, stored_code, tracking_code

VECTORS = [
    ("7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11", "8ZFW6-KRARH"),
    ("01890a5d-ac96-774b-bcce-b302099a8057", "NK084-SN02Q"),
    ("00000000-0000-7000-8000-000000000000", "00000-00000"),
    ("ffffffff-ffff-7fff-bfff-ffffffffffff", "ZZZZZ-ZZZZZ"),
]


@pytest.mark.parametrize(("rating_uuid", "code"), VECTORS)
def test_tracking_code_of_the_agreed_vectors(rating_uuid, code):
    assert tracking_code(uuid.UUID(rating_uuid)) == code
    assert display(stored_code(uuid.UUID(rating_uuid))) == code
    assert parse_tracking_code(code) == code.replace("-", "")


@pytest.mark.parametrize("typed", ["8ZFW6-KRARH", "8zfw6-krarh", "8ZFW6KRARH", " 8zfw6 krarh ", "8ZF-W6K-RARH", "8zfw6\tkrarh"])
def test_tracking_code_parser_takes_what_people_type(typed):
    assert parse_tracking_code(typed) == "8ZFW6KRARH"


def test_tracking_code_parser_reads_lookalike_letters_as_digits():
    assert parse_tracking_code("nko84-sno2q") == "NK084SN02Q"
    assert parse_tracking_code("iIlLo-OOOOO") == "11110" + "00000"


@pytest.mark.parametrize("typed", ["", "8ZFW6-KRAR", "8ZFW6-KRARHH", "8ZFW6-KRARU", "8ZFW6_KRARH", "8ZFW6-KRAR!",
                                   "８ZFW6-KRARH", "8ZFW6-KRARH" + " " * 40, "'; DROP TABLE--"])
def test_tracking_code_parser_refuses_anything_else(typed):
    assert parse_tracking_code(typed) is None
