"""The official report as an A4 PDF (fpdf2), with its font embedded.

The font is Noto Sans, vendored in ``fonts/`` (see its README) and embedded as
a subset in every file, so the report prints the same from any server and on
any printer, whatever fonts are installed. The page is A4 portrait, as the
administrative form is; only a scale of more than three levels (fourteen
figure columns and more) turns it to landscape, because those columns at a
readable size need the 265 mm that landscape gives. Every table repeats its
heading rows on each page it runs onto, names wrap inside their cell, and
every page says "Trang x/y".
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import TableCellFillMode

from . import official as form
from .official import Line, OfficialReport

FONTS = Path(__file__).parent / "fonts"
FAMILY = "NotoSans"
PORTRAIT_MAX_FIGURES = 10
NO_WIDTH = 8  # mm, the STT column
FIGURE_MIN_WIDTH = 13  # mm, enough for "12.878" and a heading word at 7 pt
HEADING = FontFace(family=FAMILY, emphasis="B", size_pt=7, fill_color=(235, 235, 235))
GROUP = FontFace(family=FAMILY, emphasis="B", size_pt=8, fill_color=(246, 246, 246))
BOLD = FontFace(family=FAMILY, emphasis="B", size_pt=8)
# Rows of about 5 mm: a unit's report, signatures included, fits on one page.
LINE, PADDING = 3.4, (0.7, 1)
# The signers' titles and 20 mm below them to sign in.
SIGNATURE_HEIGHT = 30


class _Document(FPDF):
    """The pages: A4, Noto Sans, "Trang x/y" at the foot of each."""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")


def report_pdf(report: OfficialReport) -> bytes:
    """The PDF's bytes."""
    columns = form.figure_columns(report)
    pdf = _Document(orientation="P" if len(columns) <= PORTRAIT_MAX_FIGURES else "L", format="A4")
    pdf.set_title(f"{form.TITLE} {form.SUBTITLE.lower()}")
    pdf.set_subject(report.period_text)
    pdf.set_author(report.unit_name)
    pdf.set_creator("Hài Lòng")
    for style, name in (("", "Regular"), ("B", "Bold"), ("I", "Italic")):
        pdf.add_font(FAMILY, style, FONTS / f"NotoSans-{name}.ttf")
    # Left 20 mm for the binding, as administrative documents keep a wider left margin.
    pdf.set_margins(left=20, top=15, right=12)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    _heading(pdf, report)
    _summary(pdf, report)
    _table(pdf, report, "units", form.COLUMNS["unit"], [(None, report.units)], note=form.UNITS_NOTE)
    _table(pdf, report, "officers", form.COLUMNS["officer"], [(g.unit_name, g.officers) for g in report.groups])
    _reasons(pdf, report)
    _signatures(pdf)
    return bytes(pdf.output())


def _centered_lines(pdf: FPDF, x: float, y: float, width: float, lines: list[tuple[str, str, float]]) -> list[float]:
    """Each (text, style, size) centred in a column, wrapping; the y after each line."""
    pdf.set_xy(x, y)
    ends = []
    for text, style, size in lines:
        pdf.set_font(FAMILY, style, size)
        pdf.set_x(x)
        pdf.multi_cell(width, size * 0.5, text, align="C", new_x="LEFT", new_y="NEXT")
        ends.append(pdf.get_y())
    return ends


def _rule_under(pdf: FPDF, x: float, width: float, y: float, text: str, style: str, size: float, part: float) -> None:
    """The short line Vietnamese documents draw under the issuer and under the motto."""
    pdf.set_font(FAMILY, style, size)
    length = min(pdf.get_string_width(text), width) * part
    pdf.set_line_width(0.3)
    pdf.line(x + (width - length) / 2, y + 0.6, x + (width + length) / 2, y + 0.6)


