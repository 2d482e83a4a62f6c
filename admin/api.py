"""The kiosk API, version 1 (PROTOCOL.md §2): JSON, bearer tokens, batches.

Views stay thin: they authenticate, read the body with ``wire``, call the
domain functions and commit once, so a failure anywhere stores nothing.
"""
from __future__ import annotations

import functools
from datetime import timedelta

from flask import Blueprint, Flask, Request, Response, current_app, g, request
from flask.sessions import NullSession, SecureCookieSessionInterface
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from . import json_io, wire
from .db import db, group_writer, utcnow, write_transaction, writing
from .duty import on_duty, store_duty_events
from .errors import ApiError
from .ingest import prepare_ratings, write_ratings
from .kiosk_config import build_config, config_version, iso_utc, kiosk_officers
from .kiosks import authenticate
from .models import Kiosk, OfficerPhoto

bp = Blueprint("api", __name__, url_prefix="/api/v1")

HEARTBEAT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "version": str,
    "outbox_depth": int,
    "rejected": int,
    "last_seq": int,
    "uptime_s": (int, float),
    "clock": str,
    "on_duty_officer_id": (int, type(None)),
}


class KioskSessionInterface(SecureCookieSessionInterface):
    """Browser sessions for the console; none for the kiosk API.

    Kiosks carry a bearer token, never a cookie: reading and signing a session
    cookie on every kiosk request is work for nothing.
    """

    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(f"{bp.url_prefix}/"):
            return NullSession()
        return super().open_session(app, request)


def kiosk_auth(writes: bool = False):
    """Require a kiosk's bearer token; the kiosk is in ``g.kiosk_ref`` (see ``current_kiosk``).

    ``writes`` opens the transaction as a writer before anything is read
    (see ``db.writing``).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if writes:
                with writing():
                    return authenticated(*args, **kwargs)
            return authenticated(*args, **kwargs)

        def authenticated(*args, **kwargs):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            kiosk = authenticate(token.strip()) if scheme.lower() == "bearer" else None
            if kiosk is None:
                raise ApiError(
                    401,
                    "unauthorized",
                    "The kiosk token is missing, unknown or revoked; ask an administrator for a new one.",
                    {"WWW-Authenticate": 'Bearer realm="hailong"'},
                )
            g.kiosk_ref = kiosk
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_kiosk() -> Kiosk:
    """The authenticated kiosk as a model, for the endpoints that need more than ``g.kiosk_ref``."""
    return db.session.get(Kiosk, g.kiosk_ref.id)


@bp.get("/kiosk/config")
@kiosk_auth()
def kiosk_config():
    now = utcnow()
    config = build_config(current_kiosk(), now)
    version = config_version(config)
    if version in request.if_none_match:
        response = Response(status=304)
    else:
        response = json_io.response({"config_version": version, "server_time": iso_utc(now), **config})
    response.set_etag(version)
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
    response = Response(photo.data, mimetype=photo.content_type)
    response.set_etag(f"{officer_id}-{int(photo.updated_at.timestamp())}")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response.make_conditional(request)


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
    return json_io.response(result.as_json())


@bp.post("/kiosk/duty")
@kiosk_auth(writes=True)
def post_duty():
    return store_batch("events", store_duty_events)


@bp.post("/kiosk/heartbeat")
@kiosk_auth(writes=True)
def post_heartbeat():
    body = wire.json_object()
    for name, kind in HEARTBEAT_FIELDS.items():
        value = body.get(name)
        if name in body and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ApiError(400, "bad_shape", f"Heartbeat field {name!r} has the wrong type.")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ApiError(422, "out_of_range", f"Heartbeat field {name!r} cannot be negative.")
    now = utcnow()
    kiosk = current_kiosk()
    if "clock" in body:
        try:
            clock = wire.parse_instant(body["clock"], "clock")
        except wire.ItemError as err:
            raise ApiError(400, err.code, err.message) from None
        kiosk.clock_offset_s = (clock - now) / timedelta(seconds=1)
    kiosk.last_seen_at = now
    kiosk.last_heartbeat = {name: body[name] for name in HEARTBEAT_FIELDS if name in body}
    version = config_version(build_config(kiosk, now))
    db.session.commit()
    return json_io.response({"server_time": iso_utc(now), "config_version": version})


@bp.before_request
def limit_body():
    # Checked again while reading, for bodies sent without a Content-Length.
    if (request.content_length or 0) > current_app.config["API_MAX_BODY"]:
        raise ApiError(413, "too_large", "The body is over 1 MiB; send fewer items per request.")
    request.max_content_length = current_app.config["API_MAX_BODY"]
