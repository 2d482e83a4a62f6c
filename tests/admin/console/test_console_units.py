"""Units and desks in the console: the tree, creating, renaming and moving, with audit entries."""
from __future__ import annotations

from sqlalchemy import select

from admin.db import db
from admin.models import AuditEntry, Desk, Unit

from .console_support import signed_in, submit, text


def entries(app, entity: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)).all()


def test_tree_lists_units_indented(app, world):
    client = signed_in(app, "admin")
    page = client.get("/units").get_data(as_text=True)
    assert page.index("Tỉnh Bắc Giang") < page.index("Huyện Hiệp Hoà") < page.index("UBND xã Hợp Thịnh")
    assert '<td class="tree-2">UBND xã Mai Trung</td>' in page


def test_manager_creates_unit_below_their_own(app, world):
    client = signed_in(app, "manager", world.district_id)
    response = submit(client, "/units/new", data={"name": "UBND xã Đông Lỗ", "kind": "commune",
                                                  "parent": world.district_id})
    assert response.status_code == 302
    assert "Đã tạo đơn vị “UBND xã Đông Lỗ”." in text(client.get(response.headers["Location"]))
    with app.app_context():
        unit = db.session.execute(select(Unit).where(Unit.name == "UBND xã Đông Lỗ")).scalar_one()
        assert unit.parent_id == world.district_id
        assert unit.path.endswith(f"/{world.district_id}/{unit.id}/")
    [entry] = entries(app, "unit")
    assert entry.action == "create" and entry.before is None and entry.after["kind"] == "commune"


def test_manager_cannot_create_a_top_level_unit(app, world):
    client = signed_in(app, "manager", world.district_id)
    response = submit(client, "/units/new", data={"name": "Tỉnh Khác", "kind": "province", "parent": 0})
    assert "Hãy chọn một trong các mục có sẵn." in text(response)
    assert entries(app, "unit") == []


def test_rename_and_move_a_unit(app, world):
    client = signed_in(app, "admin")
    response = submit(client, f"/units/{world.commune_b_id}/edit",
                      data={"name": "UBND xã Hợp Thịnh mới", "kind": "commune", "parent": world.province_id})
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.get(Unit, world.commune_b_id)
        assert unit.name == "UBND xã Hợp Thịnh mới"
        assert unit.path == f"/{world.province_id}/{unit.id}/"
    [entry] = entries(app, "unit")
    assert entry.before["name"] == "UBND xã Hợp Thịnh" and entry.after["name"] == "UBND xã Hợp Thịnh mới"
    assert entry.before["parent_id"] == world.district_id and entry.after["parent_id"] == world.province_id


def test_unit_cannot_move_below_itself(app, world):
    client = signed_in(app, "admin")
    response = submit(client, f"/units/{world.district_id}/edit",
                      data={"name": "Huyện Hiệp Hoà", "kind": "district", "parent": world.commune_a_id})
    assert "Hãy chọn một trong các mục có sẵn." in text(response)
    with app.app_context():
        assert db.session.get(Unit, world.district_id).parent_id == world.province_id


def test_manager_renames_own_unit_but_cannot_move_it(app, world):
    client = signed_in(app, "manager", world.commune_a_id)
    form = client.get(f"/units/{world.commune_a_id}/edit").get_data(as_text=True)
    assert 'name="parent"' not in form
    response = submit(client, f"/units/{world.commune_a_id}/edit",
                      data={"name": "UBND xã Mai Trung (mới)", "kind": "commune", "parent": world.province_id})
    assert response.status_code == 302
    with app.app_context():
        unit = db.session.get(Unit, world.commune_a_id)
        assert (unit.name, unit.parent_id) == ("UBND xã Mai Trung (mới)", world.district_id)


def test_unit_form_needs_a_name(app, world):
    client = signed_in(app, "admin")
    response = submit(client, "/units/new", data={"name": "", "kind": "commune", "parent": world.district_id})
    assert "Hãy nhập tên đơn vị." in text(response)


def test_create_and_edit_desk(app, world):
    client = signed_in(app, "manager", world.commune_a_id)
    response = submit(client, "/desks/new", data={"unit_id": world.commune_a_id, "name": "Quầy 2 — Tư pháp",
                                                  "active": "y"})
    assert response.status_code == 302
    listing = text(client.get("/desks"))
    assert "Quầy 2 — Tư pháp" in listing
    with app.app_context():
        desk_id = db.session.execute(select(Desk.id).where(Desk.name == "Quầy 2 — Tư pháp")).scalar_one()
    submit(client, f"/desks/{desk_id}/edit", data={"unit_id": world.commune_a_id, "name": "Quầy 2 — Hộ tịch"})
    assert "Ngừng sử dụng" in text(client.get("/desks"))
    created, updated = entries(app, "desk")
    assert created.after == {"unit_id": world.commune_a_id, "name": "Quầy 2 — Tư pháp", "active": True}
    assert updated.before["name"] == "Quầy 2 — Tư pháp"
    assert updated.after == {"unit_id": world.commune_a_id, "name": "Quầy 2 — Hộ tịch", "active": False}
