"""The e-mail channel: one message per delivery, through the province's SMTP server.

Configured by the environment (``ADMIN_SMTP_*``, docs/protocol.md §3).
Every message's Message-ID is made from its delivery, so a message sent
again after a crash is recognisably the same one.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ..db import utcnow
from ..models import Delivery
from .deliveries import DeliveryFailed

SECURITY_MODES = ("starttls", "tls", "none")
TIMEOUT_S = 20


def build_message(config: Mapping[str, Any], delivery: Delivery) -> EmailMessage:
    """The message of ``delivery``, from ``ADMIN_SMTP_FROM``."""
    message = EmailMessage()
    sender = config["SMTP_FROM"]
    message["From"] = sender
    message["To"] = delivery.recipient
    message["Subject"] = delivery.subject
    message["Date"] = format_datetime(utcnow())
    domain = sender.rpartition("@")[2] or "hailong.invalid"
    message["Message-ID"] = f"<delivery-{delivery.id}@{domain}>"
    message.set_content(delivery.body)
    return message


def send_email(config: Mapping[str, Any], delivery: Delivery) -> None:
    """Hand ``delivery`` to the SMTP server; ``DeliveryFailed`` unless it accepted the message."""
    security = config["SMTP_SECURITY"]
    context = ssl.create_default_context()
    try:
        if security == "tls":
            client = smtplib.SMTP_SSL(config["SMTP_HOST"], config["SMTP_PORT"], timeout=TIMEOUT_S, context=context)
        else:
            client = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=TIMEOUT_S)
        with client:
            if security == "starttls":
                client.starttls(context=context)
            if config.get("SMTP_USER"):
                client.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            refused = client.send_message(build_message(config, delivery))
    except (OSError, smtplib.SMTPException) as err:
        raise DeliveryFailed(f"SMTP {config['SMTP_HOST']}:{config['SMTP_PORT']}: {err}") from err
    if refused:
        raise DeliveryFailed(f"The SMTP server refused {delivery.recipient}: {refused[delivery.recipient]}")
