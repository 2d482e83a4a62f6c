"""The configuration a kiosk needs to run offline (docs/protocol.md §2, GET /kiosk/config), and its version.

Kiosks ask for the version far more often than for the config: on every
heartbeat, and with every config poll, which gets 304 while it holds. So
the version is never computed from the config. It is a digest of what
decides the config's contents, read with the kiosk's token in the same
statement (``api.auth``):

- the config stamps (``models.ConfigStamp``) of everything in every config
  and of the kiosk's unit, which every change to them draws anew in its own
  transaction (``config_stamps``);
- who is on duty at the kiosk's desk at the time asked, and the stamp of that
  officer's unit: read, not stamped, so the version changes when a duty
  period begins or ends although nothing is written then;
- the kiosk, its desk and unit, and what this process adds (the board's
  address, the address the service is mounted at).

Nothing is kept in the process: every copy of the service reads the same
rows, so they all give the same version, and a change made through one is
seen by the next request to any other.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import current_app, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import db, iso_utc
from ..driver import Driver
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


# Changed whenever what goes into the version changes, so that no old version can match a new one.
VERSION_FORMAT = "config-v2"
# The version's columns and joins, added to the token look-up of ``api.auth``
# (which names ``kiosks`` and ``desks``). The period on duty is chosen as
# ``duty.on_duty`` chooses it; its two placeholders are the time asked.
VERSION_COLUMNS = "s_all.stamp, s_unit.stamp, duty.officer_id, duty.starts_at, s_duty.stamp"
VERSION_JOINS = (
    "LEFT JOIN config_stamps s_all ON s_all.scope = 0 "
    "LEFT JOIN config_stamps s_unit ON s_unit.scope = desks.unit_id "
    "LEFT JOIN duty_periods duty ON duty.id = ("
    "SELECT p.id FROM duty_periods p WHERE p.desk_id = kiosks.desk_id AND p.starts_at <= ? "
    "AND (p.ends_at IS NULL OR p.ends_at > ?) ORDER BY p.starts_at DESC, p.id DESC LIMIT 1) "
    "LEFT JOIN officers duty_officer ON duty_officer.id = duty.officer_id "
    "LEFT JOIN config_stamps s_duty ON s_duty.scope = duty_officer.unit_id"
)


def version_params(driver: Driver, at: datetime) -> tuple[Any, Any]:
    """The values of ``VERSION_JOINS``'s placeholders for the version at ``at``."""
    [bind] = driver.binders((DutyPeriod.__table__.c.starts_at.type,))
    bound = bind(at) if bind else at
    return bound, bound


def config_version(driver: Driver, kiosk: tuple[int, int, int], columns: tuple[Any, ...]) -> str:
    """The version of the config of ``kiosk`` (its id, desk and unit) from the values of ``VERSION_COLUMNS``."""
    all_stamp, unit_stamp, officer_id, since, duty_stamp = columns
    if since is not None:
        # As the config writes it: the same period read from either database gives the same version.
        since = iso_utc(driver.reader(DutyPeriod.__table__.c.starts_at)(since))
    parts = (VERSION_FORMAT, *kiosk, all_stamp, unit_stamp, officer_id, since, duty_stamp, public_board_url(),
             request.script_root)
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:20]
