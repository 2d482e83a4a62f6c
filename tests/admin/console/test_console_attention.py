"""The overview's attention lists and the league tables, as each role sees them."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from ..test_cases import file_all
from .console_support import add_ratings, signed_in, text

# A day well inside the second half of 2025, and its period key.
WHEN = datetime(2025, 9, 3, 3, 0, tzinfo=timezone.utc)
H2 = "period=2025-H2"


def rate(app, world, officer_scores):
    for kiosk, officer, score, n in officer_scores:
        add_ratings(app, kiosk, [(score, officer, [])] * n, when=WHEN)


def test_overview_lists_who_is_confidently_below_the_threshold(app, world):
    rate(app, world, [
        (world.kiosk_a_id, world.officer_a_id, 1, 12), (world.kiosk_a_id, world.officer_a_id, 3, 3),  # 20 % of 15
        (world.kiosk_a_id, world.officer_a2_id, 1, 2),                                                  # too few
        (world.kiosk_b_id, world.officer_b_id, 3, 20),
    ])
    page = text(signed_in(app, "admin").get(f"/?{H2}"))
    below = page[page.index("Cần chú ý"):page.index("Thiết bị đánh giá", page.index("Cần chú ý"))]
    assert "Đơn vị dưới ngưỡng Không có." in below        # the district as a whole: 23 of 37
    # (The page's text has a space wherever an element ends, so a link's text stands apart from its colon.)
    assert "Công chức dưới ngưỡng Nguyễn Văn An (UBND xã Mai Trung): 20,00 %, 15 lượt đánh giá" in below
    assert "Trần Thị Bình" not in below and "Lê Văn Cường" not in below
    district = text(signed_in(app, "admin", username="admin2").get(f"/?{H2}&unit={world.district_id}"))
    assert "Đơn vị dưới ngưỡng UBND xã Mai Trung : 17,65 % (17 lượt đánh giá)" in district
    # A manager of the other commune sees nobody of commune A.
    other = text(signed_in(app, "manager", world.commune_b_id).get(f"/?{H2}"))
    assert "Nguyễn Văn An" not in other


def test_open_cases_on_the_overview_for_inspectors_only(app, world):
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    file_all(app)
    inspector = text(signed_in(app, "inspector", world.commune_a_id).get("/"))
    print("INSPECTOR", inspector[inspector.index("Cần chú ý"):][:500])
    assert re.search(r"Hồ sơ đang xử lý: 1 UBND xã Mai Trung — Nguyễn Văn An : đã chờ 0 ngày", inspector)
    other = text(signed_in(app, "inspector", world.commune_b_id, username="thanhtra2").get("/"))
    assert "Hồ sơ đang xử lý: 0" in other and "Nguyễn Văn An" not in other
    for role in ("manager", "viewer"):
        page = signed_in(app, role, world.commune_a_id, username=f"{role}9").get("/").get_data(as_text=True)
        assert "Hồ sơ đang xử lý" not in page and "bribe" not in page and "/cases/" not in page


def test_league_tables_rank_units_and_officers_with_the_period_before(app, world):
    rate(app, world, [(world.kiosk_a_id, world.officer_a_id, 3, 10), (world.kiosk_b_id, world.officer_b_id, 3, 30)])
    add_ratings(app, world.kiosk_b_id, [(1, world.officer_b_id, [])] * 10,
                when=datetime(2025, 3, 3, 3, 0, tzinfo=timezone.utc))
    page = text(signed_in(app, "admin").get(f"/ranking?{H2}&unit={world.district_id}"))
    units = page[page.index("Đơn vị Đơn vị"):page.index("Công chức Công chức")] if "Đơn vị Đơn vị" in page else page
    # Rank, unit, ratings, rate, lower bound, before, change: Hợp Thịnh's 30 of 30 is surer than Mai Trung's 10 of 10.
    assert "1 UBND xã Hợp Thịnh 30 100,00 % 88,65 % 0,00 % +100,00" in units
    assert "2 UBND xã Mai Trung 10 100,00 % 72,25 % — —" in units
    assert "1 Lê Văn Cường HT-001 UBND xã Hợp Thịnh 30 100,00 % 88,65 % 3,00 0,00 % +100,00" in page


def test_league_table_pages_through_many_officers(app, world):
    from admin.console import report_pages

    page = signed_in(app, "admin").get("/ranking?page=abc&min_ratings=1")
    assert page.status_code == 200
    assert signed_in(app, "admin", username="admin3").get("/ranking?page=99999999999999999999").status_code == 200
    assert report_pages.PER_PAGE == 100


def test_managers_see_published_outcomes_of_their_units_and_nothing_before(app, world):
    from ..public.public_support import complaint_case, handle, inspector

    thanh_tra = inspector(app, world.commune_a_id)
    published, _ = complaint_case(app, world.kiosk_a_id, world.officer_a_id, ["bribe"])
    handle(app, published, thanh_tra, "published", show_officer=True)
    concluded, _ = complaint_case(app, world.kiosk_a_id, world.officer_a2_id, ["harassment"])
    handle(app, concluded, thanh_tra, "concluded")
    manager = text(signed_in(app, "manager", world.commune_a_id).get("/"))
    outcomes = manager[manager.index("Kết quả xử lý phản ánh đã công khai"):]
    assert "20/05/2026, UBND xã Mai Trung — Nguyễn Văn An" in outcomes
    assert "Vòi vĩnh, đòi tiền ngoài quy định" in outcomes
    # The concluded case nobody published stays out of sight, and so does every case's page.
    assert "Trần Thị Bình" not in outcomes and "Gây khó khăn" not in outcomes
    other = text(signed_in(app, "viewer", world.commune_b_id, username="viewer_b").get("/"))
    assert "Nguyễn Văn An" not in other[other.index("Kết quả xử lý phản ánh đã công khai"):]
    # Inspectors have the cases themselves instead.
    assert "Kết quả xử lý phản ánh đã công khai" not in text(signed_in(app, "inspector", world.commune_a_id, username="tt2").get("/"))
