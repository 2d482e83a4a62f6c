"""Shared helpers of the kiosk tests: a central config, a kiosk service, a real central service process.

``central_config()`` is what GET /api/v1/kiosk/config answers, for tests
that need a kiosk without a central service (the screen, the buttons);
``CentralProcess`` runs the real central service (``python -m admin``) in
its own process on a temporary SQLite database, for end-to-end tests.
"""
from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
from werkzeug.security import generate_password_hash

from kiosk.service import KioskService

ROOT = Path(__file__).resolve().parent.parent

# PINs of the two officers of central_config(); hashed once, as the central service does.
PIN_AN = "1234"
PIN_BINH = "9876"
_PIN_HASHES = {
    PIN_AN: generate_password_hash(PIN_AN),
    PIN_BINH: generate_password_hash(PIN_BINH),
}

CONFIG: dict[str, Any] = {
    "config_version": "test-1",
    "server_time": "2026-11-27T02:10:00Z",
    "kiosk": {"id": 7, "name": "Xã Mai Trung — quầy 2"},
    "desk": {"id": 3, "name": "Quầy 2 — Đất đai", "unit": {"id": 1, "name": "UBND xã Mai Trung"}},
    "scale": {
        "levels": [
            {"score": 1, "label": {"vi": "Không hài lòng", "en": "Not satisfied"}},
            {"score": 2, "label": {"vi": "Hài lòng", "en": "Satisfied"}},
            {"score": 3, "label": {"vi": "Rất hài lòng", "en": "Very satisfied"}},
        ],
        "satisfied_from": 2,
        "ask_reasons_at_or_below": 1,
    },
    "reasons": [
        {"code": "slow", "label": {"vi": "Chậm trễ, kéo dài", "en": "Slow, kept waiting"}, "integrity": False},
        {"code": "attitude", "label": {"vi": "Thái độ chưa đúng mực", "en": "Impolite or careless"}, "integrity": False},
        {"code": "bribe", "label": {"vi": "Vòi vĩnh, đòi tiền ngoài quy định", "en": "Asked for an unofficial payment"},
         "integrity": True},
        {"code": "other", "label": {"vi": "Lý do khác", "en": "Other"}, "integrity": False},
    ],
    "officers": [
        {"id": 12, "code": "MT-012", "name": "Nguyễn Văn An", "title": "Công chức địa chính",
         "photo_url": None, "pin_hash": _PIN_HASHES[PIN_AN]},
        {"id": 13, "code": "MT-013", "name": "Trần Thị Bình", "title": "Công chức tư pháp",
         "photo_url": None, "pin_hash": _PIN_HASHES[PIN_BINH]},
    ],
    "on_duty": {"officer_id": 12, "since": "2026-11-27T01:00:00Z"},
    "settings": {"cooldown_s": 5, "thanks_s": 4, "reasons_timeout_s": 20, "heartbeat_s": 60,
                 "languages": ["vi", "en"], "accept_without_officer": False},
}


def central_config(*, on_duty: int | None = 12, **settings: Any) -> dict[str, Any]:
    """A central config like the central service sends: officers 12 (PIN 1234, on duty) and 13 (PIN 9876).

    ``settings`` override the kiosk settings (``cooldown_s=0``, ``accept_without_officer=True``, ...);
    ``on_duty=None`` leaves the desk without a scheduled officer.
    """
    config = copy.deepcopy(CONFIG)
    config["settings"].update(settings)
    config["on_duty"] = None if on_duty is None else {"officer_id": on_duty, "since": "2026-11-27T01:00:00Z"}
    return config


def open_service(data_dir: Path, config: dict[str, Any] | None = None) -> KioskService:
    """A kiosk service in ``data_dir``, running ``config`` (central_config() by default)."""
    service = KioskService.open(data_dir)
    service.apply_config(central_config() if config is None else config)
    return service


@pytest.fixture
def kiosk_service(tmp_path) -> Iterator[KioskService]:
    """A kiosk service with central_config() applied: officer 12 on duty, cool-down 5 s."""
    service = open_service(tmp_path / "kiosk")
    yield service
    service.close()
