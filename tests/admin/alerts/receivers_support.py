"""Real receivers for the alert channels: an SMTP server (aiosmtpd) and an HTTP server on 127.0.0.1.

Each can be switched off and on again to stand for an outage: the SMTP
server stops listening, the HTTP receiver answers 503. Used by the alert
tests here and by the kiosk's end-to-end complaint test.
"""
from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from ...ports_support import free_port


class Mailbox:
    """The messages an SMTP server on 127.0.0.1 received, by recipient."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[tuple[list[str], Message]] = []
        self._controller: Controller | None = None
        self.received = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.received:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
            self.received.notify_all()
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Message]:
        return [message for rcpts, message in self.messages if address in rcpts]

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.received:
            return self.received.wait_for(lambda: len(self.messages) >= count, timeout)


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every POST; ``failing`` makes it answer 503."""

    def __init__(self):
        self.calls: list[dict] = []
        self.failing = False
        self.received = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                with receiver.received:
                    receiver.calls.append({"headers": dict(self.headers), "body": body, "path": self.path})
                    receiver.received.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/hailong"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def documents(self) -> list[dict]:
        return [json.loads(call["body"]) for call in self.calls]

    def wait_for(self, count: int, timeout: float) -> bool:
        with self.received:
            return self.received.wait_for(lambda: len(self.calls) >= count, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


WEBHOOK_SECRET = "a-long-shared-secret-0123456789"


def alert_config(mailbox: Mailbox | None, webhook: WebhookReceiver | None) -> dict:
    """App configuration that sends alerts to these receivers."""
    config: dict = {"PUBLIC_URL": "https://danhgia.example.gov.vn"}
    if mailbox is not None:
        config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=mailbox.port, SMTP_SECURITY="none",
                      SMTP_FROM="canhbao@danhgia.example.gov.vn")
    if webhook is not None:
        config.update(WEBHOOK_URL=webhook.url, WEBHOOK_SECRET=WEBHOOK_SECRET)
    return config
