"""The official six-monthly report ("Báo cáo kết quả đánh giá mức độ hài lòng"): its figures.

A report covers one unit and everything below it (the province's report is
that of the top unit) over a survey period, beside the period before. It
holds what the official form prints: the issuing unit under its parent, the
place, the totals per level of the scale, a line per unit, a line per officer
grouped by unit, the reasons, and each satisfaction rate beside the previous
period's with the change in percentage points.

Everything is read from the daily counts (``daily_counts``), never from the
single ratings, in one grouped query per table that spans both periods, so
the report stays fast at tens of millions of ratings. The formats live in
``official_xlsx`` and ``official_pdf``; the words and number formats they
share are at the bottom of this module. The document is always in
Vietnamese, whatever the reader's console language: it is the official form.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import force_locale
from sqlalchemy import case, func, or_, select

from ..db import db
from ..models import DailyReasonCount, Desk, Officer, Reason, Unit
from ..periods import Period
from ..scale import Scale, load_reasons, load_scale
from ..units import subtree_unit_ids_select
from .rates import round_ratio, tally
from .span import span_rows

# The words a unit's name starts with that name its kind, not its place:
# "UBND xã Mai Trung" is issued at "Mai Trung".
LOCALITY_PREFIX = re.compile(
    r"^(?:(?:ủy|uỷ) ban nhân dân|ubnd|hđnd)?\s*(?:tỉnh|thành phố|tp\.?|huyện|quận|thị xã|xã|phường|thị trấn)\s+",
    re.IGNORECASE,
)


@dataclass
class Totals:
    """A group of ratings in one period: counts per score, the satisfied, the rates."""

    ratings: int
    satisfied: int
    satisfaction_pct: Decimal | None
    mean_score: Decimal | None
    counts: dict[int, int]

    def share(self, score: int) -> Decimal | None:
        """The part of the ratings given ``score``, in per cent, rounded as the reports print it."""
        return round_ratio(100 * self.counts.get(score, 0), self.ratings)


def _totals(counts: dict[int, int], scale: Scale) -> Totals:
    return Totals(**tally(counts, scale))


def change_pp(now: Totals, before: Totals) -> Decimal | None:
    """The change of the satisfaction rate, in percentage points; None when either period has no rate."""
    if now.satisfaction_pct is None or before.satisfaction_pct is None:
        return None
    return now.satisfaction_pct - before.satisfaction_pct


@dataclass
class Line:
    """One line of a table: a unit or an officer, this period and the one before."""

    name: str
    now: Totals
    before: Totals
    code: str = ""
    title: str = ""
    depth: int = 0
    subtotal: bool = False
    unit_id: int | None = None

    @property
    def change(self) -> Decimal | None:
        return change_pp(self.now, self.before)


@dataclass
class UnitGroup:
    """The officers of one unit, for the per-officer table."""

    unit_id: int
    unit_name: str
    officers: list[Line]


@dataclass
class ReasonLine:
    """A reason (in Vietnamese) with how often it was given in this period and in the one before."""

    code: str
    label: str
    integrity: bool
    now: int
    before: int


@dataclass
class OfficialReport:
    """Everything the official form prints, in Vietnamese."""

    unit_id: int
    unit_name: str
    parent_name: str | None
    place: str
    issued_on: date
    period: Period
    period_text: str
    previous: Period
    previous_text: str
    scale: Scale
    level_labels: dict[int, str]
    include_integrity: bool
    total: Line
    units: list[Line]
    groups: list[UnitGroup]
    reasons: list[ReasonLine] = field(default_factory=list)

    @property
    def is_province(self) -> bool:
        """A report of a top unit, the province's own."""
        return self.parent_name is None

    @property
    def officer_count(self) -> int:
        return sum(len(group.officers) for group in self.groups)

    def share_of_ratings(self, count: int) -> Decimal | None:
        """``count`` as a part of this period's ratings, in per cent (how often a reason was given)."""
        return round_ratio(100 * count, self.total.now.ratings)

    @property
    def levels(self) -> list[int]:
        """The scores of the scale, best first, as the form lists them."""
        return list(reversed(self.scale.scores))


