"""Officers in the console: adding and editing, the photo upload, the kiosk PIN, and their audit entries."""
from __future__ import annotations

import random
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.security import check_password_hash

from admin.db import db
from admin.models import AuditEntry, Officer, OfficerPhoto

from ..photo_support import png_chunks, png_claiming, swapped_primaries_profile
from .console_support import signed_in, submit, text


@pytest.fixture
def manager(app, world):
    return signed_in(app, "manager", world.commune_a_id)


def picture(kind: str, size=(64, 80), colour=(200, 30, 30)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def upload(client, officer_id: int, data: bytes, filename: str):
    return submit(
        client,
        f"/officers/{officer_id}/edit",
        f"/officers/{officer_id}/photo",
        {"photo": (BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def audit_entries(app, entity: str, action: str) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()


def test_add_officer_then_edit(app, world, manager):
    response = submit(
        manager,
        "/officers/new",
        data={"code": "MT-003", "name": "Phạm Thị Dung", "title": "Công chức văn hoá", "unit_id": world.commune_a_id,
              "active": "y"},
    )
    assert response.status_code == 302
    page = manager.get(response.headers["Location"])
    assert "Đã thêm công chức Phạm Thị Dung" in text(page)
    with app.app_context():
        officer = db.session.execute(select(Officer).where(Officer.code == "MT-003")).scalar_one()
        officer_id = officer.id
    submit(manager, f"/officers/{officer_id}/edit",
           data={"code": "MT-003", "name": "Phạm Thị Dung", "title": "Phó chủ tịch", "unit_id": world.commune_a_id})
    with app.app_context():
        officer = db.session.get(Officer, officer_id)
        assert (officer.title, officer.active) == ("Phó chủ tịch", False)
    created, updated = audit_entries(app, "officer", "create"), audit_entries(app, "officer", "update")
    assert created[0].after["name"] == "Phạm Thị Dung" and created[0].before is None
    assert updated[0].before["title"] == "Công chức văn hoá"
    assert updated[0].after["title"] == "Phó chủ tịch"
    assert updated[0].after["active"] is False
    assert updated[0].actor == "manager%d" % world.commune_a_id


def test_officer_code_must_be_unique(app, world, manager):
    response = submit(manager, "/officers/new",
                      data={"code": "HT-001", "name": "Trùng Mã", "unit_id": world.commune_a_id})
    assert response.status_code == 200
    assert "Mã này đã được dùng cho một công chức khác." in text(response)


def test_officer_code_taken_meanwhile_is_a_form_error_not_a_500(app, world, manager, monkeypatch):
    import admin.officers as officers_module

    # Another administrator saves the same code between our check and our insert.
    monkeypatch.setattr(officers_module, "code_taken", lambda code, officer_id: False)
    data = {"code": "MT-002", "name": "Người mới", "title": "", "unit_id": world.commune_a_id, "active": "y"}
    response = submit(manager, "/officers/new", data=data)
    assert response.status_code == 200
    assert "Mã này đã được dùng cho một công chức khác." in text(response)
    response = submit(manager, f"/officers/{world.officer_a_id}/edit", data={**data, "name": "Nguyễn Văn An"})
    assert response.status_code == 200
    assert "Mã này đã được dùng cho một công chức khác." in text(response)
    with app.app_context():
        assert db.session.get(Officer, world.officer_a_id).code == "MT-001"
        assert db.session.scalars(select(Officer).where(Officer.name == "Người mới")).all() == []


def test_officer_form_errors_beside_fields(app, world, manager):
    response = submit(manager, "/officers/new", data={"code": "", "name": "", "unit_id": world.commune_b_id})
    page = text(response)
    assert "Hãy nhập mã công chức." in page
    assert "Hãy nhập họ tên công chức." in page
    # Commune B is not in the manager's tree, so it is not a choice.
    assert "Hãy chọn một trong các mục có sẵn." in page


@pytest.mark.parametrize("kind, content_type", [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_photo_upload_stores_reencoded_picture(app, world, manager, kind, content_type):
    original = picture(kind, size=(1600, 2000))
    response = upload(manager, world.officer_a_id, original, "anh." + kind.lower())
    assert response.status_code == 302
    assert "Đã lưu ảnh." in text(manager.get(response.headers["Location"]))
    served = manager.get(f"/officers/{world.officer_a_id}/photo")
    assert served.status_code == 200
    assert served.mimetype == content_type
    image = Image.open(BytesIO(served.data))
    assert image.format == kind
    assert max(image.size) <= 800
    [entry] = audit_entries(app, "officer", "photo")
    assert entry.before is None and entry.after["content_type"] == content_type


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"this is a text file, not a picture\n" * 10, "anh.png", "Tệp này không phải ảnh JPEG hoặc PNG."),
        (picture("GIF"), "anh.png", "Tệp này không phải ảnh JPEG hoặc PNG."),
        (picture("PNG")[:60], "anh.png", "Tệp này không phải ảnh JPEG hoặc PNG."),
    ],
)
def test_photo_upload_rejects_what_is_not_a_jpeg_or_png(app, world, manager, data, filename, message):
    response = upload(manager, world.officer_a_id, data, filename)
    assert response.status_code == 200
    assert message in text(response)
    # The rest of the page still shows the officer as stored.
    assert 'value="MT-001"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(OfficerPhoto, world.officer_a_id) is None
    assert audit_entries(app, "officer", "photo") == []


def test_photo_upload_rejects_oversize_file(app, world, manager):
    app.config["PHOTO_MAX_BYTES"] = 2000
    # Noise does not compress: a real PNG well over the limit.
    out = BytesIO()
    Image.frombytes("RGB", (100, 100), random.Random(7).randbytes(100 * 100 * 3)).save(out, "PNG")
    big = out.getvalue()
    assert len(big) > 2000
    response = upload(manager, world.officer_a_id, big, "anh.png")
    assert "Ảnh lớn hơn" in text(response)
    with app.app_context():
        assert db.session.get(OfficerPhoto, world.officer_a_id) is None


def test_photo_upload_past_the_pixel_limit_refused_beside_the_field(app, world, manager):
    # 40 megapixels announced by a 100-byte PNG: refused from its header, before any decoding.
    response = upload(manager, world.officer_a_id, png_claiming(7700, 5190), "anh.png")
    assert response.status_code == 200
    assert "Ảnh có hơn 16 megapixel, nhiều hơn hẳn mức ảnh tại quầy cần; hãy gửi ảnh nhỏ hơn." in text(response)
    with app.app_context():
        assert db.session.get(OfficerPhoto, world.officer_a_id) is None
    assert audit_entries(app, "officer", "photo") == []


def test_photo_upload_with_a_colour_profile_stored_in_srgb_without_it(app, world, manager):
    out = BytesIO()
    Image.new("RGB", (64, 80), (255, 0, 0)).save(out, "PNG", icc_profile=swapped_primaries_profile())
    assert upload(manager, world.officer_a_id, out.getvalue(), "anh.png").status_code == 302
    served = manager.get(f"/officers/{world.officer_a_id}/photo").data
    assert b"iCCP" not in png_chunks(served)
    red, green, blue = Image.open(BytesIO(served)).convert("RGB").getpixel((32, 40))
    assert green > 230 and red < 30 and blue < 30


def test_photo_upload_without_file(app, world, manager):
    response = submit(manager, f"/officers/{world.officer_a_id}/edit", f"/officers/{world.officer_a_id}/photo",
                      content_type="multipart/form-data")
    assert "Hãy chọn ảnh để tải lên." in text(response)


def test_photo_needs_sign_in(app, world, manager):
    upload(manager, world.officer_a_id, picture("JPEG"), "anh.jpg")
    assert app.test_client().get(f"/officers/{world.officer_a_id}/photo").status_code == 302


def test_pin_is_stored_as_a_hash(app, world, manager):
    response = submit(manager, f"/officers/{world.officer_a_id}/edit", f"/officers/{world.officer_a_id}/pin",
                      {"pin": "482913", "confirm": "482913"})
    assert response.status_code == 302
    assert "Đã đặt mã PIN." in text(manager.get(response.headers["Location"]))
    with app.app_context():
        pin_hash = db.session.get(Officer, world.officer_a_id).pin_hash
    assert "482913" not in pin_hash
    assert check_password_hash(pin_hash, "482913")
    [entry] = audit_entries(app, "officer", "pin")
    assert (entry.before, entry.after) == ({"pin_set": False}, {"pin_set": True})


@pytest.mark.parametrize(
    "pin, confirm, message",
    [
        ("123", "123", "Mã PIN gồm 4 đến 8 chữ số."),
        ("123456789", "123456789", "Mã PIN gồm 4 đến 8 chữ số."),
        ("12a4", "12a4", "Mã PIN gồm 4 đến 8 chữ số."),
        ("1234", "4321", "Hai mã PIN không giống nhau."),
    ],
)
def test_pin_must_be_4_to_8_digits(app, world, manager, pin, confirm, message):
    response = submit(manager, f"/officers/{world.officer_a_id}/edit", f"/officers/{world.officer_a_id}/pin",
                      {"pin": pin, "confirm": confirm})
    assert message in text(response)
    assert 'value="Nguyễn Văn An"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Officer, world.officer_a_id).pin_hash is None
