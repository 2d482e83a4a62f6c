"""The official report as XLSX (admin/reports/official_xlsx.py): read back with openpyxl and with LibreOffice."""
from __future__ import annotations

import io
import subprocess

import pytest
from openpyxl import load_workbook

from admin.reports.official import official_report
from admin.reports.official_xlsx import report_xlsx

from .official_support import ISSUED, PERIOD, add_official_data, need, pdf_text


@pytest.fixture
def data(w):
    add_official_data(w)
    return w


def rows_of(body: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]


def row_starting(rows, *cells):
    return next(row for row in rows if list(row[: len(cells)]) == list(cells))


def test_xlsx_holds_the_form_and_numbers_that_add_up(data):
    body = report_xlsx(official_report(data.province_id, PERIOD, ISSUED, include_integrity=True))
    book = load_workbook(io.BytesIO(body))
    sheet = book.active
    assert sheet.title == "Báo cáo"
    texts = [c for row in rows_of(body) for c in row if isinstance(c, str)]
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "TỈNH BẮC GIANG",
                     "Bắc Giang, ngày 06 tháng 07 năm 2026", "BÁO CÁO",
                     "Kỳ đánh giá: 6 tháng đầu năm 2026 (từ 01/01/2026 đến 30/06/2026)",
                     "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên)", "Gây khó khăn, nhũng nhiễu"):
        assert expected in texts
    rows = rows_of(body)
    # STT, name, ratings, (count, %) per level best first, rate now, rate before, change.
    assert row_starting(rows, 1, "Lê Văn Cường") == [1, "Lê Văn Cường", 5, 4, 80, 0, 0, 1, 20, 80, 100, -20]
    an = row_starting(rows, 2, "Nguyễn Văn An")
    assert an[2:] == [10, 6, 60, 2, 20, 2, 20, 80, 50, 30]
    binh = row_starting(rows, 3, "Trần Thị Bình")
    assert binh[9:] == [66.67, None, None]
    total = next(row for row in rows if row[0] == "Tổng cộng")
    assert total[2:] == [20, 11, 55, 3, 15, 6, 30, 70, 64.29, 5.71]
    # Numbers stay numbers, shown with the Vietnamese locale's separators.
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == 64.29)
    assert cell.number_format == "[$-42A]0.00"
    assert sheet.page_setup.paperSize == 9


def test_xlsx_for_a_manager_has_no_integrity_reason(data):
    body = report_xlsx(official_report(data.commune_a_id, PERIOD, ISSUED, include_integrity=False))
    texts = " ".join(c for row in rows_of(body) for c in row if isinstance(c, str))
    assert "nhũng nhiễu" not in texts.replace("hành vi nhũng nhiễu", "")
    assert "Vòi vĩnh" not in texts
    assert "HUYỆN HIỆP HOÀ" in texts and "UBND XÃ MAI TRUNG" in texts


def test_libreoffice_opens_the_xlsx_with_decimal_commas(data, tmp_path):
    soffice = need("soffice")
    path = tmp_path / "report.xlsx"
    path.write_bytes(report_xlsx(official_report(data.province_id, PERIOD, ISSUED, include_integrity=True)))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )
    text = pdf_text(tmp_path / "report.pdf")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Lê Văn Cường" in text
    for figure in ("64,29", "+5,71", "-20,00", "66,67"):
        assert figure in text
