"""The official report as an A4 PDF (admin/reports/official_pdf.py): page size, embedded fonts, text."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from admin.db import db
from admin.models import Officer
from admin.reports.official import official_report
from admin.reports.official_pdf import report_pdf

from .official_support import ISSUED, PERIOD, add_official_data, pdf_text
from .reports_support import add_counts

A4 = (595.28, 841.89)
LONG_NAME = "Tôn Nữ Hoàng Thị Phương Thảo Nguyên Khánh Ngọc Diễm Quỳnh Hương Giang Bảo Châu Hạnh Dung Thùy Linh"


@pytest.fixture
def data(w):
    add_official_data(w)
    return w


def fonts_of(reader: PdfReader) -> dict[str, bool]:
    """Each font used on any page, and whether its program is embedded in the file."""
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"] if "/DescendantFonts" in font \
                else font.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


def test_pdf_is_a4_with_its_fonts_embedded(data, tmp_path):
    body = report_pdf(official_report(data.province_id, PERIOD, ISSUED, include_integrity=True))
    reader = PdfReader(io.BytesIO(body))
    for page in reader.pages:
        assert (round(float(page.mediabox.width), 2), round(float(page.mediabox.height), 2)) == A4
    fonts = fonts_of(reader)
    assert {re.sub(r"^/?[A-Z]{6}\+", "", name) for name in fonts} >= {"NotoSans", "NotoSansBold", "NotoSansItalic"}
    assert all(fonts.values()), fonts


def test_pdf_says_what_the_form_says(data, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(official_report(data.province_id, PERIOD, ISSUED, include_integrity=True)))
    text = pdf_text(path)
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    for expected in ("TỈNH BẮC GIANG CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "Bắc Giang, ngày 06 tháng 07 năm 2026", "BÁO CÁO",
                     "Kỳ đánh giá: 6 tháng đầu năm 2026 (từ 01/01/2026 đến 30/06/2026)",
                     "So sánh với kỳ trước: 6 tháng cuối năm 2025 (từ 01/07/2025 đến 31/12/2025)",
                     "NGƯỜI LẬP BIỂU THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên) (Ký, ghi rõ họ tên)", "Trang 1/2"):
        assert any(expected in line for line in lines), expected
    assert "1 Lê Văn Cường 5 4 80,00 0 0,00 1 20,00 80,00 100,00 -20,00" in lines
    assert "2 Nguyễn Văn An 10 6 60,00 2 20,00 2 20,00 80,00 50,00 +30,00" in lines
    assert "3 Trần Thị Bình 3 1 33,33 1 33,33 1 33,33 66,67 – –" in lines
    assert "Tổng cộng 20 11 55,00 3 15,00 6 30,00 70,00 64,29 +5,71" in lines
    assert "5 Gây khó khăn, nhũng nhiễu 1 5,00 0" in lines


def test_pdf_for_a_manager_has_no_integrity_reason(data, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(official_report(data.commune_a_id, PERIOD, ISSUED, include_integrity=False)))
    text = pdf_text(path)
    assert "Gây khó khăn" not in text and "Vòi vĩnh" not in text
    assert "Không gồm các phản ánh về hành vi nhũng nhiễu" in re.sub(r"\s+", " ", text)


def test_long_tables_repeat_their_heading_and_long_names_wrap(w, tmp_path):
    officers = [Officer(code=f"LT-{n:03d}", name=f"Cán bộ số {n:03d}", unit_id=w.commune_a_id) for n in range(90)]
    officers.append(Officer(code="LT-999", name=LONG_NAME, unit_id=w.commune_a_id))
    db.session.add_all(officers)
    db.session.commit()
    for officer in officers:
        add_counts(PERIOD.start, officer.id, w.desk_a_id, {3: 2, 1: 1})
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(official_report(w.province_id, PERIOD, ISSUED, include_integrity=True)))
    pages = pdf_text(path).split("\f")[:-1]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Trang {number}/{len(pages)}" in page
    officer_pages = [page for page in pages if "Cán bộ số" in page]
    assert len(officer_pages) >= 2
    assert all("Họ và tên" in page for page in officer_pages)
    words = " ".join(pages).split()
    assert all(word in words for word in LONG_NAME.split())
    long_lines = [line for page in pages for line in page.splitlines() if "Tôn Nữ" in line]
    assert LONG_NAME not in long_lines[0]  # wrapped onto more lines, not clipped