def official_report(unit_id: int, period: Period, issued_on: date, include_integrity: bool) -> OfficialReport:
    """The report of unit ``unit_id`` and the units below it over ``period``, dated ``issued_on``.

    Without ``include_integrity`` the misconduct reasons are not read at all
    (what a unit manager may see). Raises LookupError for an unknown unit.
    """
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise LookupError(f"Không có đơn vị {unit_id}. / There is no unit {unit_id}.")
    scale = load_scale()
    previous = period.previous()
    ancestors = _ancestor_names(unit)
    counts = _subtree_counts(unit.id, period, previous)
    units, total = _unit_lines(unit, counts, scale)
    # Officers' units in the order of the units table, the report's own unit first.
    tree_order = {unit_id: i for i, unit_id in enumerate([unit.id, *(line.unit_id for line in units)])}
    groups = sorted(_officer_groups(unit.id, counts, scale), key=lambda g: tree_order.get(g.unit_id, 0))
    return OfficialReport(
        unit_id=unit.id,
        unit_name=unit.name,
        parent_name=ancestors[-2] if len(ancestors) > 1 else None,
        place=place_of(ancestors),
        issued_on=issued_on,
        period=period,
        period_text=period_text(period),
        previous=previous,
        previous_text=period_text(previous),
        scale=scale,
        level_labels={score: scale.label(score, "vi") for score in scale.scores},
        include_integrity=include_integrity,
        total=total,
        units=units,
        groups=groups,
        reasons=_reason_lines(unit.id, period, previous, include_integrity),
    )


def _ancestor_names(unit: Unit) -> list[str]:
    """The names of the units from the top down to ``unit``, read in one query from its path."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part] or [unit.id]
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    return [names[i] for i in ids if i in names]


def place_of(names: list[str]) -> str:
    """The place of the date line: the nearest unit, from the issuer up, whose name is a locality.

    "UBND xã Mai Trung" gives "Mai Trung", "Tỉnh Bắc Giang" "Bắc Giang"; a
    unit named for its work ("Sở Tư pháp") takes its parent's place.
    """
    for name in reversed(names):
        stripped = LOCALITY_PREFIX.sub("", name.strip(), count=1)
        if stripped != name.strip() and stripped:
            return stripped
    return names[0] if names else ""


def period_text(period: Period) -> str:
    """"6 tháng đầu năm 2026 (từ 01/01/2026 đến 30/06/2026)"; a custom span as its two dates."""
    span = f"từ {vi_date(period.start)} đến {vi_date(period.end)}"
    if period.kind == "custom":
        return span[0].upper() + span[1:]
    with force_locale("vi"):
        return f"{period.label()} ({span})"


def _per_period(column, count, period: Period, previous: Period):
    """(the range condition, the sum of ``count`` in this period, the sum in the period before)."""
    return (
        column.between(previous.start, period.end),
        func.sum(case((column >= period.start, count), else_=0)).label("now"),
        func.sum(case((column < period.start, count), else_=0)).label("before"),
    )


def _subtree_counts(unit_id: int, period: Period, previous: Period) -> list:
    """(desk, officer, score, now, before) for every desk or officer of the subtree: one grouped scan.

    Both tables come from it: the units' lines by desk, the officers' by
    officer, so the daily counts of both periods are read once.
    """
    units = subtree_unit_ids_select(unit_id)
    counts = span_rows((previous.start, previous.end), (period.start, period.end))
    _, now, before = _per_period(counts.c.day, counts.c.count, period, previous)
    return db.session.execute(
        select(counts.c.desk_id, counts.c.officer_id, counts.c.score, now, before)
        .where(
            or_(
                counts.c.desk_id.in_(select(Desk.id).where(Desk.unit_id.in_(units))),
                counts.c.officer_id.in_(select(Officer.id).where(Officer.unit_id.in_(units))),
            ),
        )
        .group_by(counts.c.desk_id, counts.c.officer_id, counts.c.score)
    ).all()


def _add(into: dict[int, int], score: int, n: int) -> None:
    into[score] = into.get(score, 0) + n


def _unit_lines(unit: Unit, counts: list, scale: Scale) -> tuple[list[Line], Line]:
    """The total, and a line per unit of the subtree, in tree order, counting the ratings made at its desks.

    The desk decides, so a unit's line holds the ratings made there with
    nobody on duty as well. A unit with units below it is a subtotal
    (``Line.subtotal``) of its own desks and theirs; the report's own unit is
    left out when it has units below it, as the total says the same.
    """
    subtree = db.session.execute(
        select(Unit.id, Unit.name, Unit.parent_id).where(Unit.path.like(unit.path + "%"))
    ).all()
    desk_unit = dict(
        db.session.execute(select(Desk.id, Desk.unit_id).where(Desk.unit_id.in_(subtree_unit_ids_select(unit.id))))
        .all()
    )
    own: dict[tuple[int, int], dict[int, int]] = {}
    for row in counts:
        if row.desk_id in desk_unit:
            _add(own.setdefault((desk_unit[row.desk_id], 1), {}), row.score, int(row.now))
            _add(own.setdefault((desk_unit[row.desk_id], 0), {}), row.score, int(row.before))
    children: dict[int | None, list] = {}
    ids = {row.id for row in subtree}
    for row in subtree:
        children.setdefault(row.parent_id if row.parent_id in ids else None, []).append(row)
    lines: list[Line] = []

    def walk(row, depth: int) -> tuple[dict[int, int], dict[int, int]]:
        """Adds the line of ``row`` and those below it; returns its subtree's counts (now, before)."""
        line = Line(row.name, _totals({}, scale), _totals({}, scale), depth=depth, unit_id=row.id)
        if depth >= 0:
            lines.append(line)
        now_counts, before_counts = dict(own.get((row.id, 1), {})), dict(own.get((row.id, 0), {}))
        below = sorted(children.get(row.id, []), key=lambda r: (r.name, r.id))
        for child in below:
            child_now, child_before = walk(child, depth + 1)
            for mine, theirs in ((now_counts, child_now), (before_counts, child_before)):
                for score, n in theirs.items():
                    _add(mine, score, n)
        line.now, line.before, line.subtotal = _totals(now_counts, scale), _totals(before_counts, scale), bool(below)
        return now_counts, before_counts

    top = children[None][0]
    # The report's unit is its own line only when nothing lies below it.
    now_counts, before_counts = walk(top, 0 if not children.get(top.id) else -1)
    return lines, Line("Tổng cộng", _totals(now_counts, scale), _totals(before_counts, scale))


