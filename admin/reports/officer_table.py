"""The per-officer table (docs/protocol.md §3): the CLI report, the console's CSV and ranking.

Totals come from the daily and monthly counts (``span``), so a report over
tens of millions of ratings is one grouped query over a few rows per officer
and month. Days are local dates (``ADMIN_TIMEZONE``) and ranges include both ends.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import func, select

from ..db import db
from ..models import Officer, Unit
from ..scale import Scale, load_scale
from ..units import subtree_unit_ids_select
from .rates import Figures, change_points, lower_bound_pct, tally
from .span import span_rows


def _officers_in_subtree(unit_id: int):
    return select(Officer.id).where(Officer.unit_id.in_(subtree_unit_ids_select(unit_id)))


@dataclass
class OfficerRow(Figures):
    """One officer's line in the report; ``rank`` and the previous period's figures are set by ``ranking`` only.

    ``lower_bound_pct`` is the satisfaction the officer reaches at least,
    with 95 % confidence (``rates.lower_bound_pct``).
    """

    officer_id: int
    officer_code: str
    officer_name: str
    unit_name: str
    lower_bound_pct: Decimal | None = None
    rank: int | None = None
    previous_ratings: int = 0
    previous_pct: Decimal | None = None

    @property
    def change_points(self) -> Decimal | None:
        return change_points(self.satisfaction_pct, self.previous_pct)


def officer_report(start: date, end: date, unit_id: int | None = None) -> list[OfficerRow]:
    """One row per officer rated at least once from ``start`` to ``end``.

    With ``unit_id``, only officers of that unit or of a unit below it.
    Ordered by unit name, then officer name. Ratings made with nobody on
    duty belong to no officer and are left out.
    """
    scale = load_scale()
    counts = span_rows((start, end))
    sums = (
        select(counts.c.officer_id, counts.c.score, func.sum(counts.c.count).label("n"))
        .group_by(counts.c.officer_id, counts.c.score)
    )
    if unit_id is not None:
        sums = sums.where(counts.c.officer_id.in_(_officers_in_subtree(unit_id)))
    sums = sums.subquery()
    stmt = (
        select(sums.c.officer_id, Officer.code, Officer.name, Unit.name.label("unit_name"), sums.c.score, sums.c.n)
        .join(Officer, Officer.id == sums.c.officer_id)
        .join(Unit, Unit.id == Officer.unit_id)
        .order_by(Unit.name, Officer.name, Officer.id)
    )
    rows = []
    for _, group in groupby(db.session.execute(stmt), key=lambda r: r.officer_id):
        group = list(group)
        first = group[0]
        totals = tally({r.score: int(r.n) for r in group}, scale)
        rows.append(
            OfficerRow(
                officer_id=first.officer_id,
                officer_code=first.code,
                officer_name=first.name,
                unit_name=first.unit_name,
                lower_bound_pct=lower_bound_pct(totals["satisfied"], totals["ratings"]),
                **totals,
            )
        )
    return rows


def report_columns(scale: Scale) -> list[str]:
    """The report's columns, in the order docs/protocol.md §3 fixes."""
    return [
        "officer_id",
        "officer_code",
        "officer_name",
        "unit_name",
        "ratings",
        "satisfied",
        "satisfaction_pct",
        "mean_score",
        *(f"score_{score}" for score in scale.scores),
    ]


def _cells(row: OfficerRow, scale: Scale) -> list[Any]:
    return [
        row.officer_id,
        row.officer_code,
        row.officer_name,
        row.unit_name,
        row.ratings,
        row.satisfied,
        row.satisfaction_pct,
        row.mean_score,
        *(row.counts.get(score, 0) for score in scale.scores),
    ]


def report_csv(rows: list[OfficerRow], scale: Scale) -> str:
    """The report as CSV text with a header line; rates written as ``66.67``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(report_columns(scale))
    for row in rows:
        writer.writerow([_csv_cell(cell) for cell in _cells(row, scale)])
    return out.getvalue()


def _csv_cell(cell: Any) -> Any:
    """A cell as a spreadsheet should read it: text that looks like a formula is quoted with '."""
    if cell is None:
        return ""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def report_json(rows: list[OfficerRow], scale: Scale) -> list[dict[str, Any]]:
    """The report as a list of objects keyed by column: counts as ints, rates as numbers or None."""
    columns = report_columns(scale)
    return [
        dict(zip(columns, (float(c) if isinstance(c, Decimal) else c for c in _cells(row, scale))))
        for row in rows
    ]
