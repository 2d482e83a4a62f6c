"""The touch screen's web side: the page, its JSON calls and its event stream.

``create_app(service)`` is a thin layer over ``KioskService``: every view
checks its input, calls one service method and answers JSON. A rating made
anywhere (a touch, a GPIO button) reaches every open page through
server-sent events on ``/events``, which waitress flushes chunk by chunk.

When the pins are mocked (``GPIOZERO_PIN_FACTORY=mock``), and only then,
``POST /dev/press/<score>`` and the small page ``/dev`` press the mock
buttons, so the whole GPIO path can be tried from outside (docs/protocol.md §4).
"""
from __future__ import annotations

import json
import mimetypes
import os
import queue
import threading
from dataclasses import asdict
from typing import Any, Iterator

from flask import Flask, Response, jsonify, render_template, request, send_file
from werkzeug.exceptions import HTTPException

from .service import COMMENT_MAX, TICKET, KioskService, valid_comment
from .tracking import SHOWN, lookup_url, qr_svg

# The screen sends small JSON bodies; anything bigger is not ours.
MAX_BODY = 4096
PIN_MAX_LEN = 12
RATING_ID_MAX_LEN = 64
REASONS_MAX = 50
SCORE_MAX = 10
# Each open page holds one waitress thread; more streams than this would starve /press.
MAX_STREAMS = 4
# Events a slow page may fall behind by before its stream is told to re-fetch /state.
STREAM_BACKLOG = 64
# The screen's own font (static/fonts/) changes only with a new kiosk release: a day in
# Chromium's cache, then revalidated. The CSS and the script are revalidated on every load.
FONT_MAX_AGE = 86400

# Python's own table has no .woff2; without this the type would depend on the machine's /etc/mime.types.
mimetypes.add_type("font/woff2", ".woff2")

# Code and sentence (Vietnamese / English) for each status when a view gives none.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Yêu cầu không đúng dạng JSON đã quy định. / The request is not the documented JSON."),
    404: ("not_found", "Không có gì ở địa chỉ này. / There is nothing at this address."),
    405: ("method_not_allowed", "Địa chỉ này không nhận phương thức đó. / This address does not take that method."),
    413: ("too_large", f"Yêu cầu quá lớn (tối đa {MAX_BODY} byte). / The request is too large (at most {MAX_BODY} bytes)."),
    415: ("json_required", "Hãy gửi JSON (Content-Type: application/json). / Send JSON (Content-Type: application/json)."),
    500: ("internal_error", "Ki-ốt gặp lỗi; hãy thử lại. / The kiosk failed; try again."),
}


class BadInput(Exception):
    """Input a view refuses: answered as JSON with ``status``, ``code`` and a vi/en ``message``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str | None = None, message: str | None = None) -> Response:
    """``{"error": {"code", "message"}}`` with ``status``, the same shape as the central API's."""
    default_code, default_message = STATUS_ERRORS.get(status, ("error", "Yêu cầu thất bại. / The request failed."))
    response = jsonify({"error": {"code": code or default_code, "message": message or default_message}})
    response.status_code = status
    return response


def json_body(fields: dict[str, type | tuple[type, ...]]) -> dict[str, Any]:
    """The request's JSON object, with each of ``fields`` present and of its type (bool is never an int)."""
    if not request.is_json:
        raise BadInput(415, *STATUS_ERRORS[415])
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput(400, *STATUS_ERRORS[400])
    for name, kind in fields.items():
        value = body.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, kind):
            raise BadInput(
                400,
                "bad_field",
                f"Trường {name} bị thiếu hoặc sai kiểu. / The field {name} is missing or of the wrong type.",
            )
    return body


def checked_pin(body: dict[str, Any]) -> str:
    pin = body["pin"]
    if not pin.isascii() or not pin.isdigit() or len(pin) > PIN_MAX_LEN:
        raise BadInput(
            400, "bad_pin", f"Mã PIN là 1 đến {PIN_MAX_LEN} chữ số. / A PIN is 1 to {PIN_MAX_LEN} digits."
        )
    return pin


def pins_are_mocked() -> bool:
    return os.environ.get("GPIOZERO_PIN_FACTORY", "").strip().lower() == "mock"


