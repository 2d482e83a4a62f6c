"""The figures the official report tests check: daily counts of two halves written straight into the tables.

2026-H1 (the period) and 2025-H2 (the one before), in the small province of
``world`` (province → district → communes A "UBND xã Mai Trung" and B "UBND
xã Hợp Thịnh"), with counts on either side of both periods that must not count.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from admin.models import NO_OFFICER
from admin.periods import parse_period

from ..conftest import World
from ...conftest import IN_CI
from .reports_support import add_counts, add_reason_counts

PERIOD = parse_period("2026-H1")
ISSUED = date(2026, 7, 6)
NOW_DAY, BEFORE_DAY = date(2026, 3, 10), date(2025, 10, 1)


def add_official_data(w: World) -> None:
    """Needs an app context.

    2026-H1: officer A 6/2/2 (very satisfied/satisfied/not), A2 1/1/1 at desk A,
    2 "not" at desk A with nobody on duty; officer B 4/0/1 at desk B.
    2025-H2: officer A 5/0/5, officer B 3/1/0. Outside: 100 "not" on
    2025-06-30 and on 2026-07-01.
    """
    add_counts(NOW_DAY, w.officer_a_id, w.desk_a_id, {3: 6, 2: 2, 1: 2})
    add_counts(NOW_DAY, w.officer_a2_id, w.desk_a_id, {3: 1, 2: 1, 1: 1})
    add_counts(NOW_DAY, NO_OFFICER, w.desk_a_id, {1: 2})
    add_counts(NOW_DAY, w.officer_b_id, w.desk_b_id, {3: 4, 1: 1})
    add_counts(BEFORE_DAY, w.officer_a_id, w.desk_a_id, {3: 5, 1: 5})
    add_counts(BEFORE_DAY, w.officer_b_id, w.desk_b_id, {3: 3, 2: 1})
    for outside in (date(2025, 6, 30), date(2026, 7, 1)):
        add_counts(outside, w.officer_a_id, w.desk_a_id, {1: 100})
    add_reason_counts(NOW_DAY, w.officer_a_id, w.desk_a_id, {"slow": 2, "harassment": 1})
    add_reason_counts(NOW_DAY, w.officer_b_id, w.desk_b_id, {"bribe": 1, "attitude": 1})
    add_reason_counts(BEFORE_DAY, w.officer_a_id, w.desk_a_id, {"slow": 4})


def need(tool: str) -> str:
    """The path of ``tool``; a skip outside CI, a failure under CI=true (``make test`` installs it)."""
    path = shutil.which(tool)
    if path is None:
        if IN_CI:
            pytest.fail(f"{tool} is required under CI=true: `make office-tools` installs it")
        pytest.skip(f"{tool} is not installed (`make office-tools`)")
    return path


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler's pdftotext reads it, in reading order, pages split by form feeds."""
    return subprocess.run([need("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
