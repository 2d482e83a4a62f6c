"""The audit log page: administrators read who changed what, when, and the values before and after."""
from __future__ import annotations

from .console_support import signed_in, submit, text


def test_audit_log_shows_who_what_before_and_after(app, world):
    client = signed_in(app, "admin", username="quantri")
    submit(client, f"/desks/{world.desk_a_id}/edit",
           data={"unit_id": world.commune_a_id, "name": "Quầy 1 — Địa chính", "active": "y"})
    response = client.get("/audit")
    page = text(response)
    assert "quantri" in page
    assert f"đã sửa quầy #{world.desk_a_id}" in page
    assert "name Quầy 1 — Đất đai" in page
    assert "name Quầy 1 — Địa chính" in page
    # The changed value is marked in the "after" column.
    assert '<dd class="changed">Quầy 1 — Địa chính</dd>' in response.get_data(as_text=True)


def test_audit_log_pages(app, world):
    client = signed_in(app, "admin")
    for n in range(55):
        submit(client, "/desks/new", data={"unit_id": world.commune_a_id, "name": f"Quầy {n + 10}", "active": "y"})
    first = text(client.get("/audit"))
    assert "Quầy 64" in first and "Cũ hơn" in first and "Mới hơn" not in first
    second = text(client.get("/audit?page=2"))
    assert "Quầy 10" in second and "Mới hơn" in second