class KioskFlask(Flask):
    """Flask with a cache lifetime for the screen's font files (``FONT_MAX_AGE``)."""

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        if filename and filename.endswith(".woff2"):
            return FONT_MAX_AGE
        return super().get_send_file_max_age(filename)


class EventStreams:
    """The open ``/events`` streams: each gets every service event through its own queue."""

    def __init__(self, service: KioskService, keepalive_s: float):
        self.service = service
        self.keepalive_s = keepalive_s
        self.lock = threading.Lock()
        self.queues: set[queue.Queue] = set()
        self.closed = False

    def open(self) -> queue.Queue | None:
        """A queue for a new stream, or None when ``MAX_STREAMS`` are already open."""
        with self.lock:
            if self.closed or len(self.queues) >= MAX_STREAMS:
                return None
            q: queue.Queue = queue.Queue(STREAM_BACKLOG)
            if not self.queues:
                self.service.add_listener(self.publish)
            self.queues.add(q)
            return q

    def release(self, q: queue.Queue) -> None:
        with self.lock:
            if q not in self.queues:
                return
            self.queues.discard(q)
            if not self.queues:
                self.service.remove_listener(self.publish)

    def publish(self, event: dict[str, Any]) -> None:
        """The service's listener: hand ``event`` to every stream without blocking the caller."""
        with self.lock:
            queues = list(self.queues)
        for q in queues:
            try:
                q.put_nowait(event)
            except queue.Full:
                # A page that fell this far behind re-reads the whole state instead.
                with q.mutex:
                    q.queue.clear()
                q.put_nowait({"type": "state", "state_version": ""})

    def close(self) -> None:
        """End every open stream (at shutdown), so no waitress thread waits on a page."""
        with self.lock:
            self.closed = True
            queues = list(self.queues)
        for q in queues:
            q.put(None)

    def stream(self, q: queue.Queue) -> Iterator[str]:
        """The text of one stream: a reconnect delay, then events and keep-alive comments."""
        try:
            # The page reconnects one second after the kiosk restarts.
            yield "retry: 1000\n\n"
            while True:
                try:
                    event = q.get(timeout=self.keepalive_s)
                except queue.Empty:
                    # Keeps the connection open through waitress's idle timeout, and finds closed pages.
                    yield ": keep-alive\n\n"
                    continue
                if event is None:
                    return
                yield f"event: {event.get('type', 'state')}\ndata: {json.dumps(event)}\n\n"
        finally:
            self.release(q)


