"""The kiosk's HTTP client for the central service (docs/protocol.md §2).

Every failure is one of three exceptions the uploader acts on:
``Unauthorized`` (401: the token is wrong or revoked), ``Refused`` (the
service read the request and turned it down as a whole: 400, 413, 422 with
the protocol's JSON error object), and ``Unavailable`` for everything else
(no connection, timeout, 429, 5xx, an answer that is not the protocol's),
with the server's ``Retry-After`` when it sent one. A 400, 413 or 422 that is
not the protocol's JSON (an HTML page of nginx, a captive portal or any proxy
in between) says nothing about the ratings sent: it is ``Unavailable``, tried
again later, never a reason to set a rating aside. HTTPS certificates are always checked, against the province's
own CA when the config names a ``ca_file``.
"""
from __future__ import annotations

import email.utils
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from . import __version__

# An officer's photo larger than this is not a photo the console would have taken.
PHOTO_MAX_BYTES = 8 * 1024 * 1024
CONNECT_TIMEOUT_S = 5.0


class CentralError(Exception):
    """The central service could not be used for this request."""


class Unauthorized(CentralError):
    """401: the kiosk token is missing, unknown or revoked."""


class Refused(CentralError):
    """The server turned the whole request down (400, 413, 422); ``error`` is its error object."""

    def __init__(self, status: int, error: dict[str, Any]):
        super().__init__(f"HTTP {status}: {error.get('message', '')}")
        self.status = status
        self.error = error


class Unavailable(CentralError):
    """No usable answer; try again later, not before ``retry_after`` seconds when set."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_s(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        return None
    return max(0.0, at.timestamp() - now)


def parse_server_time(value: Any) -> float | None:
    """``server_time`` (``2026-11-27T02:10:00Z``) as Unix time, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None


def check_batch_result(body: Any, sent: list[str]) -> dict[str, Any]:
    """A ratings or duty answer restricted to the ids sent; ``Unavailable`` if it is not one."""
    if not isinstance(body, dict) or not all(isinstance(body.get(k), list) for k in ("accepted", "duplicates", "rejected")):
        raise Unavailable("the central service answered without accepted, duplicates and rejected lists")
    ids = set(sent)
    return {
        "acknowledged": [i for i in body["accepted"] + body["duplicates"] if isinstance(i, str) and i in ids],
        "rejected": [r for r in body["rejected"] if isinstance(r, dict) and r.get("id") in ids],
    }


class Central:
    """A session with the central service at ``url`` as the kiosk with ``token``."""

    def __init__(self, url: str, token: str, *, ca_file: Path | None = None, timeout_s: float = 15.0,
                 clock=time.time) -> None:
        self.url = url.rstrip("/")
        self.timeout = (CONNECT_TIMEOUT_S, timeout_s)
        self._clock = clock
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": f"Bearer {token}",
            "User-Agent": f"hailong-kiosk/{__version__}",
            "Accept": "application/json",
        })
        # True checks certificates against the system's authorities; a path trusts that CA.
        self.session.verify = str(ca_file) if ca_file else True

    def close(self) -> None:
        """Close the connections of the session."""
        self.session.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, f"{self.url}{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            raise Unavailable(f"{type(err).__name__}: {err}") from None
        if response.status_code == 401:
            raise Unauthorized("the central service refused the kiosk token (401)")
        if response.status_code in (400, 413, 422):
            error = protocol_error(response)
            if error is None:
                raise Unavailable(
                    f"HTTP {response.status_code} ({response.headers.get('Content-Type') or 'untyped'}) is not the"
                    " protocol's JSON error: an answer of something between the kiosk and the service (a proxy?)",
                    retry_after_s(response.headers.get("Retry-After"), self._clock()),
                )
            raise Refused(response.status_code, error)
        if response.status_code >= 400:
            raise Unavailable(
                f"HTTP {response.status_code}: {_error_of(response).get('message', '')}",
                retry_after_s(response.headers.get("Retry-After"), self._clock()),
            )
        return response

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise Unavailable(f"the answer to {response.request.path_url} is not JSON") from None

    def get_config(self, etag: str | None) -> tuple[dict[str, Any] | None, str | None]:
        """The kiosk config and its ETag; (None, etag) when the one held (``etag``) is current (304)."""
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        response = self._request("GET", "/api/v1/kiosk/config", headers=headers)
        if response.status_code == 304:
            return None, etag
        config = self._json(response)
        if not isinstance(config, dict):
            raise Unavailable("the kiosk config is not a JSON object")
        new_etag = response.headers.get("ETag", "").removeprefix("W/").strip('"') or None
        return config, new_etag

    def get_photo(self, photo_url: str) -> tuple[bytes, str]:
        """An officer's photo (``photo_url`` as the config gives it, relative to the service) and its type."""
        response = self._request("GET", photo_url if photo_url.startswith("/") else f"/{photo_url}")
        content_type = response.headers.get("Content-Type", "")
        if not content_type.startswith(("image/jpeg", "image/png")):
            raise Unavailable(f"the photo at {photo_url} is {content_type or 'untyped'}, not JPEG or PNG")
        if len(response.content) > PHOTO_MAX_BYTES:
            raise Unavailable(f"the photo at {photo_url} is over {PHOTO_MAX_BYTES} bytes")
        return response.content, content_type

    def post_ratings(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Send ratings; returns ``acknowledged`` ids (accepted or duplicate) and ``rejected`` items."""
        response = self._request("POST", "/api/v1/ratings", json={"ratings": items})
        return check_batch_result(self._json(response), [i["id"] for i in items])

    def post_duty(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        """Send duty events; same answer as ``post_ratings``."""
        response = self._request("POST", "/api/v1/kiosk/duty", json={"events": events})
        return check_batch_result(self._json(response), [e["id"] for e in events])

    def heartbeat(self, body: dict[str, Any]) -> dict[str, Any]:
        """Report the kiosk's state; returns the server's ``server_time`` and ``config_version``."""
        answer = self._json(self._request("POST", "/api/v1/kiosk/heartbeat", json=body))
        if not isinstance(answer, dict):
            raise Unavailable("the heartbeat answer is not a JSON object")
        return answer


def protocol_error(response: requests.Response) -> dict[str, Any] | None:
    """The error object of an answer in the protocol's shape (JSON ``{"error": {"code", "message"}}``,
    docs/protocol.md §2), or None for anything else."""
    if response.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str):
        return error
    return None


def _error_of(response: requests.Response) -> dict[str, Any]:
    """The protocol's error object of a failed answer, or one made from its status."""
    return protocol_error(response) or {"code": f"http_{response.status_code}", "message": response.reason or ""}
