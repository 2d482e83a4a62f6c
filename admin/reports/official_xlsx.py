"""The official report as an XLSX workbook (XlsxWriter), one sheet laid out like the printed form.

Figures stay numbers, so a reader can add them up or sort them; only their
display is formatted. The decimal comma: a spreadsheet shows a number with
the reader's own separators, and only text could force a comma everywhere,
which would stop every sum. So the cells hold numbers, and each number
format carries the Vietnamese locale (``[$-42A]``): LibreOffice then writes
``85,71`` and ``1.234`` whatever the machine's settings, and Excel follows
the Windows region, which is Vietnamese on the province's machines. Rates are
stored as the per cent the form prints (85.71, already rounded half away
from zero like every report), not as a fraction, so the sheet shows exactly
the figure of the PDF.
"""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from . import official as form
from .official import OfficialReport

LOCALE = "[$-42A]"  # Vietnamese (LCID 0x042A): the decimal comma and the thousands dot in LibreOffice
NUMBER_FORMATS = {"count": LOCALE + "#,##0", "pct": LOCALE + "0.00", "change": LOCALE + "+0.00;-0.00;0.00"}
FONT = {"font_name": "Times New Roman", "font_size": 11}


class _Sheet:
    """The sheet being written, with its formats and the next free row."""

    def __init__(self, book: xlsxwriter.Workbook, sheet: Worksheet, width: int) -> None:
        self.book, self.ws, self.width, self.row = book, sheet, width, 0
        self._formats: dict[tuple, Any] = {}

    def fmt(self, **props: Any):
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format({**FONT, "valign": "vcenter", **props})
        return self._formats[key]

    def line(self, text: str, first: int = 0, last: int | None = None, **props: Any) -> None:
        """``text`` across columns ``first`` to ``last`` of the current row (merged)."""
        last = self.width - 1 if last is None else last
        cell = self.fmt(text_wrap=True, **props)
        if last > first:
            self.ws.merge_range(self.row, first, self.row, last, text, cell)
        else:
            self.ws.write_string(self.row, first, text, cell)

    def figure(self, col: int, value: int | Decimal | None, kind: str, **props: Any) -> None:
        cell = self.fmt(border=1, num_format=NUMBER_FORMATS[kind], align="right", **props)
        if value is None:
            self.ws.write_blank(self.row, col, None, cell)
        else:
            self.ws.write_number(self.row, col, float(value), cell)


def report_xlsx(report: OfficialReport) -> bytes:
    """The workbook's bytes."""
    columns = form.figure_columns(report)
    width = 2 + len(columns)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"title": f"{form.TITLE} {form.SUBTITLE.lower()}", "subject": report.period_text, "author": report.unit_name})
    s = _Sheet(book, book.add_worksheet("Báo cáo"), width)
    s.ws.set_paper(9)  # A4
    s.ws.set_portrait() if len(columns) <= 10 else s.ws.set_landscape()
    s.ws.fit_to_pages(1, 0)
    s.ws.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    s.ws.set_footer("&C&\"Times New Roman\"Trang &P/&N")
    s.ws.set_column(0, 0, 5)
    s.ws.set_column(1, 1, 34)
    s.ws.set_column(2, width - 1, 10)
    _heading(s, report)
    _summary(s, report)
    _table(s, report, "units", form.COLUMNS["unit"], [(None, report.units)], note=form.UNITS_NOTE)
    _table(s, report, "officers", form.COLUMNS["officer"], [(g.unit_name, g.officers) for g in report.groups])
    _reasons(s, report)
    _signatures(s)
    book.close()
    return out.getvalue()


def _heading(s: _Sheet, report: OfficialReport) -> None:
    """The issuer under its parent on the left, the national motto and the date line on the right."""
    split = 4 if s.width > 8 else 2
    issuer = {"bold": True, "underline": 1}
    if report.parent_name:
        left = [report.parent_name.upper(), report.unit_name.upper(), "Số:        /BC"]
        styles_left = [{}, issuer, {}]
    else:
        left = [report.unit_name.upper(), "", "Số:        /BC"]
        styles_left = [issuer, {}, {}]
    right = [form.MOTTO[0], form.MOTTO[1], form.date_line(report)]
    styles_right = [{"bold": True}, {"bold": True, "underline": 1}, {"italic": True}]
    for text_l, text_r, style_l, style_r in zip(left, right, styles_left, styles_right):
        s.line(text_l, 0, split - 1, align="center", **style_l)
        s.line(text_r, split, s.width - 1, align="center", **style_r)
        s.row += 1
    s.row += 1
    s.line(form.TITLE, align="center", bold=True, font_size=14)
    s.row += 1
    s.line(form.SUBTITLE, align="center", bold=True)
    s.row += 1
    s.line(f"Kỳ đánh giá: {report.period_text}", align="center")
    s.row += 1
    s.line(f"So sánh với kỳ trước: {report.previous_text}", align="center", italic=True)
    s.row += 2


