"""kiosk/tracking.py: the tracking code of a rating, the board's lookup address and its QR code."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest

from kiosk.ids import new_id
from kiosk.tracking import SHOWN, lookup_url, qr_svg, tracking_code

# The same vectors as the central service's copy (admin/tracking.py).
VECTORS = [
    ("7d0c3c1e-4f7b-4d43-9a55-1f7f0d3c2b11", "8ZFW6-KRARH"),
    ("01890a5d-ac96-774b-bcce-b302099a8057", "NK084-SN02Q"),
    ("00000000-0000-7000-8000-000000000000", "00000-00000"),
    ("ffffffff-ffff-7fff-bfff-ffffffffffff", "ZZZZZ-ZZZZZ"),
]


@pytest.mark.parametrize(("rating_id", "code"), VECTORS)
def test_tracking_code_vectors(rating_id, code):
    assert tracking_code(rating_id) == code
    assert tracking_code(rating_id.upper()) == code


def test_tracking_code_of_new_ids_has_the_shown_form_and_differs():
    codes = {tracking_code(new_id()) for _ in range(200)}
    assert len(codes) == 200
    assert all(SHOWN.fullmatch(code) for code in codes)
    # Crockford's alphabet: nothing to mistake for 1 or 0, nor U.
    assert not set("".join(codes)) & set("ILOU")


def test_tracking_lookup_url_takes_the_code_without_its_hyphen():
    board = "https://danhgia.example.gov.vn/cong-khai"
    assert lookup_url(board, "8ZFW6-KRARH") == "https://danhgia.example.gov.vn/cong-khai/tra-cuu?ma=8ZFW6KRARH"
    assert lookup_url(board + "/", "8ZFW6-KRARH") == lookup_url(board, "8ZFW6-KRARH")


def test_tracking_qr_is_a_bare_svg_sized_by_the_page():
    svg = ET.fromstring(qr_svg("https://danhgia.example.gov.vn/cong-khai/tra-cuu?ma=8ZFW6KRARH"))
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg"
    assert "viewBox" in svg.attrib and "width" not in svg.attrib
    # Paths only: nothing a CSP of 'self' would refuse (no script, no style, no link elsewhere).
    assert {child.tag for child in svg.iter()} == {f"{ns}svg", f"{ns}path"}


def test_tracking_code_is_the_one_the_central_service_finds():
    # The central service's own copy (admin/tracking.py), which a kiosk release does not ship.
    central = pytest.importorskip("admin.tracking")
    for rating_id in [new_id() for _ in range(200)] + [rating_id for rating_id, _ in VECTORS]:
        assert tracking_code(rating_id) == central.tracking_code(uuid.UUID(rating_id))
