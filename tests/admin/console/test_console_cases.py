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


def conclude_as(app, case_id: int, username: str) -> None:
    from admin import cases
    from admin.models import User

    with app.app_context():
        case = db.session.get(Case, case_id)
        user = db.session.scalars(select(User).where(User.username == username)).one()
        cases.conclude(case, user, "substantiated", "Có cơ sở.", "reminder")
        db.session.commit()


def publication(app, case_id: int) -> tuple:
    with app.app_context():
        case = db.session.get(Case, case_id)
        return case.published_at is not None, case.show_officer, case.public_ref


def test_inspector_publishes_a_concluded_case_and_withdraws_it(app, world, case_id):
    client = signed_in(app, "inspector", world.commune_a_id, username="thanhtra_a")
    assert "Công khai kết quả" not in text(client.get(f"/cases/{case_id}"))
    conclude_as(app, case_id, "thanhtra_a")
    page = text(client.get(f"/cases/{case_id}"))
    assert "Chưa công khai: người dân không thấy gì về hồ sơ này." in page
    assert "Công khai tên cán bộ trên trang công khai" in page

    answer = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/publish", {}, follow_redirects=True)
    assert f"Hồ sơ #{case_id} đã được công khai." in text(answer)
    published, named, ref = publication(app, case_id)
    assert published and not named and len(ref) == 8
    assert "Không công khai tên cán bộ." in text(answer)

    again = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/withdraw", {}, follow_redirects=True)
    assert f"Hồ sơ #{case_id} đã được gỡ khỏi trang công khai." in text(again)
    assert publication(app, case_id) == (False, False, ref)

    submit(client, f"/cases/{case_id}", f"/cases/{case_id}/publish", {"show_officer": "y"})
    # Published again, the case keeps its reference: a reference once read stays true.
    assert publication(app, case_id) == (True, True, ref)

    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "case", AuditEntry.action.in_(("publish", "withdraw")))
            .order_by(AuditEntry.id)
        ).all()
        assert [(e.action, e.actor, e.before["show_officer"], e.after["show_officer"]) for e in entries] == [
            ("publish", "thanhtra_a", False, False), ("withdraw", "thanhtra_a", False, False),
            ("publish", "thanhtra_a", False, True),
        ]
        assert entries[0].before["published_at"] is None and entries[0].after["published_at"]
        assert entries[0].after["public_ref"] == ref


def test_a_case_not_concluded_cannot_be_published(app, world, case_id):
    client = signed_in(app, "inspector", world.commune_a_id, username="thanhtra_a")
    refused = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/publish", {"show_officer": "y"})
    assert refused.status_code == 400
    assert "Chỉ hồ sơ đã kết luận mới được công khai." in text(refused)
    assert publication(app, case_id)[0] is False
    conclude_as(app, case_id, "thanhtra_a")
    refused = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/withdraw", {})
    assert refused.status_code == 400 and "Hồ sơ này chưa được công khai." in text(refused)
    submit(client, f"/cases/{case_id}", f"/cases/{case_id}/publish", {})
    refused = submit(client, f"/cases/{case_id}", f"/cases/{case_id}/publish", {})
    assert refused.status_code == 400 and "Hồ sơ này đã được công khai." in text(refused)


@pytest.mark.parametrize("role", ["manager", "viewer", "admin"])
def test_only_inspectors_publish(app, world, case_id, role):
    signed_in(app, "inspector", world.commune_a_id, username="thanhtra_a")
    conclude_as(app, case_id, "thanhtra_a")
    client = signed_in(app, role, world.commune_a_id if role != "admin" else None)
    for action in ("publish", "withdraw"):
        assert submit(client, "/", f"/cases/{case_id}/{action}", {"show_officer": "y"}).status_code == 403
    assert publication(app, case_id)[0] is False


def test_inspector_of_another_commune_cannot_publish(app, world, case_id):
    signed_in(app, "inspector", world.commune_a_id, username="thanhtra_a")
    conclude_as(app, case_id, "thanhtra_a")
    client = signed_in(app, "inspector", world.commune_b_id, username="thanhtra_b")
    assert submit(client, "/", f"/cases/{case_id}/publish", {}).status_code == 404
    assert publication(app, case_id)[0] is False
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "publish")) is None


def test_managers_see_a_published_outcome_on_the_board_only(app, world, case_id):
    inspector = signed_in(app, "inspector", world.commune_a_id, username="thanhtra_a")
    conclude_as(app, case_id, "thanhtra_a")
    manager = signed_in(app, "manager", world.commune_a_id)
    with app.app_context():
        concluded = db.session.get(Case, case_id).concluded_at.astimezone(app.config["TZ"])
    # The period that holds the conclusion, whatever day that is.
    board_url = f"/cong-khai?period={concluded.year}-H{1 if concluded.month <= 6 else 2}"
    assert "Nhắc nhở" not in text(manager.get(board_url))  # and the page is now kept for a minute
    submit(inspector, f"/cases/{case_id}", f"/cases/{case_id}/publish", {})
    assert manager.get(f"/cases/{case_id}").status_code == 403
    # Publishing dropped this process's kept pages: the board shows the outcome at once.
    board = text(manager.get(board_url))
    assert "UBND xã Mai Trung" in board and "Nhắc nhở" in board
    assert "B-042" not in board and "Bị gợi ý" not in board and "Nguyễn Văn An" not in board
