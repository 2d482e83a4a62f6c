"""Helpers of the booted-system tests: a real systemd in a Debian tree under ``systemd-nspawn``.

The tree is Debian bookworm with what the installers would pull already
installed (``tests/deploy/booted/build-tree.sh``, cached outside the checkout
under ``/var/cache/hailong-test``, keyed by a hash of that script). Each test
module boots one container on an overlay of that tree (its own upper
directory, so a reboot keeps what the installers wrote, and the cached tree
is never touched), with ``--private-network`` (nothing reaches the host's
ports or its PostgreSQL), this checkout bound read-only at ``/src`` and the
test wheelhouse at ``/wheelhouse``.

The host's PID 1 is not systemd: the container is started with
``--register=no --keep-unit`` from a cgroup made for it beforehand under
``/sys/fs/cgroup/systemd`` and ``/sys/fs/cgroup/unified``, and commands run
inside with ``nsenter -t <its PID 1> -a``, as a technician's shell would.

Without root, ``systemd-nspawn`` or those cgroup hierarchies the tests skip
with the reason; under ``CI=true`` that is a failure.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from .deploy_support import REPO, wheelhouse

BUILD_TREE = REPO / "tests/deploy/booted/build-tree.sh"
CGROUP_ROOTS = (Path("/sys/fs/cgroup/systemd"), Path("/sys/fs/cgroup/unified"))
# The container's shell: what a technician's root login would have.
CONTAINER_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root",
                 "TERM=dumb"]


def unavailable(reason: str) -> None:
    """Skip with ``reason``; under CI=true the machine must allow the booted tests, so fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"booted-system tests cannot run under CI=true: {reason}")
    pytest.skip(f"booted-system tests cannot run here: {reason}")


def arm64_unavailable() -> str | None:
    """Why qemu-user cannot run arm64 programs here (binfmt_misc), or None when it can."""
    if not Path("/proc/sys/fs/binfmt_misc/status").exists():
        return "binfmt_misc is not mounted (make booted-tree mounts it where the kernel allows)"
    entry = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
    if not entry.exists() or not entry.read_text().startswith("enabled"):
        return "qemu-aarch64 is not registered with binfmt_misc (apt-get install qemu-user-static binfmt-support)"
    return None


