"""Fixtures of the alert tests: a real HTTP receiver on 127.0.0.1 (the SMTP server, ``mailbox``, is in tests/conftest.py)."""
from __future__ import annotations

import pytest

from .receivers_support import WebhookReceiver


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()
