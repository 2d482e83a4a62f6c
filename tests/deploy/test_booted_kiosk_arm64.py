"""deploy/install-kiosk.sh into an arm64 Debian, as on a Raspberry Pi's CPU, run by qemu-user through binfmt_misc.

The tree is the booted tests' Debian bookworm for arm64 (the same
build-tree.sh), booted under systemd-nspawn with every program emulated; the
installer builds the kiosk's virtual environment from a wheelhouse for
aarch64 (deploy/README.md, "No internet on the Pi"). There is no central
service here (it would be emulated too, and it is proven on amd64): the kiosk
must start under systemd, serve its screen and say what it waits for.

pip under emulation is slow (minutes): the kiosk's virtual environment that
the installer builds the first time is kept beside the cached tree, keyed by
the tree and requirements.txt, and put back in /opt/hailong-kiosk/venvs
before later installs, which then find it complete (lib.sh's
stage_release) and do the rest as on a Pi: release, config, unit, start. Skipped, with the reason, where binfmt_misc cannot run arm64
programs (the issue asks for it only where qemu-user can), under CI=true too.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from .booted_support import Container, arm64_unavailable, booted, install, unit_state
from .deploy_support import REPO
from .test_booted_kiosk import DROP_IN

# Minutes of a few tests: started first (tests/conftest.py).
pytestmark = pytest.mark.long

VENVS = "/opt/hailong-kiosk/venvs"


def kept_venvs(container: Container) -> Path:
    """Where the kiosk's arm64 virtual environments are kept between runs: beside the cached tree."""
    requirements = hashlib.sha256((REPO / "requirements.txt").read_bytes()).hexdigest()[:12]
    return container.tree.parent / f"{container.tree.name}-kiosk-venvs-{requirements}"


@pytest.fixture(scope="module")
def pi64(tmp_path_factory):
    reason = arm64_unavailable()
    if reason:
        pytest.skip(f"arm64 cannot be emulated here: {reason}")
    with booted(tmp_path_factory.mktemp("booted-arm64"), arch="arm64") as container:
        drop_in = container.files("/etc/systemd/system/hailong-kiosk.service.d/test.conf")
        drop_in.parent.mkdir(parents=True)
        drop_in.write_text(DROP_IN)
        kept = kept_venvs(container)
        if (kept / ".complete").exists():
            shutil.copytree(kept / "venvs", container.files(VENVS), symlinks=True)
        install(container, "/src/deploy/install-kiosk.sh --central-url https://danhgia.hailong.test "
                           "--token tok-arm64 --buttons 17,27,22 --wheelhouse /wheelhouse", timeout_s=1800)
        if not (kept / ".complete").exists():
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(container.files(VENVS), kept / "venvs", symlinks=True)
            (kept / ".complete").touch()
        yield container


def test_booted_kiosk_arm64_installs_and_serves(pi64):
    assert pi64.sh("uname -m").stdout.strip() == "aarch64"
    machine = pi64.sh("/opt/hailong-kiosk/current/venv/bin/python -c 'import platform; print(platform.machine())'")
    assert machine.stdout.strip() == "aarch64"
    # The compiled libraries of the wheelhouse are aarch64 ones, loaded by the kiosk's own Python.
    pi64.sh("/opt/hailong-kiosk/current/venv/bin/python -c 'import orjson, PIL.Image, greenlet'")
    assert unit_state(pi64, "hailong-kiosk.service", "ActiveState", "User") == \
        {"ActiveState": "active", "User": "hailong-kiosk"}
    # Nobody to ask for its first config: the screen waits for it, and the status says why.
    assert json.loads(pi64.sh("curl -sS --fail http://127.0.0.1:8080/state").stdout)["view"] == "waiting"
    status = pi64.sh("hailong-kiosk status", check=False)
    assert status.returncode != 0 and "central: unreachable" in status.stdout.splitlines(), status.stdout