def booted_tree(arch: str = "amd64") -> Path:
    """The cached Debian tree for ``arch``, built first when missing (``make booted-tree`` builds it ahead)."""
    if os.geteuid() != 0:
        unavailable("they need root (systemd-nspawn, overlay mounts, cgroups)")
    for tool in ("systemd-nspawn", "nsenter", "debootstrap"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed (apt-get install systemd-container debootstrap util-linux)")
    for cgroup in CGROUP_ROOTS:
        if not (cgroup / "cgroup.procs").exists():
            unavailable(f"{cgroup} is not a mounted cgroup hierarchy")
    done = subprocess.run(["bash", str(BUILD_TREE), arch], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        unavailable(f"the Debian tree could not be built: {done.stderr[-800:]}")
    return Path(done.stdout.strip().splitlines()[-1])


class Container:
    """One booted Debian on an overlay of ``tree`` in ``base``: ``boot()``, ``sh(...)``, ``power_cut()``, ``close()``.

    ``binds`` maps paths inside to host folders, bound read-only beside the checkout at ``/src``;
    ``rw_binds`` the same, writable (an SD card of its own, below).
    """

    def __init__(self, tree: Path, base: Path, binds: dict[str, Path] | None = None,
                 rw_binds: dict[str, Path] | None = None) -> None:
        self.tree = tree
        self.base = base
        self.name = f"hailong-test-{uuid.uuid4().hex[:8]}"
        self.root = base / "root"
        self.upper = base / "upper"
        self.work = base / "work"
        for d in (self.root, self.upper, self.work):
            d.mkdir(parents=True, exist_ok=True)
        self.binds = {"/src": REPO, **(binds or {})}
        self.rw_binds = rw_binds or {}
        self.log_path = base / "nspawn.log"
        self.nspawn: subprocess.Popen | None = None
        self.pid1 = 0
        self.cgroups = [cg / "hailong-test" / self.name for cg in CGROUP_ROOTS]
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={tree},upperdir={self.upper},workdir={self.work}", str(self.root)], check=True)

    def boot(self, timeout_s: float = 120) -> float:
        """Boot the container and wait until systemd says the system is up; returns the seconds it took."""
        started = time.monotonic()
        for cgroup in self.cgroups:
            cgroup.mkdir(parents=True, exist_ok=True)
        binds = [f"--bind-ro={host}:{inside}" for inside, host in self.binds.items()]
        binds += [f"--bind={host}:{inside}" for inside, host in self.rw_binds.items()]
        # The shell moves itself into the container's cgroups, then becomes systemd-nspawn.
        enter = "".join(f"echo $$ > {cgroup}/cgroup.procs && " for cgroup in self.cgroups)
        command = (f"{enter}exec systemd-nspawn --quiet --register=no --keep-unit --private-network "
                   f"--console=passive --machine={self.name} -b -D {self.root} {' '.join(binds)}")
        self.nspawn = subprocess.Popen(["sh", "-c", command], stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT,
                                       start_new_session=True)
        deadline = started + timeout_s
        self.pid1 = 0
        while not self.pid1:
            if self.nspawn.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the container did not start: {self.log()}")
            self.pid1 = self._find_pid1()
            time.sleep(0.05)
        # Until systemd has mounted /run, systemctl finds no manager to ask ("offline").
        while True:
            state = self.sh("systemctl is-system-running --wait", check=False, timeout=timeout_s).stdout.strip()
            if state in ("running", "degraded"):
                return time.monotonic() - started
            if self.nspawn.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the container's systemd is {state!r}: {self.log()}")
            time.sleep(0.1)

    def _find_pid1(self) -> int:
        """The container's PID 1: the process of our cgroups that is 1 in its own PID namespace."""
        for procs in self.cgroups[0].rglob("cgroup.procs"):
            for pid in procs.read_text().split():
                try:
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                ns_pids = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
                if len(ns_pids) > 1 and ns_pids[-1] == "1":
                    return int(pid)
        return 0

    def sh(self, script: str, check: bool = True, timeout: float = 300, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess:
        """Run ``script`` with bash as root inside the container; ``check`` fails the test on a non-zero exit."""
        extra = [f"{key}={value}" for key, value in (env or {}).items()]
        done = subprocess.run(["nsenter", "-t", str(self.pid1), "-a", "--", "env", "-i", *CONTAINER_ENV, *extra,
                               "bash", "-c", script], capture_output=True, text=True, timeout=timeout,
                              start_new_session=True)  # a signal to the shell's group never reaches the tests
        if check and done.returncode != 0:
            pytest.fail(f"in the container: {script}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def wait_for(self, script: str, timeout_s: float = 120, what: str = "") -> str:
        """Run ``script`` until it exits 0 (its output is returned); fail after ``timeout_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        while True:
            done = self.sh(script, check=False)
            if done.returncode == 0:
                return done.stdout
            if time.monotonic() > deadline:
                pytest.fail(f"waited {timeout_s} s for {what or script}: {done.stdout}{done.stderr}")
            time.sleep(0.5)

    def journal(self, unit: str) -> str:
        return self.sh(f"journalctl -b --no-pager -o cat -u {unit}", check=False).stdout

    def files(self, path: str) -> Path:
        """The host path of ``path`` inside the container (its overlay), to put files there."""
        return self.root / path.lstrip("/")

    def power_cut(self) -> None:
        """As a power cut: SIGKILL to the container's PID 1 ends every process in it at once."""
        os.kill(self.pid1, signal.SIGKILL)
        self._wait_gone()

    def _wait_gone(self, timeout_s: float = 60) -> None:
        assert self.nspawn is not None
        try:
            self.nspawn.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.nspawn.pid, signal.SIGKILL)
            self.nspawn.wait(10)
        self.pid1 = 0

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def close(self) -> None:
        """Stop the container if it runs, unmount the overlay, remove its cgroups and files."""
        if self.nspawn is not None and self.nspawn.poll() is None:
            if self.pid1:
                self.power_cut()
            else:
                os.killpg(self.nspawn.pid, signal.SIGKILL)
                self.nspawn.wait(10)
        subprocess.run(["umount", "-l", str(self.root)], check=False)
        for cgroup in self.cgroups:
            # Deepest first: a cgroup can only be removed once it has no children.
            for d in sorted((p for p in cgroup.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                d.rmdir()
            if cgroup.exists():
                cgroup.rmdir()
        shutil.rmtree(self.base, ignore_errors=True)


class SdCard:
    """A small ext4 file system of its own (a loop device), mounted with ``errors=remount-ro`` as Raspberry Pi OS does.

    ``fail()`` makes the kernel take it for a damaged card: ext4 reports an
    error and turns the file system read-only at once, under files already
    open for writing too. ``replace()`` (while nothing uses it) checks it
    and mounts it again, as after the Pi's restart.
    """

    def __init__(self, base: Path, size: str = "64M") -> None:
        self.image = base / "sd.img"
        self.mount_point = base / "sd"
        self.mount_point.mkdir()
        subprocess.run(["truncate", "-s", size, str(self.image)], check=True)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(self.image)], check=True)
        self._mount()

    def _mount(self) -> None:
        subprocess.run(["mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.mount_point)], check=True)

    def fail(self) -> None:
        device = subprocess.run(["findmnt", "-no", "SOURCE", str(self.mount_point)], capture_output=True, text=True,
                                check=True).stdout.strip()
        Path(f"/sys/fs/ext4/{Path(device).name}/trigger_fs_error").write_text("hailong test: a failing SD card")

    def replace(self) -> None:
        self.remove()
        # e2fsck exits 1 when it fixed something: the error the kernel recorded.
        checked = subprocess.run(["e2fsck", "-fy", str(self.image)], capture_output=True, text=True)
        assert checked.returncode in (0, 1), checked.stdout + checked.stderr
        self._mount()

    def remove(self) -> None:
        subprocess.run(["umount", str(self.mount_point)], check=False)


@contextmanager
def booted(base: Path, arch: str = "amd64", rw_binds: dict[str, Path] | None = None) -> Iterator[Container]:
    """One booted container on the cached tree for ``arch``, in ``base``, with the wheelhouse for ``arch``."""
    tree = booted_tree(arch)
    container = Container(tree, base, {"/wheelhouse": wheelhouse(None if arch == "amd64" else arch)}, rw_binds)
    try:
        seconds = container.boot()
        print(f"\nbooted {tree.name} in {seconds:.1f} s")
        yield container
    finally:
        container.close()


def install(container: Container, command: str, timeout_s: float = 600) -> subprocess.CompletedProcess:
    """Run an installer as a technician would (as root, from the checkout at /src); fails the test when it fails."""
    started = time.monotonic()
    done = container.sh(command, check=False, timeout=timeout_s)
    assert done.returncode == 0, done.stdout + done.stderr
    print(f"\n{command.split()[0]}: {time.monotonic() - started:.1f} s")
    return done


def exposure(container: Container, unit: str) -> float:
    """``systemd-analyze security UNIT`` of the running system: its overall exposure level."""
    done = container.sh(f"systemd-analyze security --no-pager {unit}")
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", done.stdout)
    assert found, done.stdout
    return float(found.group(1))


def unit_state(container: Container, unit: str, *props: str) -> dict[str, str]:
    """Properties of ``unit`` as ``systemctl show`` gives them (ActiveState, NRestarts, MainPID, ...)."""
    done = container.sh(f"systemctl show --property={','.join(props)} {unit}")
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
