"""The inspectors' page: misconduct complaints in their unit tree, with officer, desk and time."""
from __future__ import annotations

import re

import pytest

from .console_support import add_ratings, signed_in, submit, text


@pytest.fixture
def complaints(app, world):
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe", "slow"]), (1, world.officer_a_id, ["slow"])])
    add_ratings(app, world.kiosk_b_id, [(1, world.officer_b_id, ["harassment"])])
    return world


def test_inspector_sees_complaints_of_their_tree_only(app, complaints):
    client = signed_in(app, "inspector", complaints.commune_a_id)
    page = text(client.get("/complaints"))
    assert "Nguyễn Văn An (MT-001)" in page
    assert "Quầy 1 — Đất đai" in page
    assert "Chậm trễ, kéo dài; Vòi vĩnh, đòi tiền ngoài quy định" in page
    assert "Lê Văn Cường" not in page
    assert "Gây khó khăn, nhũng nhiễu" not in page
    # A rating with ordinary reasons only is not a complaint.
    assert page.count("Không hài lòng") == 1


def test_district_inspector_sees_both_communes(app, complaints):
    client = signed_in(app, "inspector", complaints.district_id)
    page = text(client.get("/complaints"))
    assert "Nguyễn Văn An" in page and "Lê Văn Cường" in page
    only_b = text(client.get(f"/complaints?unit={complaints.commune_b_id}"))
    assert "Lê Văn Cường" in only_b and "Nguyễn Văn An" not in only_b


def test_inspector_cannot_pick_a_unit_outside_their_tree(app, complaints):
    client = signed_in(app, "inspector", complaints.commune_a_id)
    assert client.get(f"/complaints?unit={complaints.commune_b_id}").status_code == 404


def test_complaint_shows_local_time(app, complaints):
    client = signed_in(app, "inspector", complaints.commune_a_id)
    body = client.get("/complaints").get_data(as_text=True)
    # dd/MM/yyyy HH:mm in Vietnamese
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", body)


def test_complaints_in_english(app, complaints):
    client = signed_in(app, "inspector", complaints.commune_a_id)
    submit(client, "/", "/language", {"lang": "en", "next": "/"})
    page = text(client.get("/complaints"))
    assert "Misconduct complaints" in page
    assert "Asked for an unofficial payment" in page


def test_admin_sees_all_complaints(app, complaints):
    client = signed_in(app, "admin")
    page = text(client.get("/complaints"))
    assert "Nguyễn Văn An" in page and "Lê Văn Cường" in page


def test_complaints_page_says_when_the_list_is_cut(app, complaints, monkeypatch):
    import admin.console.complaint_pages as page_module

    client = signed_in(app, "inspector", complaints.province_id)
    assert "Chỉ hiện" not in text(client.get("/complaints"))
    monkeypatch.setattr(page_module, "LIMIT", 2)
    page = text(client.get("/complaints"))
    assert "Chỉ hiện 2 phản ánh mới nhất" in page
    assert page.count("Không hài lòng") == 2
