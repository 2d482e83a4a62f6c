"""The official report's page and downloads (admin/console/official_pages.py): who gets what, and bad requests."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from admin.periods import quick_periods

from ..reports.official_support import add_official_data
from .console_support import signed_in, text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def data(app, world):
    with app.app_context():
        add_official_data(world)
    return world


def sheet_text(body: bytes) -> str:
    sheet = load_workbook(io.BytesIO(body)).active
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)


def test_page_offers_units_periods_and_both_downloads(app, data):
    client = signed_in(app, "admin")
    response = client.get(f"/reports/official?unit={data.commune_a_id}&period=2026-H1")
    assert response.status_code == 200
    page = text(response)
    assert "Báo cáo theo mẫu" in page
    assert "6 tháng đầu năm 2026: Từ 01/01/2026 đến 30/06/2026" in page
    assert "Tải báo cáo (PDF)" in page and "Tải báo cáo (XLSX)" in page
    body = response.get_data(as_text=True)
    assert f"/reports/official.pdf?unit={data.commune_a_id}&amp;period=2026-H1" in body
    # The survey chips: this and the last half year, quarter and year, whatever today is.
    today = datetime.now(app.config["TZ"]).date()
    assert all(f"period={p.key}&amp;unit={data.commune_a_id}" in body for p in quick_periods(today))
    assert 'aria-current="page"' in body  # the menu entry


def test_page_in_english_keeps_the_document_vietnamese(app, data):
    client = signed_in(app, "admin")
    client.set_cookie("lang", "en")
    page = text(client.get("/reports/official?period=2026-H1"))
    assert "Official report" in page and "Download the report (PDF)" in page
    assert "always in Vietnamese" in page
    xlsx = client.get(f"/reports/official.xlsx?unit={data.province_id}&period=2026-H1")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in sheet_text(xlsx.data)


def test_admin_downloads_both_formats_with_ascii_names(app, data):
    client = signed_in(app, "admin")
    xlsx = client.get(f"/reports/official.xlsx?unit={data.province_id}&period=2026-H1")
    assert xlsx.status_code == 200 and xlsx.mimetype == XLSX
    assert xlsx.headers["Content-Disposition"] == 'attachment; filename="bao-cao-hai-long-tinh-bac-giang-2026-H1.xlsx"'
    assert "Vòi vĩnh, đòi tiền ngoài quy định" in sheet_text(xlsx.data)
    pdf = client.get(f"/reports/official.pdf?unit={data.commune_b_id}&period=2026-H1")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9-]+\.pdf"', pdf.headers["Content-Disposition"])
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) >= 1


def test_manager_gets_own_tree_without_integrity_reasons(app, data):
    client = signed_in(app, "manager", data.commune_a_id)
    xlsx = client.get(f"/reports/official.xlsx?unit={data.commune_a_id}&period=2026-H1")
    assert xlsx.status_code == 200
    content = sheet_text(xlsx.data)
    assert "Nguyễn Văn An" in content and "Lê Văn Cường" not in content
    assert "Gây khó khăn" not in content and "Vòi vĩnh" not in content
    for outside in (data.commune_b_id, data.province_id, 9999):
        assert client.get(f"/reports/official.pdf?unit={outside}&period=2026-H1").status_code == 404
    assert client.get(f"/reports/official?unit={data.commune_b_id}").status_code == 404


def test_inspector_gets_integrity_reasons(app, data):
    client = signed_in(app, "inspector", data.province_id)
    xlsx = client.get(f"/reports/official.xlsx?unit={data.district_id}&period=2026-H1")
    assert "Gây khó khăn, nhũng nhiễu" in sheet_text(xlsx.data)


@pytest.mark.parametrize("query", ["", "period=2026-H1", "unit={unit}", "unit={unit}&period=2026-H9",
                                   "unit={unit}&period=2026-07-01..2026-01-01", "unit=abc&period=2026-H1"])
def test_download_without_a_readable_unit_and_period_is_refused_clearly(app, data, query):
    client = signed_in(app, "admin")
    response = client.get("/reports/official.pdf?" + query.format(unit=data.commune_a_id))
    assert response.status_code == 400
    assert "Hãy chọn đơn vị và kỳ đánh giá (ví dụ 2026-H1) rồi tải báo cáo." in text(response)


def test_unknown_format_and_signed_out_visitor(app, data):
    client = signed_in(app, "admin")
    assert client.get(f"/reports/official.docx?unit={data.province_id}&period=2026-H1").status_code == 404
    anonymous = app.test_client().get(f"/reports/official.pdf?unit={data.province_id}&period=2026-H1")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