def _officer_groups(unit_id: int, counts: list, scale: Scale) -> list[UnitGroup]:
    """The officers of the subtree rated in either period, grouped by their unit, by name within it."""
    by_officer: dict[int, tuple[dict[int, int], dict[int, int]]] = {}
    for row in counts:
        now, before = by_officer.setdefault(row.officer_id, ({}, {}))
        _add(now, row.score, int(row.now))
        _add(before, row.score, int(row.before))
    officers = db.session.execute(
        select(Officer.id, Officer.code, Officer.name, Officer.title, Unit.id.label("unit_id"), Unit.name.label("unit_name"))
        .join(Unit, Unit.id == Officer.unit_id)
        .where(Officer.unit_id.in_(subtree_unit_ids_select(unit_id)))
        .order_by(Unit.name, Unit.id, Officer.name, Officer.id)
    ).all()
    groups: list[UnitGroup] = []
    for officer in officers:
        if officer.id not in by_officer:
            continue
        now, before = by_officer[officer.id]
        if not sum(now.values()) and not sum(before.values()):
            continue
        if not groups or groups[-1].unit_id != officer.unit_id:
            groups.append(UnitGroup(officer.unit_id, officer.unit_name, []))
        groups[-1].officers.append(
            Line(officer.name, _totals(now, scale), _totals(before, scale), code=officer.code, title=officer.title)
        )
    return groups


def _reason_lines(unit_id: int, period: Period, previous: Period, include_integrity: bool) -> list[ReasonLine]:
    """Each reason with its count in both periods, at the subtree's desks; retired ones only when given."""
    in_range, now, before = _per_period(DailyReasonCount.day, DailyReasonCount.count, period, previous)
    stmt = (
        select(DailyReasonCount.reason_code, now, before)
        .where(
            in_range,
            DailyReasonCount.desk_id.in_(select(Desk.id).where(Desk.unit_id.in_(subtree_unit_ids_select(unit_id)))),
        )
        .group_by(DailyReasonCount.reason_code)
    )
    if not include_integrity:
        stmt = stmt.where(DailyReasonCount.reason_code.not_in(select(Reason.code).where(Reason.integrity.is_(True))))
    given = {code: (int(n_now), int(n_before)) for code, n_now, n_before in db.session.execute(stmt)}
    return [
        ReasonLine(reason.code, reason.label_vi, reason.integrity, *given.get(reason.code, (0, 0)))
        for reason in load_reasons(active_only=False)
        if (include_integrity or not reason.integrity) and (reason.active or reason.code in given)
    ]


# The words and number formats both formats print.

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
TITLE = "BÁO CÁO"
SUBTITLE = "Kết quả đánh giá mức độ hài lòng của tổ chức, cá nhân"
SIGNERS = (("NGƯỜI LẬP BIỂU", "(Ký, ghi rõ họ tên)"), ("THỦ TRƯỞNG ĐƠN VỊ", "(Ký, ghi rõ họ tên)"))
SECTIONS = {
    "summary": "I. KẾT QUẢ CHUNG",
    "units": "II. KẾT QUẢ THEO ĐƠN VỊ",
    "officers": "III. KẾT QUẢ THEO CÁN BỘ, CÔNG CHỨC",
    "reasons": "IV. LÝ DO CHƯA HÀI LÒNG",
}
UNITS_NOTE = "Theo quầy tiếp nhận của đơn vị, kể cả lượt đánh giá khi không có cán bộ đăng nhập tại quầy."
INTEGRITY_NOTE = "Không gồm các phản ánh về hành vi nhũng nhiễu, vòi vĩnh (chuyển Thanh tra xử lý)."
COLUMNS = {
    "no": "STT",
    "unit": "Đơn vị",
    "officer": "Họ và tên",
    "ratings": "Tổng số lượt đánh giá",
    "count": "Số lượt",
    "pct": "Tỷ lệ (%)",
    "satisfied_now": "Tỷ lệ hài lòng kỳ này (%)",
    "satisfied_before": "Tỷ lệ hài lòng kỳ trước (%)",
    "change": "Tăng (+)/ giảm (-) (điểm %)",
    "reason": "Lý do",
    "now": "Kỳ này (lượt)",
    "before": "Kỳ trước (lượt)",
    "share": "Tỷ lệ trên tổng lượt kỳ này (%)",
}


