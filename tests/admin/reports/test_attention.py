"""Who needs attention: units and officers confidently below the threshold, and open cases by role."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from admin.db import db
from admin.models import NO_OFFICER
from admin.reports.attention import confidently_below, officer_desk_counts, officers_below, open_cases, units_below
from admin.users import create_user

from ..console.console_support import add_ratings
from ..test_cases import file_all
from .reports_support import add_counts

DAY = date(2026, 5, 4)
H1 = (date(2026, 1, 1), date(2026, 6, 30))


def test_below_means_the_upper_bound_under_the_threshold_on_enough_ratings():
    assert confidently_below(10, 40, 70)          # 25 %, at most 40 %
    assert not confidently_below(25, 40, 70)      # 62.5 %: below the rate, but it could be 70 %
    assert not confidently_below(1, 4, 70)        # 25 % of four: too few to say
    assert not confidently_below(0, 0, 70)


def test_officers_and_units_below(w):
    add_counts(DAY, w.officer_a_id, w.desk_a_id, {3: 10, 1: 30})    # 25 % of 40
    add_counts(DAY, w.officer_a2_id, w.desk_a_id, {3: 25, 1: 15})   # 62.5 % of 40
    add_counts(DAY, w.officer_b_id, w.desk_b_id, {3: 40})
    add_counts(DAY, NO_OFFICER, w.desk_a_id, {1: 5})                # nobody on duty: the unit's, no officer's
    counts = officer_desk_counts(*H1)
    assert [(r.officer_name, r.ratings, r.satisfaction_pct) for r in officers_below(None, counts, 70)] == [
        ("Nguyễn Văn An", 40, Decimal("25.00"))]
    assert [r.officer_name for r in officers_below(w.commune_b_id, counts, 70)] == []
    # Commune A: 35 of 85, at most 52 %.
    assert [(r.unit_name, r.ratings) for r in units_below(w.district_id, counts, 70)] == [("UBND xã Mai Trung", 85)]
    assert units_below(w.district_id, counts, 40) == []


def test_open_cases_are_those_the_user_sees(app, world):
    add_ratings(app, world.kiosk_a_id, [(1, world.officer_a_id, ["bribe"])])
    add_ratings(app, world.kiosk_b_id, [(1, world.officer_b_id, ["harassment"])])
    file_all(app)
    with app.app_context():
        admin = create_user("chanh.thanh.tra", "mật khẩu đủ dài 1", "admin", None)
        inspector_a = create_user("thanh.tra.a", "mật khẩu đủ dài 2", "inspector", world.commune_a_id)
        db.session.commit()
        everything = open_cases(admin, None)
        assert everything.count == 2 and len(everything.oldest) == 2
        assert [c.unit_id for c in open_cases(inspector_a, None).oldest] == [world.commune_a_id]
        assert open_cases(admin, world.commune_b_id).count == 1
