"""The public board at /cong-khai: anyone reads it without signing in; it shows exactly the figures and
the published cases, nothing unpublished and nothing a citizen wrote; it is cached, limited and refuses odd input."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask_babel import force_locale

from admin.periods import period_of
from admin.public.throttle import RateLimit

from ..console.console_support import add_ratings, text
from .public_support import IN_PERIOD, IN_PREVIOUS, PERIOD, complaint_case, handle, inspector, no_cache


@pytest.fixture
def figures(app, world):
    """Ratings in 2026-H1 and 2025-H2: commune A 6 of 8 satisfied (1 of 2 before), commune B 3 of 3, none before."""
    add_ratings(app, world.kiosk_a_id, [(3, world.officer_a_id, [])] * 6 + [(1, world.officer_a_id, ["slow"])] * 2,
                when=IN_PERIOD)
    add_ratings(app, world.kiosk_a_id, [(3, world.officer_a_id, []), (1, None, [])], when=IN_PREVIOUS)
    add_ratings(app, world.kiosk_b_id, [(2, None, [])] * 3, when=IN_PERIOD)
    return world


def test_public_board_needs_no_sign_in_and_sets_no_cookie(client, figures):
    answer = client.get(f"/cong-khai?period={PERIOD}")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    assert "Công khai kết quả đánh giá sự hài lòng của người dân" in text(answer)
    assert client.get("/cong-khai/").status_code == 200


def test_public_board_shows_each_units_subtree_over_both_periods(client, figures):
    page = text(client.get(f"/cong-khai?period={PERIOD}"))
    assert "6 tháng đầu năm 2026" in page and "So sánh với kỳ trước: 6 tháng cuối năm 2025." in page
    # Province and district: 9 of 11 now, 1 of 2 before; in tree order, siblings by name.
    assert ("Tỉnh Bắc Giang 81,82 % 11 50,00 % (2) +31,82 điểm "
            "Huyện Hiệp Hoà 81,82 % 11 50,00 % (2) +31,82 điểm "
            "UBND xã Hợp Thịnh 100,00 % 3 chưa có đánh giá — "
            "UBND xã Mai Trung 75,00 % 8 50,00 % (2) +25,00 điểm") in page


def test_public_board_in_english_and_for_a_unit_without_ratings(client, app, figures):
    with app.app_context():
        from admin.db import db
        from admin.units import create_unit
        from admin.models import Unit
        create_unit("UBND xã Đoan Bái", "commune", db.session.get(Unit, figures.district_id))
        db.session.commit()
    page = text(client.get(f"/cong-khai?period={PERIOD}&lang=en"))
    assert "First half of 2026" in page and "Compared with the period before: Second half of 2025." in page
    assert "Tỉnh Bắc Giang 81.82 % 11 50.00 % (2) +31.82 points" in page
    assert "UBND xã Đoan Bái No ratings in these periods." in page
    assert client.get(f"/cong-khai?period={PERIOD}&lang=en").headers["Content-Language"] == "en"


def test_public_board_defaults_to_the_half_year_of_today(client, app, figures):
    half = period_of("half", datetime.now(app.config["TZ"]).date())
    page = text(client.get("/cong-khai?lang=en"))
    with app.test_request_context(), force_locale("en"):
        assert f"{half.label()} Compared with the period before: {half.previous().label()}." in page


def test_public_board_shows_published_cases_only_and_no_citizen_data(client, app, figures):
    no_cache(app)
    by = inspector(app, figures.province_id)
    published, _ = complaint_case(app, figures.kiosk_a_id, figures.officer_a_id, ["bribe"])
    concluded, _ = complaint_case(app, figures.kiosk_b_id, figures.officer_b_id, ["harassment"])
    verifying, _ = complaint_case(app, figures.kiosk_a_id, figures.officer_a2_id, ["harassment"])
    handle(app, published, by, "published")
    handle(app, concluded, by, "concluded")
    handle(app, verifying, by, "verifying")
    with app.app_context():
        from admin.db import db
        from admin.models import Case, Rating
        for rating in db.session.query(Rating).all():
            rating.comment, rating.ticket = "Bị gợi ý nộp thêm tiền", "B-042"
        ref = db.session.get(Case, published).public_ref
        uuids = [str(r.uuid) for r in db.session.query(Rating).all()]
        db.session.commit()
    body = client.get(f"/cong-khai?period={PERIOD}").get_data(as_text=True)
    page = text(client.get(f"/cong-khai?period={PERIOD}"))
    assert (f"Hồ sơ {ref} Đã kết luận 20/05/2026 Đơn vị UBND xã Mai Trung Nội dung phản ánh "
            "Vòi vĩnh, đòi tiền ngoài quy định Kết luận Có cơ sở Biện pháp xử lý Kiểm điểm") in page
    assert page.count("Hồ sơ ") == 1
    for secret in ("Nguyễn Văn An", "Lê Văn Cường", "Trần Thị Bình", "B-042", "Bị gợi ý", "Người phản ánh",
                   "Nhũng nhiễu", "Quầy 1", "MT-001", "thanhtra", *uuids):
        assert secret not in body, secret
    assert not re.search(rf"#\s*{published}\b|/cases/{published}\b", body)


def test_public_board_names_the_officer_only_when_the_inspector_chose_to(client, app, figures):
    no_cache(app)
    by = inspector(app, figures.commune_a_id)
    named, _ = complaint_case(app, figures.kiosk_a_id, figures.officer_a_id, ["bribe"])
    handle(app, named, by, "published", show_officer=True)
    page = text(client.get(f"/cong-khai?period={PERIOD}"))
    assert "Công chức Nguyễn Văn An" in page
    assert "Officer Nguyễn Văn An" in text(client.get(f"/cong-khai?period={PERIOD}&lang=en"))


def test_public_board_answers_304_to_its_own_etag(client, figures):
    first = client.get(f"/cong-khai?period={PERIOD}")
    etag = first.headers["ETag"]
    again = client.get(f"/cong-khai?period={PERIOD}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"/cong-khai?period={PERIOD}", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(f"/cong-khai?period={PERIOD}&lang=en").headers["ETag"] != etag


def test_public_board_keeps_a_page_for_a_while(client, app, figures):
    before = client.get(f"/cong-khai?period={PERIOD}").data
    add_ratings(app, figures.kiosk_a_id, [(1, None, [])] * 5, when=IN_PERIOD)
    assert client.get(f"/cong-khai?period={PERIOD}").data == before
    no_cache(app)
    assert "16" in text(client.get(f"/cong-khai?period={PERIOD}"))


@pytest.mark.parametrize("query", [
    "period=2026-01-01..2026-02-01", "period=2026-H3", "period=1999", "period=" + "9" * 250, "period=%FF%FE",
    "lang=fr", "period=2026-H1&period=2026-H2", "lang=vi&lang=en", "x=" + "a" * 400,
])
def test_public_board_refuses_odd_addresses_with_400(client, query):
    answer = client.get(f"/cong-khai?{query}")
    assert answer.status_code == 400
    assert "Địa chỉ không hợp lệ" in text(answer) and "This address is not valid" in text(answer)
    assert answer.headers["Cache-Control"] == "no-store"


def test_public_board_ignores_unknown_parameters(client, figures):
    assert client.get(f"/cong-khai?period={PERIOD}&fbclid=abc").data == client.get(f"/cong-khai?period={PERIOD}").data


def test_lobby_tv_pages_through_units_then_cases(client, app, figures):
    app.config["PUBLIC_TV_ROWS"] = 3
    by = inspector(app, figures.province_id)
    case_id, _ = complaint_case(app, figures.kiosk_a_id, figures.officer_a_id, ["bribe"])
    handle(app, case_id, by, "published")
    first = client.get(f"/cong-khai/tv?period={PERIOD}")
    body = first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "public, max-age=60"
    assert f'content="20;url=/cong-khai/tv?trang=2&amp;period={PERIOD}"' in body
    assert "<script" not in body
    assert "1/3" in text(first) and "UBND xã Hợp Thịnh" in text(first) and "UBND xã Mai Trung" not in text(first)
    assert "UBND xã Mai Trung" in text(client.get(f"/cong-khai/tv?period={PERIOD}&trang=2"))
    last = client.get(f"/cong-khai/tv?period={PERIOD}&trang=3")
    assert "Kết quả xử lý phản ánh, kiến nghị" in text(last)
    assert f'content="20;url=/cong-khai/tv?trang=1&amp;period={PERIOD}"' in last.get_data(as_text=True)
    assert client.get(f"/cong-khai/tv?period={PERIOD}&trang=4").status_code == 404
    assert client.get(f"/cong-khai/tv?period={PERIOD}&trang=0").status_code == 404
    assert client.get(f"/cong-khai/tv?period={PERIOD}&trang=-1").status_code == 400
    assert client.get(f"/cong-khai/tv?period={PERIOD}&trang=99999999999").status_code == 400
    # Left on the default period, the TV keeps no period in its links and moves on with the calendar.
    assert 'content="20;url=/cong-khai/tv?trang=2"' in client.get("/cong-khai/tv").get_data(as_text=True)


def test_public_board_limits_each_address_with_429(client, app, world):
    app.extensions["public_board"].board_limit = RateLimit(3, 60)
    for _ in range(3):
        assert client.get(f"/cong-khai?period={PERIOD}").status_code == 200
    refused = client.get(f"/cong-khai?period={PERIOD}")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 20
    assert "Quá nhiều yêu cầu" in text(refused) and "Too many requests" in text(refused)
    other = app.test_client()
    assert other.get(f"/cong-khai?period={PERIOD}", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200


def test_public_limit_counts_the_address_nginx_forwards(app, world):
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)
    app.extensions["public_board"].lookup_limit = RateLimit(2, 60)
    client = app.test_client()
    for _ in range(2):
        assert client.get("/cong-khai/tra-cuu", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    assert client.get("/cong-khai/tra-cuu", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
    assert client.get("/cong-khai/tra-cuu", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200


@pytest.mark.parametrize("path", ["/cong-khai/khong-co", "/cong-khai/tv/x", "/cong-khai/tra-cuu/1"])
def test_an_unknown_public_address_gets_the_boards_own_page_and_no_cookie(client, path):
    answer = client.get(path)
    assert answer.status_code == 404
    assert "Không có trang này." in text(answer) and "There is no such page." in text(answer)
    assert "Set-Cookie" not in answer.headers and answer.headers["Cache-Control"] == "no-store"


def test_a_server_error_on_the_board_gets_the_boards_own_page(client, app, monkeypatch):
    from admin.public import pages

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(pages, "_board", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = client.get("/cong-khai")
    assert answer.status_code == 500
    assert "Máy chủ gặp sự cố" in text(answer) and "Set-Cookie" not in answer.headers
