"""admin/officers.py: an officer's code is unique, checked in one place for every save."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import admin.officers as officers
from admin.db import db
from admin.models import Officer
from admin.officers import CodeTaken, saving_code


@pytest.fixture
def ctx(app, world):
    with app.app_context():
        yield world


def test_saving_code_lets_a_free_code_through(ctx):
    with saving_code("MT-009", None):
        db.session.add(Officer(code="MT-009", name="Phạm Thị Dung", title="", unit_id=ctx.commune_a_id))
        db.session.commit()
    assert db.session.execute(select(Officer.id).where(Officer.code == "MT-009")).scalar_one()


def test_saving_code_keeping_ones_own_code_is_allowed(ctx):
    officer = db.session.get(Officer, ctx.officer_a_id)
    with saving_code(officer.code, officer.id):
        officer.name = "Nguyễn Văn An (đổi tên)"
        db.session.commit()
    assert db.session.get(Officer, ctx.officer_a_id).name == "Nguyễn Văn An (đổi tên)"


def test_saving_code_held_by_another_officer_is_refused_before_writing(ctx):
    with pytest.raises(CodeTaken):
        with saving_code("MT-002", ctx.officer_a_id):
            raise AssertionError("the block must not run")
    assert db.session.get(Officer, ctx.officer_a_id).code == "MT-001"


def test_saving_code_taken_meanwhile_rolls_back_and_is_refused(ctx, monkeypatch):
    # The look-up misses a code saved by someone else a moment ago; the unique index catches it.
    monkeypatch.setattr(officers, "code_taken", lambda code, officer_id: False)
    with pytest.raises(CodeTaken) as taken:
        with saving_code("MT-002", None):
            db.session.add(Officer(code="MT-002", name="Người mới", title="", unit_id=ctx.commune_a_id))
            db.session.commit()
    assert str(taken.value.message)
    assert db.session.scalars(select(Officer).where(Officer.name == "Người mới")).all() == []
