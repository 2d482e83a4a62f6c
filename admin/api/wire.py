"""Reading the kiosk API's JSON: request bodies, UUIDs, instants.

Request-level problems raise ``ApiError`` (the whole request fails);
item-level problems raise ``ItemError`` (the item goes to ``rejected``).
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from flask import current_app, request

from .. import json_io
from ..errors import ApiError


@dataclass
class BatchResult:
    """The answer of docs/protocol.md §2: every id in exactly one of the three lists."""

    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, item_id: str, err: ItemError) -> None:
        self.rejected.append({"id": item_id, "error": {"code": err.code, "message": err.message}})

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


class ItemError(Exception):
    """One item of a batch is wrong; the rest of the batch goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def json_body() -> Any:
    """The request body parsed as JSON (see ``json_io``), or ``ApiError`` 400 / 413."""
    raw = request.get_data(cache=False)
    if len(raw) > current_app.config["API_MAX_BODY"]:
        raise ApiError(413, "too_large", "The body is over 1 MiB; send fewer items per request.")
    try:
        return json_io.loads(raw)
    except json_io.MalformedJSON:
        raise ApiError(400, "malformed_json", "The body is not valid JSON.") from None


def json_object() -> dict[str, Any]:
    """The request body, which must be a JSON object."""
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "bad_shape", "The body must be a JSON object.")
    return body


def batch(key: str) -> list[dict[str, Any]]:
    """The list under ``key`` of a JSON object body: 1 to ``API_MAX_ITEMS`` objects."""
    body = json_object()
    items = body.get(key)
    if not isinstance(items, list):
        raise ApiError(400, "bad_shape", f"The body must be an object with a list under {key!r}.")
    limit = current_app.config["API_MAX_ITEMS"]
    if len(items) > limit:
        raise ApiError(413, "too_many_items", f"At most {limit} items per request; split the batch.")
    if not items:
        raise ApiError(422, "empty_batch", f"Send at least one item in {key!r}.")
    if not all(isinstance(item, dict) for item in items):
        raise ApiError(400, "bad_shape", f"Every item of {key!r} must be a JSON object.")
    return items


# A UUID as kiosks write it (``str(uuid4())``): taken as it is, without parsing.
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def require_uuid(item: dict[str, Any]) -> tuple[str, str]:
    """The item's ``id`` as sent, and in canonical form (lower case, hyphenated).

    Other spellings of the same UUID (upper case, braces, no hyphens) name
    the same press. Without a UUID the whole request is malformed.
    """
    item_id = item.get("id")
    if type(item_id) is str:
        if CANONICAL_UUID.fullmatch(item_id):
            return item_id, item_id
        try:
            return item_id, str(uuid.UUID(item_id))
        except ValueError:
            pass
    raise ApiError(400, "invalid_id", "Every item needs an 'id' that is a UUID string.")


def parse_instant(value: Any, name: str) -> datetime:
    """An ISO 8601 date and time with an offset, as an aware datetime; else ``ItemError``."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            try:
                # Converting also proves the instant exists in UTC (0001-01-01+14:00 does not).
                return parsed.astimezone(timezone.utc)
            except OverflowError:
                pass
    raise ItemError("invalid_time", f"{name} must be an ISO 8601 time with an offset, like 2026-11-27T09:15:02+07:00.")
