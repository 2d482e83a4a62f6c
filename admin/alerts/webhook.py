"""The webhook channel: a signed JSON POST to a province's own system (docs/protocol.md §5).

The body is sent exactly as it was queued. ``X-Hailong-Signature`` is
``sha256=`` and the hex HMAC-SHA256, keyed with ``ADMIN_WEBHOOK_SECRET``, of
the ``X-Hailong-Timestamp`` value, a dot and the body: the receiver checks
it, and refuses an old timestamp so that a recorded call cannot be replayed.
``X-Hailong-Delivery`` is the same on every try of one delivery.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

import requests

from ..models import Delivery
from .deliveries import DeliveryFailed

TIMEOUT_S = 15


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of ``X-Hailong-Signature`` for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post_webhook(config: Mapping[str, Any], delivery: Delivery) -> None:
    """POST ``delivery`` to its URL; ``DeliveryFailed`` unless the receiver answered 2xx."""
    body = delivery.body.encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "HaiLong-alerts/1",
        "X-Hailong-Delivery": str(delivery.id),
        "X-Hailong-Event": delivery.event,
        "X-Hailong-Timestamp": timestamp,
        "X-Hailong-Signature": signature(config["WEBHOOK_SECRET"], timestamp, body),
    }
    try:
        answer = requests.post(delivery.recipient, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False)
    except requests.RequestException as err:
        raise DeliveryFailed(f"Webhook {delivery.recipient}: {err}") from err
    if not 200 <= answer.status_code < 300:
        raise DeliveryFailed(f"Webhook {delivery.recipient} answered {answer.status_code}.")
