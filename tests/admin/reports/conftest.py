"""Fixtures of the report tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def w(app, world):
    """The small province of ``world``, inside an app context."""
    with app.app_context():
        yield world