def _section(s: _Sheet, key: str) -> None:
    s.line(form.SECTIONS[key], bold=True)
    s.row += 1


def _summary(s: _Sheet, report: OfficialReport) -> None:
    _section(s, "summary")
    header = s.fmt(bold=True, border=1, align="center", text_wrap=True, bg_color="#EEEEEE")
    s.ws.write_string(s.row, 0, form.COLUMNS["no"], header)
    for col, heading in enumerate(form.SUMMARY_HEADINGS, start=1):
        s.ws.write_string(s.row, col, heading, header)
    s.ws.set_row(s.row, 45)
    s.row += 1
    for no, (label, values) in enumerate(form.summary_rows(report), start=1):
        s.ws.write_number(s.row, 0, no, s.fmt(border=1, align="center"))
        s.ws.write_string(s.row, 1, label, s.fmt(border=1, text_wrap=True))
        for col, (value, kind) in enumerate(zip(values, form.SUMMARY_KINDS), start=2):
            s.figure(col, value, kind)
        s.row += 1
    s.row += 1


def _table(s: _Sheet, report: OfficialReport, key: str, name_heading: str,
           groups: list[tuple[str | None, list]], note: str | None = None) -> None:
    """A unit or officer table: two heading rows (a level over its count and rate), lines, the total."""
    _section(s, key)
    header = s.fmt(bold=True, border=1, align="center", text_wrap=True, bg_color="#EEEEEE")
    top, below = s.row, s.row + 1
    s.ws.merge_range(top, 0, below, 0, form.COLUMNS["no"], header)
    s.ws.merge_range(top, 1, below, 1, name_heading, header)
    columns = form.figure_columns(report)
    col = 2
    while col - 2 < len(columns):
        column = columns[col - 2]
        if column.level is None:
            s.ws.merge_range(top, col, below, col, column.heading, header)
            col += 1
        else:
            s.ws.merge_range(top, col, top, col + 1, column.level, header)
            s.ws.write_string(below, col, column.heading, header)
            s.ws.write_string(below, col + 1, columns[col - 1].heading, header)
            col += 2
    s.ws.set_row(top, 30)
    s.ws.set_row(below, 45)
    s.row += 2
    no = 0
    for group_name, lines in groups:
        if group_name is not None:
            s.line(group_name, border=1, bold=True, bg_color="#F7F7F7")
            s.row += 1
        for line in lines:
            no += 1
            bold = line.subtotal
            s.ws.write_number(s.row, 0, no, s.fmt(border=1, align="center", bold=bold))
            s.ws.write_string(s.row, 1, line.name, s.fmt(border=1, text_wrap=True, indent=line.depth, bold=bold))
            for offset, (value, column) in enumerate(zip(form.figures(report, line), columns)):
                s.figure(2 + offset, value, column.kind, bold=bold)
            s.row += 1
    if key == "units":
        s.ws.merge_range(s.row, 0, s.row, 1, report.total.name, s.fmt(border=1, bold=True, align="center"))
        for offset, (value, column) in enumerate(zip(form.figures(report, report.total), columns)):
            s.figure(2 + offset, value, column.kind, bold=True)
        s.row += 1
    if no == 0:
        s.line("Không có lượt đánh giá nào trong kỳ.", border=1, italic=True, align="center")
        s.row += 1
    if note:
        s.line(f"Ghi chú: {note}", italic=True, font_size=10)
        s.row += 1
    s.row += 1


def _reasons(s: _Sheet, report: OfficialReport) -> None:
    _section(s, "reasons")
    header = s.fmt(bold=True, border=1, align="center", text_wrap=True, bg_color="#EEEEEE")
    for col, heading in enumerate((form.COLUMNS["no"], form.COLUMNS["reason"], form.COLUMNS["now"], form.COLUMNS["share"], form.COLUMNS["before"])):
        s.ws.write_string(s.row, col, heading, header)
    s.ws.set_row(s.row, 45)
    s.row += 1
    for no, reason in enumerate(report.reasons, start=1):
        s.ws.write_number(s.row, 0, no, s.fmt(border=1, align="center"))
        s.ws.write_string(s.row, 1, reason.label, s.fmt(border=1, text_wrap=True))
        s.figure(2, reason.now, "count")
        s.figure(3, report.share_of_ratings(reason.now), "pct")
        s.figure(4, reason.before, "count")
        s.row += 1
    if not report.include_integrity:
        s.line(f"Ghi chú: {form.INTEGRITY_NOTE}", italic=True, font_size=10)
        s.row += 1
    s.row += 1


def _signatures(s: _Sheet) -> None:
    """NGƯỜI LẬP BIỂU on the left, THỦ TRƯỞNG ĐƠN VỊ on the right, each over its note."""
    split = s.width // 2
    for (left, right), style in zip(zip(*form.SIGNERS), ({"bold": True}, {"italic": True})):
        s.line(left, 0, split - 1, align="center", **style)
        s.line(right, split, s.width - 1, align="center", **style)
        s.row += 1