def _heading(pdf: FPDF, report: OfficialReport) -> None:
    """The issuer under its parent on the left, the national motto on the right, then the title."""
    page = pdf.epw
    left_w, right_w = page * 0.42, page * 0.58
    x_left, x_right, top = pdf.l_margin, pdf.l_margin + page * 0.42, pdf.get_y()
    issuer = report.unit_name.upper()
    left = [(issuer, "B", 10)]
    if report.parent_name:
        left.insert(0, (report.parent_name.upper(), "", 10))
    left_ends = _centered_lines(pdf, x_left, top, left_w, left)
    _rule_under(pdf, x_left, left_w, left_ends[-1], issuer.split("\n")[-1], "B", 10, 0.4)
    right_ends = _centered_lines(pdf, x_right, top, right_w, [(form.MOTTO[0], "B", 10), (form.MOTTO[1], "B", 10.5)])
    _rule_under(pdf, x_right, right_w, right_ends[-1], form.MOTTO[1], "B", 10.5, 1.0)
    y = max(left_ends[-1], right_ends[-1]) + 3
    _centered_lines(pdf, x_left, y, left_w, [("Số:          /BC", "", 10)])
    end = _centered_lines(pdf, x_right, y, right_w, [(form.date_line(report), "I", 10)])[-1]
    pdf.set_y(end + 6)
    for text, style, size in ((form.TITLE, "B", 14), (form.SUBTITLE, "B", 11)):
        pdf.set_font(FAMILY, style, size)
        pdf.multi_cell(0, size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 5.5, f"Kỳ đánh giá: {report.period_text}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "I", 10)
    pdf.multi_cell(0, 5.5, f"So sánh với kỳ trước: {report.previous_text}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _section(pdf: FPDF, key: str) -> None:
    # A heading never stays alone at the foot of a page.
    if pdf.get_y() > pdf.page_break_trigger - 30:
        pdf.add_page()
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(0, 7, form.SECTIONS[key], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _note(pdf: FPDF, text: str) -> None:
    pdf.set_font(FAMILY, "I", 8)
    pdf.multi_cell(0, 4, f"Ghi chú: {text}", new_x="LMARGIN", new_y="NEXT")


def _figure(value: int | Decimal | None, kind: str) -> str:
    if kind == "change":
        return form.vi_change(value)
    return form.vi_number(value, 0 if kind == "count" else 2)


def _summary(pdf: FPDF, report: OfficialReport) -> None:
    _section(pdf, "summary")
    pdf.set_font(FAMILY, "", 8)
    label_w = pdf.epw - NO_WIDTH - 5 * 22
    with pdf.table(
        col_widths=(NO_WIDTH, label_w, *([22] * 5)), headings_style=HEADING, line_height=LINE,
        text_align=("CENTER", "LEFT", *(["RIGHT"] * 5)), padding=PADDING, repeat_headings=1,
    ) as table:
        heading = table.row()
        for text in (form.COLUMNS["no"], *form.SUMMARY_HEADINGS):
            heading.cell(text, align="CENTER")
        for no, (label, values) in enumerate(form.summary_rows(report), start=1):
            row = table.row()
            row.cell(str(no))
            row.cell(label)
            for value, kind in zip(values, form.SUMMARY_KINDS):
                row.cell(_figure(value, kind))
    pdf.ln(3)


def _table(pdf: FPDF, report: OfficialReport, key: str, name_heading: str,
           groups: list[tuple[str | None, list[Line]]], note: str | None = None) -> None:
    """A unit or officer table: two heading rows (a level over its count and rate), lines, the total."""
    _section(pdf, key)
    columns = form.figure_columns(report)
    figure_w = max(FIGURE_MIN_WIDTH, (pdf.epw - NO_WIDTH - 40) / len(columns))
    name_w = pdf.epw - NO_WIDTH - figure_w * len(columns)
    pdf.set_font(FAMILY, "", 8)
    with pdf.table(
        col_widths=(NO_WIDTH, name_w, *([figure_w] * len(columns))), headings_style=HEADING,
        num_heading_rows=2, repeat_headings=1, line_height=LINE, padding=PADDING,
        text_align=("CENTER", "LEFT", *(["RIGHT"] * len(columns))),
        cell_fill_mode=TableCellFillMode.NONE,
    ) as table:
        top, below = table.row(), table.row()
        top.cell(form.COLUMNS["no"], align="CENTER", rowspan=2)
        top.cell(name_heading, align="CENTER", rowspan=2)
        index = 0
        while index < len(columns):
            column = columns[index]
            if column.level is None:
                top.cell(column.heading, align="CENTER", rowspan=2)
                index += 1
            else:
                top.cell(column.level, align="CENTER", colspan=2)
                below.cell(column.heading, align="CENTER")
                below.cell(columns[index + 1].heading, align="CENTER")
                index += 2
        no = 0
        for group_name, lines in groups:
            if group_name is not None:
                table.row().cell(group_name, style=GROUP, colspan=2 + len(columns), align="LEFT")
            for line in lines:
                no += 1
                style = BOLD if line.subtotal else None
                row = table.row()
                row.cell(str(no), style=style)
                row.cell("    " * line.depth + line.name, style=style)
                for value, column in zip(form.figures(report, line), columns):
                    row.cell(_figure(value, column.kind), style=style)
        if no == 0:
            table.row().cell("Không có lượt đánh giá nào trong kỳ.", colspan=2 + len(columns), align="CENTER")
        if key == "units":
            row = table.row()
            row.cell(report.total.name, style=BOLD, colspan=2, align="CENTER")
            for value, column in zip(form.figures(report, report.total), columns):
                row.cell(_figure(value, column.kind), style=BOLD)
    if note:
        _note(pdf, note)
    pdf.ln(3)


def _reasons(pdf: FPDF, report: OfficialReport) -> None:
    """The reasons table; on a new page with the signatures when both would not fit on this one.

    The signatures then never stand alone on the last page. The height is
    reckoned before drawing: the heading, a row of about 5 mm per reason,
    the note and the signatures.
    """
    needed = 6.5 + 9 + 5.2 * len(report.reasons) + (5 if not report.include_integrity else 0) + 5 + SIGNATURE_HEIGHT
    if pdf.get_y() + needed > pdf.page_break_trigger:
        pdf.add_page()
    _section(pdf, "reasons")
    pdf.set_font(FAMILY, "", 8)
    label_w = pdf.epw - NO_WIDTH - 3 * 26
    with pdf.table(
        col_widths=(NO_WIDTH, label_w, 26, 26, 26), headings_style=HEADING, line_height=LINE, padding=PADDING,
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "RIGHT"), repeat_headings=1,
    ) as table:
        heading = table.row()
        for text in (form.COLUMNS["no"], form.COLUMNS["reason"], form.COLUMNS["now"], form.COLUMNS["share"], form.COLUMNS["before"]):
            heading.cell(text, align="CENTER")
        for no, reason in enumerate(report.reasons, start=1):
            row = table.row()
            for text in (str(no), reason.label, form.vi_number(reason.now, 0),
                         form.vi_number(report.share_of_ratings(reason.now)), form.vi_number(reason.before, 0)):
                row.cell(text)
    if not report.include_integrity:
        _note(pdf, form.INTEGRITY_NOTE)
    pdf.ln(5)


def _signatures(pdf: FPDF) -> None:
    """NGƯỜI LẬP BIỂU on the left, THỦ TRƯỞNG ĐƠN VỊ on the right, with room to sign below; never split."""
    if pdf.get_y() > pdf.page_break_trigger - SIGNATURE_HEIGHT:
        pdf.add_page()
    half, y = pdf.epw / 2, pdf.get_y()
    for i, (title, hint) in enumerate(form.SIGNERS):
        _centered_lines(pdf, pdf.l_margin + i * half, y, half, [(title, "B", 10), (hint, "I", 9)])
