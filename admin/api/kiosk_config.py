"""The configuration a kiosk needs to run offline (docs/protocol.md §2, GET /kiosk/config)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import db, iso_utc
from ..duty import on_duty
from ..models import DutyPeriod, Kiosk, Officer
from ..scale import KIOSK_SETTINGS, load_reasons, load_scale


def kiosk_officers(kiosk: Kiosk, period: DutyPeriod | None) -> list[Officer]:
    """Officers who may sign in at the kiosk: the active officers of its unit, and whoever is on duty (``period``)."""
    officers = list(
        db.session.scalars(
            select(Officer)
            .options(selectinload(Officer.photo))
            .where(Officer.unit_id == kiosk.desk.unit_id, Officer.active.is_(True))
            .order_by(Officer.name, Officer.id)
        )
    )
    if period is not None and period.officer_id not in {o.id for o in officers}:
        officers.append(period.officer)
    return officers


def public_board_url() -> str | None:
    """The public board's address for the kiosks to show beside a tracking code: ``{ADMIN_PUBLIC_URL}/cong-khai``.

    None without ``ADMIN_PUBLIC_URL``: the kiosk then tells the citizen to ask at the desk.
    """
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}/cong-khai" if base else None


def build_config(kiosk: Kiosk, at: datetime) -> dict[str, Any]:
    """Everything of the kiosk's config but ``server_time``, which changes on every call."""
    desk = kiosk.desk
    period = on_duty(kiosk.desk_id, at)
    return {
        "kiosk": {"id": kiosk.id, "name": kiosk.name},
        "desk": {"id": desk.id, "name": desk.name, "unit": {"id": desk.unit.id, "name": desk.unit.name}},
        "scale": load_scale().as_json(),
        "reasons": [
            {"code": r.code, "label": {"vi": r.label_vi, "en": r.label_en}, "integrity": r.integrity}
            for r in load_reasons()
        ],
        "officers": [
            {
                "id": o.id,
                "code": o.code,
                "name": o.name,
                "title": o.title,
                # The version parameter changes the config, so kiosks fetch a replaced photo.
                "photo_url": url_for("api.officer_photo", officer_id=o.id, v=int(o.photo.updated_at.timestamp()))
                if o.photo
                else None,
                # A slow salted hash: the kiosk checks a sign-in PIN offline without knowing it.
                "pin_hash": o.pin_hash,
            }
            for o in kiosk_officers(kiosk, period)
        ],
        "on_duty": None
        if period is None
        else {"officer_id": period.officer_id, "since": iso_utc(period.starts_at)},
        "settings": KIOSK_SETTINGS.load(),
        "public_board_url": public_board_url(),
    }


def config_version(config: dict[str, Any]) -> str:
    """A digest of the config: it changes whenever anything in it changes."""
    canonical = json.dumps(config, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]
