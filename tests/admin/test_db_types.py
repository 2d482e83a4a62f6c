"""admin/db.py: UTC instants are stored as the same text, whatever path binds them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from admin.db import UTCDateTime

DIALECT = sqlite.dialect()
GENERIC = DateTime().dialect_impl(DIALECT).bind_processor(DIALECT)


@pytest.mark.parametrize("value", [
    datetime(2026, 11, 27, 2, 10, tzinfo=timezone.utc),
    datetime(2026, 11, 27, 2, 10, 0, 123456, tzinfo=timezone.utc),
    datetime(2026, 11, 27, 9, 10, 5, 7, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
    datetime(2026, 11, 27, 9, 10, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(1, 1, 1, 0, 0, tzinfo=timezone.utc),
])
def test_sqlite_text_is_what_sqlalchemy_writes_for_the_utc_instant(value):
    bind = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert bind(value) == GENERIC(value.astimezone(timezone.utc).replace(tzinfo=None))
    assert len(bind(value)) == 26


def test_sqlite_text_refuses_a_naive_time():
    bind = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    with pytest.raises(ValueError):
        bind(datetime(2026, 11, 27, 2, 10))
    assert bind(None) is None
