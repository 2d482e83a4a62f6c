"""Conditional GETs of the kiosk API: If-None-Match gets 304, and no other precondition counts.

The contract (docs/protocol.md §2) documents ETags with If-None-Match only.
Werkzeug's ``make_conditional`` also evaluated If-Match, and answered an
officer's photo with 412 and the image as its body: an undocumented status,
and an error that was not JSON.
"""
from __future__ import annotations

import pytest

from admin.db import db
from admin.models import OfficerPhoto

PHOTO = b"\x89PNG\r\n\x1a\n stands in for the photo"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def photo_url(app, world) -> str:
    """The address of officer A's photo, as kiosk A's config gives it."""
    with app.app_context():
        db.session.add(OfficerPhoto(officer_id=world.officer_a_id, content_type="image/png", data=PHOTO))
        db.session.commit()
    return f"/api/v1/officers/{world.officer_a_id}/photo"


def test_photo_with_if_match_is_the_photo_not_a_412(client, world, photo_url):
    res = client.get(photo_url, headers={**auth(world.token_a), "If-Match": '"another-version"'})
    assert res.status_code == 200
    assert res.data == PHOTO
    etag = res.headers["ETag"]
    both = client.get(photo_url, headers={**auth(world.token_a), "If-None-Match": etag, "If-Match": '"other"'})
    assert both.status_code == 304
    assert both.data == b""


@pytest.mark.parametrize("path", ["/api/v1/kiosk/config", "/api/v1/openapi.json"])
def test_if_match_never_refuses_a_get(client, world, path):
    res = client.get(path, headers={**auth(world.token_a), "If-Match": '"another-version"'})
    assert res.status_code == 200
    assert res.headers["ETag"]
