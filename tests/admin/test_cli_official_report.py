"""flask official-report: the province's or a unit's report to a file, and the refusals."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from .reports.official_support import add_official_data
from .test_cli import assert_clean_refusal


@pytest.fixture
def data(app, world):
    with app.app_context():
        add_official_data(world)
    return world


def sheet_text(path) -> str:
    sheet = load_workbook(path).active
    return " ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None)


def test_province_report_as_xlsx_without_integrity_by_default(runner, data, tmp_path):
    out = tmp_path / "tinh.xlsx"
    result = runner.invoke(args=["official-report", "--province", "--period", "2026-H1", "--format", "xlsx",
                                 "--output", str(out), "--date", "2026-07-06"])
    assert result.exit_code == 0, result.output
    assert "3 cán bộ" in result.stdout and "3 officers" in result.stdout
    content = sheet_text(out)
    assert "Bắc Giang, ngày 06 tháng 07 năm 2026" in content
    assert "Lê Văn Cường" in content and "Vòi vĩnh" not in content


def test_unit_report_as_pdf_with_integrity_on_request(runner, data, tmp_path):
    out = tmp_path / "xa.pdf"
    result = runner.invoke(args=["official-report", "--unit", str(data.commune_b_id), "--period", "2026-H1",
                                 "--format", "pdf", "--output", str(out), "--with-integrity"])
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "UBND XÃ HỢP THỊNH" in text and "Vòi vĩnh" in text


@pytest.mark.parametrize("args, code, phrase", [
    (["--period", "2026-H1"], 2, "exactly one of --unit ID and --province"),
    (["--province", "--unit", "1", "--period", "2026-H1"], 2, "exactly one of --unit ID and --province"),
    (["--province", "--period", "2026-H3"], 2, "'2026-H3' is not a survey period"),
    (["--unit", "9999", "--period", "2026-H1"], 1, "There is no unit 9999."),
    (["--province", "--period", "2026-H1", "--date", "06/07/2026"], 2, "is not a date like"),
])
def test_bad_arguments_are_refused_in_one_sentence(runner, data, tmp_path, args, code, phrase):
    out = tmp_path / "r.pdf"
    result = runner.invoke(args=["official-report", *args, "--format", "pdf", "--output", str(out)])
    assert_clean_refusal(result, code, phrase)
    assert not out.exists()


def test_missing_options_and_bad_format_are_usage_errors(runner, data, tmp_path):
    result = runner.invoke(args=["official-report", "--province", "--period", "2026-H1", "--format", "docx",
                                 "--output", str(tmp_path / "r")])
    assert result.exit_code == 2 and "docx" in result.output
    result = runner.invoke(args=["official-report", "--province", "--format", "pdf", "--output", str(tmp_path / "r")])
    assert result.exit_code == 2 and "--period" in result.output
