"""Fixtures of the kiosk tests: the real central service in its own process, canned answers, a kiosk process."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from .kiosk_support import Canned, CentralProcess, KioskProcess


@pytest.fixture(scope="session")
def shared_central(tmp_path_factory) -> Iterator[CentralProcess]:
    """One central service for the kiosk tests: cool-down and thanks 0, ratings taken without an officer,
    reasons asked after low scores only (the tests of delivery need no reasons after a high score).

    Tests that count what arrived use a kiosk of their own (``add_kiosk``).
    """
    central = CentralProcess(tmp_path_factory.mktemp("central"))
    # Its config names the public board (public_board_url), which the kiosk shows beside a tracking code.
    central.env["ADMIN_PUBLIC_URL"] = "https://danhgia.example.gov.vn"
    central.setup(cooldown_s=0, thanks_s=0, accept_without_officer=True, reasons_after_every_score=False)
    yield central
    central.stop()


@pytest.fixture
def central(shared_central) -> CentralProcess:
    """The shared central service, running when the test starts (a test may stop and start it)."""
    if not shared_central.running:
        shared_central.start()
    return shared_central


@pytest.fixture
def canned() -> Iterator[Canned]:
    server = Canned()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def kiosk_process(central, tmp_path) -> Iterator[tuple[KioskProcess, int]]:
    """A kiosk process registered on the running central service (not started) and its kiosk id."""
    token, kiosk_id = central.add_kiosk(f"E2E {tmp_path.name}")
    kiosk = KioskProcess(tmp_path / "kiosk", central.url, token)
    yield kiosk, kiosk_id
    kiosk.kill()


@pytest.fixture
def notify_socket(tmp_path):
    """A datagram socket bound where NOTIFY_SOCKET will point, as systemd's; yields (socket, path)."""
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(0.1)
    yield sock, path
    sock.close()
