"""The kiosk API, version 1: JSON over HTTP with bearer tokens (docs/protocol.md §2).

Modules by step: ``auth`` (who is calling, and the config version with it),
``hot_path`` (the connections of the token look-up and of heartbeats),
``wire`` and ``json_io`` (reading the body), ``validation`` (checking
ratings), ``rating_store`` and ``writer`` (storing them, many requests to a
commit), ``heartbeats``, ``duty_events``, ``kiosk_config`` (the config and its
version), and ``endpoints``, the thin views that tie them together.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, request

from ..errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.before_request
def limit_body():
    # Checked again while reading, for bodies sent without a Content-Length.
    if (request.content_length or 0) > current_app.config["API_MAX_BODY"]:
        raise ApiError(413, "too_large", "The body is over 1 MiB; send fewer items per request.")
    request.max_content_length = current_app.config["API_MAX_BODY"]


def init_app(app: Flask) -> None:
    """Serve the API: no session cookie and no CSRF token for kiosks, which send a bearer token."""
    from .auth import KioskSessionInterface

    app.session_interface = KioskSessionInterface()
    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)


from . import endpoints  # noqa: E402,F401  (registers the views on bp)
