"""admin/kiosks.py: registration, tokens and the one rule for a kiosk being online."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from admin.api.auth import authenticate
from admin.db import db
from admin.kiosks import hash_token, is_online, revoke, rotate_token
from admin.models import Kiosk

NOW = datetime(2026, 6, 15, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def ctx(app, world):
    with app.app_context():
        yield world


@pytest.mark.parametrize(
    "seen_ago_s, enabled, online",
    [(None, True, False), (0, True, True), (300, True, True), (301, True, False), (0, False, False)],
)
def test_is_online_within_the_window_and_only_while_enabled(ctx, app, seen_ago_s, enabled, online):
    assert app.config["KIOSK_OFFLINE_AFTER_S"] == 300
    kiosk = db.session.get(Kiosk, ctx.kiosk_a_id)
    kiosk.enabled = enabled
    kiosk.last_seen_at = None if seen_ago_s is None else NOW - timedelta(seconds=seen_ago_s)
    assert is_online(kiosk, NOW) is online


def test_token_is_kept_as_a_hash_rotated_and_revoked(ctx):
    kiosk = db.session.get(Kiosk, ctx.kiosk_a_id)
    assert kiosk.token_hash == hash_token(ctx.token_a) != ctx.token_a
    new = rotate_token(kiosk)
    db.session.commit()
    assert authenticate(ctx.token_a) is None
    assert authenticate(new).id == kiosk.id
    revoke(kiosk)
    db.session.commit()
    assert authenticate(new) is None
