"""The case pages: inspectors handle misconduct cases; managers and viewers never reach one."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from admin.cases import file_complaints
from admin.db import db
from admin.models import AuditEntry, Case

from .console_support import add_ratings, signed_in, submit, text


@pytest.fixture
def case_id(app, world) -> int:
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe", "slow"])])
    with app.app_context():
        from admin.models import Rating
        rating = db.session.scalars(select(Rating)).one()
        rating.comment, rating.ticket = "Bị gợi ý nộp thêm tiền", "B-042"
        db.session.commit()
        file_complaints()
        return db.session.scalars(select(Case.id)).one()


def case_status(app, case_id: int) -> tuple:
    with app.app_context():
        case = db.session.get(Case, case_id)
        return case.status, case.assignee_id, case.conclusion, case.action


@pytest.mark.parametrize("role", ["manager", "viewer"])
def test_managers_and_viewers_never_reach_a_case(app, world, case_id, role):
    client = signed_in(app, role, world.commune_a_id)
    assert client.get("/cases").status_code == 403
    assert client.get(f"/cases/{case_id}").status_code == 403
    assert submit(client, "/", f"/cases/{case_id}/notes", {"text": "x"}).status_code == 403
    page = text(client.get("/"))
    assert "Hồ sơ phản ánh" not in page and "Vòi vĩnh" not in page


def test_inspector_of_another_commune_does_not_see_the_case(app, world, case_id):
    client = signed_in(app, "inspector", world.commune_b_id)
    assert "Nguyễn Văn An" not in text(client.get("/cases"))
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(f"/cases?unit={world.commune_a_id}").status_code == 404
    assert client.get("/cases/99999999999999999999").status_code == 404


def test_every_page_shows_an_inspector_the_new_cases(app, world, case_id):
    client = signed_in(app, "inspector", world.province_id)
    for url in ("/", "/officers", "/complaints"):
        assert "Hồ sơ phản ánh (1)" in text(client.get(url)), url
    listing = text(client.get("/cases"))
    assert f"#{case_id} Mới Nguyễn Văn An (MT-001) Quầy 1 — Đất đai UBND xã Mai Trung 1" in listing


def test_inspector_takes_notes_and_concludes_a_case(app, world, case_id):
    client = signed_in(app, "inspector", world.commune_a_id, username="thanhtra_a")
    detail = text(client.get(f"/cases/{case_id}"))
    assert "Bị gợi ý nộp thêm tiền" in detail and "B-042" in detail
    assert "Vòi vĩnh, đòi tiền ngoài quy định; Chậm trễ, kéo dài" in detail or "Chậm trễ, kéo dài; Vòi vĩnh" in detail

    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    me = int(__import__("re").search(r'<option selected value="(\d+)">thanhtra_a', page).group(1))
    answer = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/assign", {"assignee_id": me})
    assert answer.status_code == 302
    assert case_status(app, case_id)[:2] == ("verifying", me)
    assert "Hồ sơ phản ánh (1)" not in text(client.get("/"))

    answer = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/notes",
                    {"text": "Đã làm việc với người phản ánh qua điện thoại."}, follow_redirects=True)
    assert "Đã làm việc với người phản ánh qua điện thoại." in text(answer)

    refused = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/conclude",
                     {"conclusion": "substantiated", "findings": "   ", "action": "review"})
    assert refused.status_code == 400
    assert "Hãy ghi kết quả xác minh." in text(refused)
    assert case_status(app, case_id)[0] == "verifying"

    done = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/conclude",
                  {"conclusion": "substantiated", "findings": "Có căn cứ; cán bộ đã nhận.", "action": "review"},
                  follow_redirects=True)
    assert "Đã kết luận hồ sơ" in text(done) and "Có cơ sở" in text(done) and "Kiểm điểm" in text(done)
    assert case_status(app, case_id) == ("concluded", me, "substantiated", "review")
    # A concluded case takes no more changes.
    assert "Xử lý hồ sơ" not in text(client.get(f"/cases/{case_id}"))

    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity == "case").order_by(AuditEntry.id)
        ).all()
    assert actions == ["open", "assign", "note", "conclude"]


@pytest.mark.parametrize("path, data", [
    ("assign", {"assignee_id": "abc"}),
    ("assign", {"assignee_id": "999999"}),
    ("notes", {"text": ""}),
    ("notes", {"text": "x" * 5001}),
    ("conclude", {"conclusion": "guilty", "findings": "x", "action": "none"}),
    ("conclude", {"conclusion": "substantiated", "findings": "x", "action": "fire"}),
    ("conclude", {}),
])
def test_bad_case_changes_are_refused_and_change_nothing(app, world, case_id, path, data):
    client = signed_in(app, "inspector", world.commune_a_id)
    answer = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/{path}", data)
    assert answer.status_code == 400
    assert case_status(app, case_id) == ("new", None, None, None)
    with app.app_context():
        assert db.session.get(Case, case_id).notes == []


def test_changes_need_the_csrf_token(app, world, case_id):
    client = signed_in(app, "inspector", world.commune_a_id)
    assert client.post(f"/cases/{case_id}/notes", data={"text": "Ghi chú"}).status_code == 400
    with app.app_context():
        assert db.session.get(Case, case_id).notes == []


def test_an_inspector_outside_the_case_cannot_change_it(app, world, case_id):
    client = signed_in(app, "inspector", world.commune_b_id)
    assert submit(client, "/", f"/cases/{case_id}/notes", {"text": "x"}).status_code == 404


def test_admin_reads_cases_but_does_not_handle_them(app, world, case_id):
    client = signed_in(app, "admin")
    assert "Nguyễn Văn An" in text(client.get(f"/cases/{case_id}"))
    assert "Xử lý hồ sơ" not in text(client.get(f"/cases/{case_id}"))
    answer = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/notes", {"text": "x"})
    assert answer.status_code == 403


def test_case_pages_in_english(app, world, case_id):
    client = signed_in(app, "inspector", world.commune_a_id)
    submit(client, "/", "/language", {"lang": "en", "next": "/"})
    page = text(client.get(f"/cases/{case_id}"))
    assert f"Case #{case_id} New" in page and "Asked for an unofficial payment" in page
