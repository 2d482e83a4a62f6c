"""The kiosk API's endpoints (docs/protocol.md §2, docs/openapi.json).

Views stay thin: they authenticate, read the body with ``wire``, call the
domain functions and commit once, so a failure anywhere stores nothing.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path

from flask import Response, g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from .. import json_io
from ..alerts.worker import wake_alert_worker
from ..db import db, iso_utc, utcnow, write_transaction
from ..duty import on_duty
from ..errors import ApiError
from ..models import OfficerPhoto
from . import bp, wire
from .auth import bearer_token, current_kiosk, kiosk_auth
from .duty_events import store_duty_events
from .heartbeats import take_heartbeat
from .kiosk_config import build_config, kiosk_officers
from .rating_store import write_ratings
from .validation import prepare_ratings
from .writer import group_writer


def conditional(etag: str, answer: Callable[[], Response]) -> Response:
    """304 when If-None-Match holds ``etag``, else ``answer()``; with the ETag either way.

    Only If-None-Match, as the contract documents: Werkzeug's ``make_conditional``
    also answers If-Match, with a 412 that carries the body instead of a JSON error.
    """
    response = Response(status=304) if etag in request.if_none_match else answer()
    response.set_etag(etag)
    return response


# The contract of this API, in the repository (and in every release) beside the admin package.
OPENAPI_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


@functools.cache
def openapi_document() -> tuple[bytes, str]:
    """docs/openapi.json as served, and its ETag; read once, as it changes only with a release."""
    data = OPENAPI_PATH.read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:20]


@bp.get("/openapi.json")
def openapi():
    # Public, like the contract it is: a kiosk, a tester or a client generator needs no token.
    data, etag = openapi_document()
    response = conditional(etag, lambda: Response(data, mimetype="application/json"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/kiosk/config")
@kiosk_auth(versioned=True)
def kiosk_config():
    # The version was read with the token, before the config is built: a change
    # committed in between gives a config newer than its version, which the
    # kiosk fetches again at its next poll, never one older than its version,
    # which it would keep. A 304 reads nothing more.
    now, version = g.now, g.config_version
    response = conditional(
        version,
        lambda: json_io.response(
            {"config_version": version, "server_time": iso_utc(now), **build_config(current_kiosk(), now)}
        ),
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/officers/<int:officer_id>/photo")
@kiosk_auth()
def officer_photo(officer_id: int):
    kiosk = current_kiosk()
    listed = {o.id for o in kiosk_officers(kiosk, on_duty(kiosk.desk_id, utcnow()))}
    photo = (
        db.session.get(OfficerPhoto, officer_id, options=[undefer(OfficerPhoto.data)])
        if officer_id in listed
        else None
    )
    if photo is None:
        raise ApiError(404, "not_found", "This kiosk lists no photo for that officer.")
    etag = f"{officer_id}-{int(photo.updated_at.timestamp())}"
    response = conditional(etag, lambda: Response(photo.data, mimetype=photo.content_type))
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# Tries of one batch when another request stores one of its UUIDs at the same moment.
STORE_TRIES = 3


def store_batch(key: str, store) -> Response:
    """Read the list under ``key``, store it with ``store(kiosk, items)``, commit, answer.

    On PostgreSQL, a UUID inserted by a concurrent request between our
    look-up and our insert fails the transaction; run it again, and the
    look-up then sees the other request's row.
    """
    items = wire.batch(key)
    for attempt in range(1, STORE_TRIES + 1):
        try:
            result = store(current_kiosk(), items)
            db.session.commit()
            return json_io.response(result.as_json())
        except IntegrityError:
            if attempt == STORE_TRIES:
                raise
            db.session.rollback()
            write_transaction()


@bp.post("/ratings")
@kiosk_auth()
def post_ratings():
    # Validated here, written by the group-commit writer with other requests'
    # ratings: one wait on the disk for many requests (see ``writer``).
    batch = prepare_ratings(g.kiosk_ref, wire.batch("ratings"), utcnow())
    result = group_writer().submit(write_ratings, batch)
    if batch.complaints:
        # Stored with its intake row: the worker files it into a case and alerts the inspectors now.
        wake_alert_worker()
    return json_io.response(result.as_json())


@bp.post("/kiosk/duty")
@kiosk_auth(writes=True)
def post_duty():
    return store_batch("events", store_duty_events)


@bp.post("/kiosk/heartbeat")
def post_heartbeat():
    # The token is looked up with the heartbeat's write (see ``heartbeats``).
    now = utcnow()
    _, version = take_heartbeat(bearer_token(), now)
    return json_io.response({"server_time": iso_utc(now), "config_version": version})
