"""The tracking-code lookup: a citizen follows a complaint by its code; nothing else is revealed by it."""
from __future__ import annotations

import uuid

import pytest

from admin.public.throttle import RateLimit
from admin.tracking import display, tracking_code

from ..console.console_support import add_ratings, text
from .public_support import complaint_case, handle, inspector

NEUTRAL = ("Chưa có phản ánh nào với mã này để hiển thị. Phản ánh gửi khi máy đánh giá mất kết nối "
           "sẽ hiện ở đây khi máy kết nối lại")


@pytest.fixture
def complaint(app, world):
    case_id, code = complaint_case(app, world.kiosk_a_id, world.officer_a_id, ["bribe"])
    return case_id, code


def look_up(client, typed: str, lang: str | None = None):
    answer = client.get("/cong-khai/tra-cuu", query_string={"ma": typed, **({"lang": lang} if lang else {})})
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in answer.headers
    return answer


def test_lookup_code_is_the_one_the_kiosk_shows(app, complaint):
    from admin.db import db
    from admin.models import CaseRating, Rating

    with app.app_context():
        link = db.session.query(CaseRating).one()
        rating_uuid = db.session.get(Rating, link.rating_id).uuid
    assert display(complaint[1]) == tracking_code(rating_uuid)


def test_lookup_follows_a_complaint_through_every_status(client, app, world, complaint):
    case_id, code = complaint
    typed = display(code).lower().replace("-", " ")
    answer = look_up(client, typed)
    assert answer.status_code == 200
    page = text(answer)
    assert f"Phản ánh {display(code)}" in page and "Thanh tra đã tiếp nhận phản ánh của bạn." in page
    assert 'aria-current="step" class="current">Đã tiếp nhận' in answer.get_data(as_text=True)

    by = inspector(app, world.commune_a_id)
    handle(app, case_id, by, "verifying")
    assert "Thanh tra viên đang xác minh phản ánh của bạn." in text(look_up(client, code))

    from admin import cases
    from admin.db import db
    from admin.models import Case, User
    with app.app_context():
        case = db.session.get(Case, case_id)
        cases.conclude(case, db.session.get(User, by), "not_substantiated", "Không có căn cứ.", "none")
        db.session.commit()
    page = text(look_up(client, code))
    assert "Hồ sơ đã có kết luận; kết quả sẽ hiện ở đây khi thanh tra công khai." in page
    assert "Không có cơ sở" not in page

    with app.app_context():
        case = db.session.get(Case, case_id)
        cases.publish(case, db.session.get(User, by), False)
        db.session.commit()
        ref = case.public_ref
    page = text(look_up(client, code))
    assert f"Hồ sơ đã có kết luận và kết quả được công khai: Hồ sơ {ref}" in page
    assert "Kết luận Không có cơ sở Biện pháp xử lý Không xử lý" in page
    assert "Nguyễn Văn An" not in page and "Không có căn cứ." not in page
    assert "The case is concluded and its result is public:" in text(look_up(client, code, "en"))


def test_lookup_gives_one_neutral_answer_for_codes_without_a_filed_complaint(client, app, world, complaint):
    # A rating without a complaint, and a complaint not yet filed into a case, answer like an unknown code.
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["slow"])])
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    from admin.db import db
    from admin.models import Rating
    with app.app_context():
        plain, waiting = (tracking_code(r.uuid) for r in db.session.query(Rating).order_by(Rating.id).all()[-2:])
    answers = [look_up(client, typed) for typed in (plain, waiting, tracking_code(uuid.uuid4()))]
    bodies = {text(a).replace(c, "CODE") for a, c in zip(answers, (plain, waiting, "x"))}
    assert all(a.status_code == 200 and NEUTRAL in text(a) for a in answers)
    assert len({text(a).split("Phản ánh ")[-1].split(" ", 1)[1] for a in answers}) == 1, bodies


@pytest.mark.parametrize("typed", ["xx", "8ZFW6-KRARU", "<script>alert(1)</script>", "1" * 21, "ma'; --"])
def test_lookup_refuses_what_cannot_be_a_code_with_400(client, world, typed):
    answer = look_up(client, typed)
    assert answer.status_code == 400
    assert "Đây không phải mã tra cứu" in text(answer)
    assert "<script>alert" not in answer.get_data(as_text=True)


def test_lookup_without_a_code_shows_the_form_and_odd_addresses_are_refused(client, world):
    assert client.get("/cong-khai/tra-cuu").status_code == 200
    assert client.get("/cong-khai/tra-cuu?ma=" + "A" * 400).status_code == 400
    assert client.get("/cong-khai/tra-cuu?ma=A&ma=B").status_code == 400


def test_lookup_keeps_the_kiosks_address_shape(client, complaint):
    # The kiosk shows {ADMIN_PUBLIC_URL}/cong-khai/tra-cuu?ma=<code without hyphen>.
    answer = client.get(f"/cong-khai/tra-cuu?ma={complaint[1]}")
    assert answer.status_code == 200 and "Thanh tra đã tiếp nhận phản ánh của bạn." in text(answer)


def test_lookup_is_limited_more_tightly_than_the_board(client, app, world):
    state = app.extensions["public_board"]
    state.lookup_limit = RateLimit(2, 60)
    for _ in range(2):
        assert look_up(client, "00000-00000").status_code == 200
    refused = client.get("/cong-khai/tra-cuu?ma=00000-00000")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/cong-khai?period=2026-H1").status_code == 200
