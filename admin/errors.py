"""One place for errors: JSON under ``/api/``, an HTML page elsewhere.

Every API error has the body of docs/protocol.md §2:
``{"error": {"code": "...", "message": "..."}}``.
"""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from . import json_io
from .db import db

# The code and sentence sent for each HTTP status when a view gives none.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request is malformed; send JSON in the documented shape."),
    401: ("unauthorized", "The kiosk token is missing, unknown or revoked; register the kiosk again."),
    403: ("forbidden", "This kiosk or user may not do that."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that HTTP method."),
    413: ("too_large", "The request is too large: at most 1 MiB and 500 items per request."),
    422: ("unprocessable", "A value in the request is out of range."),
    429: ("too_many_requests", "Too many requests; wait and try again."),
    500: ("internal_error", "The server failed; the request was not applied. Try again later."),
    503: ("unavailable", "The service is unavailable; try again later."),
}


class ApiError(Exception):
    """An API error with its HTTP status, snake_case code and a sentence a person can act on."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def api_error_response(status: int, code: str | None = None, message: str | None = None, headers=None):
    default_code, default_message = STATUS_ERRORS.get(status, ("error", "The request failed."))
    response = json_io.response(error_body(code or default_code, message or default_message), status)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


# The public board's pages: their errors must not use the console's page, whose form
# token would give a visitor from the internet a session cookie.
PUBLIC_PREFIX = "/cong-khai"


def _error_page(status: int, err: HTTPException):
    """The HTML error page: the public board's own under its prefix, the console's elsewhere."""
    if request.path == PUBLIC_PREFIX or request.path.startswith(PUBLIC_PREFIX + "/"):
        return render_template("public/error.html", status=status), status, {"Cache-Control": "no-store"}
    return render_template("error.html", status=status, error=err), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        db.session.rollback()
        return api_error_response(err.status, err.code, err.message, err.headers)

    @app.errorhandler(HTTPException)
    def handle_http_error(err: HTTPException):
        db.session.rollback()
        status = err.code or 500
        if _wants_json():
            headers = {}
            if status == 405 and err.valid_methods:
                headers["Allow"] = ", ".join(err.valid_methods)
            return api_error_response(status, headers=headers)
        return _error_page(status, err)

    @app.errorhandler(Exception)
    def handle_unexpected(err: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return api_error_response(500)
        return _error_page(500, InternalServerError())
