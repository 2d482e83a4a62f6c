"""Fixtures of the kiosk API tests: every answer they get is checked against docs/openapi.json.

The ``app`` of tests/admin/conftest.py, with ``ContractClient`` as its test
client class: ``client`` and every ``app.test_client()`` of these tests
check each answer under /api/ (see ``api_support``), so an answer that
breaks the contract fails the test that asked for it.
"""
from __future__ import annotations

import pytest

from .api_support import ContractClient


@pytest.fixture
def app(app):
    app.test_client_class = ContractClient
    return app
