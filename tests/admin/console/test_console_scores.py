"""Results in the console: an officer's scorecard, the ranking, and the CSV export."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from .console_support import add_ratings, signed_in, submit, text


@pytest.fixture
def rated(app, world):
    """Officer A: 2 very satisfied, 1 satisfied, 1 not (slow); officer A2: 1 very satisfied."""
    add_ratings(app, world.kiosk_a_id, [
        (3, world.officer_a_id, []),
        (3, world.officer_a_id, []),
        (2, world.officer_a_id, []),
        (1, world.officer_a_id, ["slow"]),
        (3, world.officer_a2_id, []),
    ])
    return world


def test_scorecard_shows_totals_levels_reasons_and_weeks(app, rated):
    client = signed_in(app, "manager", rated.commune_a_id)
    response = client.get(f"/officers/{rated.officer_a_id}/scorecard")
    assert response.status_code == 200
    page = text(response)
    assert "Nguyễn Văn An (MT-001)" in page
    assert "4 lượt đánh giá" in page
    assert "75,00 % tỷ lệ hài lòng" in page
    assert "2,25 điểm trung bình (thang 3)" in page
    assert "Rất hài lòng 2 Hài lòng 1 Không hài lòng 1" in page
    assert "Chậm trễ, kéo dài 1" in page
    assert "Diễn biến trong kỳ" in page
    # The period before is beside the figures, and the bound the league ranks by.
    assert "30,06 % tối thiểu, với độ tin cậy 95 %" in page
    # The chart is inline SVG: nothing for the strict CSP to block.
    body = response.get_data(as_text=True)
    assert "<svg" in body and "style=" not in body and "<script" not in body


def test_scorecard_in_english(app, rated):
    client = signed_in(app, "manager", rated.commune_a_id)
    submit(client, "/", "/language", {"lang": "en", "next": "/"})
    page = text(client.get(f"/officers/{rated.officer_a_id}/scorecard"))
    assert "75.00 % satisfaction rate" in page
    assert "Very satisfied 2 Satisfied 1 Not satisfied 1" in page
    assert "Slow, kept waiting 1" in page


def test_scorecard_period_form_errors(app, rated):
    client = signed_in(app, "manager", rated.commune_a_id)
    page = text(client.get(f"/officers/{rated.officer_a_id}/scorecard?start=2026-03-10&end=2026-03-01"))
    assert "Ngày kết thúc trước ngày bắt đầu." in page
    page = text(client.get(f"/officers/{rated.officer_a_id}/scorecard?start=hôm-qua&end=2026-03-01"))
    assert "Hãy nhập ngày theo ngày, tháng, năm." in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("start=0001-01-01&end=9998-12-31", "Hãy chọn ngày trong khoảng từ năm 2000 đến năm 2100."),
        ("start=2026-01-01&end=9999-12-31", "Hãy chọn ngày trong khoảng từ năm 2000 đến năm 2100."),
        ("start=2020-01-01&end=2026-11-01", "Hãy chọn khoảng thời gian tối đa hai năm."),
    ],
)
def test_scorecard_refuses_an_unbounded_period(app, rated, query, message):
    client = signed_in(app, "viewer")
    response = client.get(f"/officers/{rated.officer_a_id}/scorecard?{query}")
    assert response.status_code == 200
    assert message in text(response)


def test_scorecard_of_a_past_period_is_empty(app, rated):
    client = signed_in(app, "viewer")
    page = text(client.get(f"/officers/{rated.officer_a_id}/scorecard?start=2020-01-01&end=2020-01-31"))
    assert "Từ 01/01/2020 đến 31/01/2020" in page
    assert "0 lượt đánh giá" in page
    assert "— tỷ lệ hài lòng" in page


def test_ranking_ranks_only_officers_with_enough_ratings(app, rated):
    client = signed_in(app, "manager", rated.commune_a_id)
    today = datetime.now(app.config["TZ"]).date()
    page = text(client.get(f"/ranking?start={today.replace(day=1)}&end={today}&min_ratings=3"))
    ranked, _, not_ranked = page.partition("Chưa xếp hạng: dưới 3 lượt đánh giá")
    # Rank, name, code, unit, ratings, rate, its 95 % lower bound, mean, the period before and the change.
    assert "1 Nguyễn Văn An MT-001 UBND xã Mai Trung 4 75,00 % 30,06 % 2,25 — —" in ranked
    assert "Trần Thị Bình" not in ranked
    assert "Trần Thị Bình MT-002 UBND xã Mai Trung 1 100,00 % 20,65 % 3,00" in not_ranked


def test_ranking_default_minimum_is_ten(app, rated):
    client = signed_in(app, "manager", rated.commune_a_id)
    page = text(client.get("/ranking"))
    assert "Chưa công chức nào có đủ lượt đánh giá trong thời gian này." in page
    assert "Chưa xếp hạng: dưới 10 lượt đánh giá" in page


def test_ranking_sort_links(app, rated):
    client = signed_in(app, "manager", rated.commune_a_id)
    # By default the lower bound ranks: 3 of 4 satisfied is surer than 1 of 1.
    by_bound = text(client.get("/ranking?min_ratings=1"))
    assert by_bound.index("Nguyễn Văn An") < by_bound.index("Trần Thị Bình")
    by_satisfaction = text(client.get("/ranking?min_ratings=1&sort=satisfaction"))
    assert by_satisfaction.index("Trần Thị Bình") < by_satisfaction.index("Nguyễn Văn An")
    body = client.get("/ranking?min_ratings=1").get_data(as_text=True)
    assert "sort=ratings" in body and "min_ratings=1" in body
    by_ratings = text(client.get("/ranking?min_ratings=1&sort=ratings"))
    assert by_ratings.index("Nguyễn Văn An") < by_ratings.index("Trần Thị Bình")


def test_csv_export_of_visible_units(app, rated):
    add_ratings(app, rated.kiosk_b_id, [(3, rated.officer_b_id, [])])
    client = signed_in(app, "manager", rated.commune_a_id)
    response = client.get("/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["officer_id", "officer_code", "officer_name", "unit_name", "ratings", "satisfied",
                       "satisfaction_pct", "mean_score", "score_1", "score_2", "score_3"]
    codes = [row[1] for row in rows[1:]]
    assert sorted(codes) == ["MT-001", "MT-002"]
    officer_a = next(row for row in rows if row[1] == "MT-001")
    assert officer_a[4:] == ["4", "3", "75.00", "2.25", "1", "1", "2"]


def test_csv_export_for_admin_covers_all_units(app, rated):
    add_ratings(app, rated.kiosk_b_id, [(3, rated.officer_b_id, [])])
    client = signed_in(app, "admin")
    body = client.get("/report.csv").get_data(as_text=True)
    assert "HT-001" in body and "MT-001" in body
    only_b = client.get(f"/report.csv?unit={rated.commune_b_id}").get_data(as_text=True)
    assert "HT-001" in only_b and "MT-001" not in only_b


def test_dashboard_period_figures(app, rated):
    client = signed_in(app, "manager", rated.commune_a_id)
    page = text(client.get("/"))
    assert "5 lượt đánh giá trong kỳ" in page
    assert "80,00 % tỷ lệ hài lòng trong kỳ" in page
    last_year = date.today() - timedelta(days=400)
    old = text(client.get(f"/?start={last_year}&end={last_year}"))
    assert "0 lượt đánh giá trong kỳ" in old


def test_survey_period_chosen_in_one_click(app, world):
    from admin.periods import parse_period

    client = signed_in(app, "manager", world.commune_a_id)
    page = client.get("/ranking").get_data(as_text=True)
    # The chips: this and the last half year, quarter and year (whatever today is).
    nav = page[page.index('class="quick-periods"'):page.index("</nav>", page.index('class="quick-periods"'))]
    chips = [(dict(parse_qsl(html.unescape(href))), label) for href, label in re.findall(r'<a href="\?([^"]+)"[^>]*>([^<]+)</a>', nav)]
    assert len(chips) == 6 and chips[0][1].startswith("6 tháng")
    assert all(args["unit"] == str(world.commune_a_id) and args["sort"] for args, _ in chips)
    args, label = chips[1]
    key = args["period"]
    chosen = client.get("/ranking?" + urlencode(args)).get_data(as_text=True)
    period = parse_period(key)
    assert f'value="{period.start.isoformat()}"' in chosen and f'value="{period.end.isoformat()}"' in chosen
    assert f'aria-current="true">{label}</a>' in chosen
    # Any period by its key, and one that names none is ignored (the page shows its default).
    assert 'value="2024-07-01"' in client.get("/ranking?period=2024-H2").get_data(as_text=True)
    assert client.get("/ranking?period=2026-H9").status_code == 200


def test_overview_shows_the_period_beside_the_one_before(app, world):
    from datetime import timezone

    officer = world.officer_a_id
    add_ratings(app, world.kiosk_a_id, [(3, officer, [])] * 3 + [(1, officer, [])],
                when=datetime(2025, 3, 3, 3, 0, tzinfo=timezone.utc))
    add_ratings(app, world.kiosk_a_id, [(3, officer, [])] * 5 + [(1, officer, [])],
                when=datetime(2025, 9, 3, 3, 0, tzinfo=timezone.utc))
    page = text(signed_in(app, "admin").get("/?period=2025-H2"))
    assert "6 tháng cuối năm 2025:" in page
    assert "kỳ trước: 4 (+50,00 %)" in page
    assert "kỳ trước: 75,00 % (+8,33 điểm)" in page
    assert "So sánh với kỳ trước: 6 tháng đầu năm 2025." in page
