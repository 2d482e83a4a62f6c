"""Role and unit-scope rules: who sees which units, who sees integrity reasons, who may change things."""
from __future__ import annotations

import pytest
from flask_login import login_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from admin.access import (
    can_edit,
    can_see_integrity,
    check_unit_access,
    get_visible_or_404,
    in_visible_units,
    require_role,
    visible_unit_root,
)
from admin.db import db
from admin.models import Kiosk, Officer, Unit, User


def user(role: str, unit_id: int | None = None) -> User:
    return User(id=1, username=f"{role}-{unit_id}", password_hash="-", role=role, unit_id=unit_id, active=True)


def test_visible_unit_root_by_role(app, world):
    with app.app_context():
        assert visible_unit_root(user("admin", world.commune_a_id)) is None
        assert visible_unit_root(user("manager", world.commune_a_id)) == world.commune_a_id
        assert visible_unit_root(user("inspector", world.district_id)) == world.district_id
        assert visible_unit_root(user("viewer")) is None
        assert visible_unit_root(user("viewer", world.commune_b_id)) == world.commune_b_id


def test_manager_without_unit_sees_nothing(app):
    with app.app_context(), pytest.raises(Forbidden):
        visible_unit_root(user("manager"))


def test_integrity_and_edit_rights_by_role():
    assert [can_see_integrity(user(r)) for r in ("admin", "manager", "inspector", "viewer")] == [
        True,
        False,
        True,
        False,
    ]
    assert [can_edit(user(r)) for r in ("admin", "manager", "inspector", "viewer")] == [True, True, False, False]


def test_check_unit_access_inside_and_outside_tree(app, world):
    with app.app_context():
        manager = user("manager", world.commune_a_id)
        check_unit_access(manager, world.commune_a_id)
        with pytest.raises(NotFound):
            check_unit_access(manager, world.commune_b_id)
        with pytest.raises(NotFound):
            check_unit_access(manager, world.district_id)
        district_inspector = user("inspector", world.district_id)
        check_unit_access(district_inspector, world.commune_b_id)
        with pytest.raises(NotFound):
            check_unit_access(user("admin"), 999_999)


def test_get_visible_or_404_follows_the_owner_unit(app, world):
    with app.app_context():
        manager = user("manager", world.commune_a_id)
        assert get_visible_or_404(manager, Officer, world.officer_a_id).code == "MT-001"
        assert get_visible_or_404(manager, Kiosk, world.kiosk_a_id).name == "Mai Trung — quầy 1"
        for model, ident in ((Officer, world.officer_b_id), (Kiosk, world.kiosk_b_id), (Unit, world.commune_b_id)):
            with pytest.raises(NotFound):
                get_visible_or_404(manager, model, ident)


def test_in_visible_units_narrows_a_query(app, world):
    with app.app_context():
        stmt = select(Officer.code).order_by(Officer.code)
        codes = db.session.scalars(in_visible_units(user("manager", world.commune_a_id), stmt, Officer.unit_id)).all()
        assert codes == ["MT-001", "MT-002"]
        everyone = db.session.scalars(in_visible_units(user("viewer"), stmt, Officer.unit_id)).all()
        assert everyone == ["HT-001", "MT-001", "MT-002"]


def test_require_role_refuses_other_roles(app):
    @require_role("admin")
    def only_admins():
        return "ok"

    with app.test_request_context():
        login_user(user("manager"))
        with pytest.raises(Forbidden):
            only_admins()
    with app.test_request_context():
        login_user(user("admin"))
        assert only_admins() == "ok"


def test_require_role_refuses_anonymous(app):
    @require_role("admin")
    def only_admins():
        return "ok"

    with app.test_request_context(), pytest.raises(Forbidden):
        only_admins()