def create_app(
    service: KioskService,
    *,
    buttons: Any = None,
    keepalive_s: float = 15.0,
) -> Flask:
    """The touch screen's Flask app over ``service``; ``buttons`` (a ``Buttons``) serves ``/dev/press``."""
    app = KioskFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.ensure_ascii = False
    streams = EventStreams(service, keepalive_s)
    # __main__ calls app.extensions["kiosk_streams"].close() before stopping waitress.
    app.extensions["kiosk_streams"] = streams

    @app.errorhandler(BadInput)
    def bad_input(err: BadInput):
        return error_response(err.status, err.code, err.message)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        return error_response(err.code or 500)

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)

    @app.after_request
    def headers(response: Response) -> Response:
        # Nothing from elsewhere, ever (docs/architecture.md, principle 4); and the state is never cached.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.endpoint not in ("photo", "static"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.get("/")
    def page():
        """The touch screen; its script (static/screen/, ES modules) fills it from /state."""
        return render_template("screen.html")

    @app.get("/state")
    def state():
        return jsonify(service.screen_state())

    @app.post("/press")
    def press():
        body = json_body({"score": int})
        score = body["score"]
        if not 1 <= score <= SCORE_MAX:
            raise BadInput(422, "bad_score", "Mức đánh giá không có. / There is no such rating level.")
        result = service.press(score, "touch")
        if result.ignored == "bad_score":
            raise BadInput(422, "bad_score", "Mức đánh giá không có. / There is no such rating level.")
        return jsonify(asdict(result))

    @app.post("/reasons")
    def reasons():
        body = json_body({"rating_id": str, "reasons": list})
        rating_id, codes = body["rating_id"], body["reasons"]
        if not 0 < len(rating_id) <= RATING_ID_MAX_LEN:
            raise BadInput(400, "bad_field", "Mã đánh giá không hợp lệ. / The rating id is not valid.")
        if len(codes) > REASONS_MAX or not all(isinstance(c, str) and 0 < len(c) <= 64 for c in codes):
            raise BadInput(
                400, "bad_field", "Lý do phải là danh sách mã. / The reasons must be a list of reason codes."
            )
        ticket = body.get("ticket")
        if ticket is not None and not (isinstance(ticket, str) and TICKET.fullmatch(ticket)):
            raise BadInput(
                400, "bad_field",
                "Số thứ tự là 1 đến 20 chữ cái, chữ số hoặc dấu -. / A ticket is 1 to 20 letters, digits or -.",
            )
        comment = body.get("comment")
        if comment is not None and not valid_comment(comment):
            raise BadInput(
                400, "bad_field",
                f"Góp ý là 1 đến {COMMENT_MAX} ký tự. / A comment is 1 to {COMMENT_MAX} characters of text.",
            )
        return jsonify({"ok": service.give_reasons(rating_id, list(dict.fromkeys(codes)), ticket, comment)})

    @app.post("/duty/sign-in")
    def sign_in():
        body = json_body({"officer_id": int, "pin": str})
        officer_id = body["officer_id"]
        if not 0 < officer_id < 2**63:
            raise BadInput(422, "unknown_officer", "Không có cán bộ này. / There is no such officer.")
        return jsonify(asdict(service.sign_in(officer_id, checked_pin(body))))

    @app.post("/duty/sign-out")
    def sign_out():
        body = json_body({"pin": str})
        return jsonify(asdict(service.sign_out(checked_pin(body))))

    @app.get("/events")
    def events():
        q = streams.open()
        if q is None:
            return error_response(
                503, "too_many_pages", "Quá nhiều trang đang mở. / Too many pages are open at once."
            )
        response = Response(streams.stream(q), mimetype="text/event-stream")
        response.headers["X-Accel-Buffering"] = "no"
        # A stream closed before its first chunk never runs the generator's own clean-up.
        response.call_on_close(lambda: streams.release(q))
        return response

    @app.get("/tracking/<code>.svg")
    def tracking_qr(code: str):
        """The QR code of the public board's page for tracking code ``code`` (as shown, with its hyphen)."""
        board = service.public_board_url()
        if board is None or not SHOWN.fullmatch(code):
            return error_response(
                404, "no_board", "Không có trang tra cứu cho mã này. / There is no lookup page for this code."
            )
        return Response(qr_svg(lookup_url(board, code)), mimetype="image/svg+xml")

    @app.get("/photos/<int:officer_id>")
    def photo(officer_id: int):
        path = service.photo_path(officer_id)
        if path is None or not path.is_file():
            return error_response(404, "no_photo", "Không có ảnh của cán bộ này. / This officer has no photo.")
        # The page asks for /photos/12?v=<n>: a new photo gets a new address, so this one may be kept.
        return send_file(path, max_age=86400)

    if pins_are_mocked():
        register_dev(app, service, buttons)
    return app


def register_dev(app: Flask, service: KioskService, buttons: Any) -> None:
    """``/dev`` and ``POST /dev/press/<score>``: only for mocked pins (docs/protocol.md §4)."""

    @app.post("/dev/press/<int:score>")
    def dev_press(score: int):
        if buttons is None:
            return error_response(
                404, "no_buttons", "Ki-ốt này không có nút GPIO. / This kiosk has no GPIO buttons."
            )
        try:
            buttons.dev_press(score)
        except ValueError:
            return error_response(404, "no_button", "Không có nút cho mức này. / There is no button for that level.")
        return jsonify({"pressed": score})

    @app.get("/dev")
    def dev_page():
        scale = service.screen_state().get("scale") or {}
        labels = {level["score"]: level["label"] for level in scale.get("levels") or []}
        scores = sorted(buttons.scores, reverse=True) if buttons is not None else []
        return render_template("dev.html", buttons=[(score, labels.get(score)) for score in scores])