def vi_date(day: date) -> str:
    """dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")


def date_line(report: OfficialReport) -> str:
    """"Mai Trung, ngày 05 tháng 07 năm 2026"."""
    day = report.issued_on
    return f"{report.place}, ngày {day:%d} tháng {day:%m} năm {day.year}"


def vi_number(value: Decimal | int | None, decimals: int = 2) -> str:
    """A figure as Vietnamese writes it: ``1.234``, ``85,71``; a dash when there is none."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""), locale="vi")


def vi_change(value: Decimal | None) -> str:
    """A change in percentage points with its sign: ``+5,25``, ``-3,10``, ``0,00`` (Noto Sans has no U+2212 minus)."""
    if value is None:
        return "–"
    text = vi_number(abs(value))
    return f"+{text}" if value > 0 else (f"-{text}" if value < 0 else text)


def file_name(report: OfficialReport, extension: str) -> str:
    """``bao-cao-hai-long-ubnd-xa-mai-trung-2026-H1.pdf``: ASCII, no spaces, safe in any header."""
    ascii_name = unicodedata.normalize("NFKD", report.unit_name.replace("Đ", "D").replace("đ", "d"))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.encode("ascii", "ignore").decode().lower()).strip("-")
    key = report.period.key.replace("..", "_")
    return f"bao-cao-hai-long-{slug or report.unit_id}-{key}.{extension}"


@dataclass(frozen=True)
class Column:
    """A figure column of the unit and officer tables: its heading (under a level's, if any) and kind."""

    heading: str
    kind: str  # "count", "pct" or "change": how both formats write its figures
    level: str | None = None


def figure_columns(report: OfficialReport) -> list[Column]:
    """The figure columns of the unit and officer tables, after the number and the name."""
    columns = [Column(COLUMNS["ratings"], "count")]
    for score in report.levels:
        label = report.level_labels[score]
        columns += [Column(COLUMNS["count"], "count", label), Column(COLUMNS["pct"], "pct", label)]
    return columns + [
        Column(COLUMNS["satisfied_now"], "pct"),
        Column(COLUMNS["satisfied_before"], "pct"),
        Column(COLUMNS["change"], "change"),
    ]


def figures(report: OfficialReport, line: Line) -> list[int | Decimal | None]:
    """A unit's or an officer's figures, in the order of ``figure_columns``."""
    cells: list[int | Decimal | None] = [line.now.ratings]
    for score in report.levels:
        cells += [line.now.counts.get(score, 0), line.now.share(score)]
    return cells + [line.now.satisfaction_pct, line.before.satisfaction_pct, line.change]


SUMMARY_HEADINGS = ("Chỉ tiêu", "Kỳ này (lượt)", "Tỷ lệ (%)", "Kỳ trước (lượt)", "Tỷ lệ (%)", "Tăng (+)/ giảm (-) (điểm %)")
SUMMARY_KINDS = ("count", "pct", "count", "pct", "change")


def summary_rows(report: OfficialReport) -> list[tuple[str, list[int | Decimal | None]]]:
    """The first table: all ratings, each level and the satisfied, this period and the one before."""
    now, before = report.total.now, report.total.before
    hundred = Decimal("100.00")
    rows: list[tuple[str, list[int | Decimal | None]]] = [
        ("Tổng số lượt đánh giá", [now.ratings, hundred if now.ratings else None,
                                   before.ratings, hundred if before.ratings else None, None])
    ]
    for score in report.levels:
        share_now, share_before = now.share(score), before.share(score)
        change = share_now - share_before if share_now is not None and share_before is not None else None
        rows.append((report.level_labels[score], [now.counts.get(score, 0), share_now,
                                                  before.counts.get(score, 0), share_before, change]))
    satisfied = f"Tỷ lệ hài lòng (từ mức “{report.level_labels[report.scale.satisfied_from]}” trở lên)"
    rows.append((satisfied, [now.satisfied, now.satisfaction_pct, before.satisfied, before.satisfaction_pct,
                             report.total.change]))
    return rows
