"""Helpers of the deploy tests: a throwaway root, stand-ins for the commands that need a real system.

The installers run for real (bash, python -m venv, pip from a wheelhouse,
tar, the kiosk and the central service themselves); only what needs root
on a real machine is a stand-in on PATH: ``useradd``, ``usermod``,
``groupadd``, ``getent`` (answers from the users the stand-ins made),
``chown`` (records owners by inode: ``mv`` keeps the inode), ``apt-get``,
``raspi-config``, ``runuser``, ``psql``, ``nginx``, and ``systemctl``, which
starts a unit's ExecStart= under the root the way systemd would (paths moved
under the root, ``Type=notify`` answered by a real ``READY=1``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RECORDER = r'''#!/usr/bin/env python3
"""Stand-in for {name}: records its arguments in $FAKE_STATE/calls.jsonl."""
import json, os, sys
state = os.environ["FAKE_STATE"]
with open(os.path.join(state, "calls.jsonl"), "a") as log:
    log.write(json.dumps(["{name}", *sys.argv[1:]]) + "\n")
'''

EXTRA = {
    "useradd": '''
with open(os.path.join(state, "passwd"), "a") as f:
    f.write(f"{sys.argv[-1]}:x:999:999::{sys.argv[sys.argv.index('--home-dir') + 1]}:/usr/sbin/nologin\\n")
''',
    "groupadd": '''
with open(os.path.join(state, "group"), "a") as f:
    f.write(f"{sys.argv[-1]}:x:998:\\n")
''',
    "getent": '''
db, key = sys.argv[1], sys.argv[2]
path = os.path.join(state, db)
for line in open(path) if os.path.exists(path) else []:
    fields = line.split(":")
    if key in (fields[0], fields[2]):
        print(line, end="")
        sys.exit(0)
sys.exit(2)
''',
    "chown": '''
owners_path = os.path.join(state, "owners.json")
owners = json.load(open(owners_path)) if os.path.exists(owners_path) else {}
owners[str(os.stat(sys.argv[-1]).st_ino)] = sys.argv[-2]
json.dump(owners, open(owners_path, "w"))
''',
    "runuser": '''
# runuser -u USER -- COMMAND...: run it as we are.
args = sys.argv[sys.argv.index("--") + 1:]
os.execvp(args[0], args)
''',
    "psql": '''
# Nothing exists yet: queries answer no rows.
''',
}

SYSTEMCTL = r'''#!/usr/bin/env python3
"""Stand-in for systemctl under $FAKE_ROOT: records, and runs units the way systemd would."""
import json, os, re, signal, socket, subprocess, sys, time
state, root = os.environ["FAKE_STATE"], os.environ["FAKE_ROOT"]
args = [a for a in sys.argv[1:] if not a.startswith("-")]
with open(os.path.join(state, "calls.jsonl"), "a") as log:
    log.write(json.dumps(["systemctl", *sys.argv[1:]]) + "\n")


def rooted(value):
    return re.sub(r"(?<![\w/])(/opt/|/etc/|/var/|/run/)", root + r"\1", value)


def unit_settings(name):
    base, instance = name, ""
    if "@" in name:
        prefix, rest = name.split("@", 1)
        instance = rest.rsplit(".", 1)[0]
        base = f"{prefix}@.service"
    path = os.path.join(root, "etc/systemd/system", base)
    if not os.path.exists(path):
        return None  # not installed under this root: recorded only
    text = open(path).read().replace("\\\n", " ")
    text = (text.replace("%i", instance).replace("%t", f"{root}/run").replace("%S", f"{root}/var/lib"))
    settings = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def pid_of(name):
    try:
        pid = int(open(os.path.join(state, name + ".pid")).read())
        with open(f"/proc/{pid}/stat") as f:
            return pid if f.read().split(") ")[1][0] != "Z" else None
    except (OSError, ValueError):
        return None


def stop(name):
    pid = pid_of(name)
    if pid:
        os.killpg(pid, signal.SIGTERM)
        for _ in range(200):
            if not pid_of(name):
                break
            time.sleep(0.05)
        else:
            os.killpg(pid, signal.SIGKILL)


def start(name):
    s = unit_settings(name)
    if s is None or "ExecStart" not in s:
        return 0  # not installed under this root, or a target: recorded only
    env = dict(os.environ)
    for line in s.get("EnvironmentFile", []):
        path = rooted(line.lstrip("-"))
        if os.path.exists(path):
            for entry in open(path).read().splitlines():
                if "=" in entry and not entry.startswith("#"):
                    k, v = entry.split("=", 1)
                    env[k] = v
    for line in s.get("Environment", []):
        k, v = line.split("=", 1)
        env[k] = rooted(v)
    for key in ("RuntimeDirectory", "StateDirectory"):
        for d in s.get(key, []):
            os.makedirs(f"{root}/{'run' if key == 'RuntimeDirectory' else 'var/lib'}/{d}", exist_ok=True)
    argv = s["ExecStart"][0].split()
    argv[0] = rooted(argv[0])
    notify_path = os.path.join(state, name + ".notify")
    notifying = s.get("Type", ["simple"])[0] == "notify"
    if notifying:
        if os.path.exists(notify_path):
            os.unlink(notify_path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(notify_path)
        sock.settimeout(0.2)
        env["NOTIFY_SOCKET"] = notify_path
    logf = open(os.path.join(root, "var/log", name + ".log"), "a")
    proc = subprocess.Popen(argv, env=env, cwd=rooted(s.get("WorkingDirectory", ["/"])[0]),
                            stdout=logf, stderr=logf, start_new_session=True)
    open(os.path.join(state, name + ".pid"), "w").write(str(proc.pid))
    if notifying:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return 1
            try:
                if b"READY=1" in sock.recv(4096):
                    return 0
            except socket.timeout:
                pass
        return 1
    return 0


os.makedirs(os.path.join(root, "var/log"), exist_ok=True)
verb, units = (args[0], args[1:]) if args else ("", [])
code = 0
for unit in units:
    if verb in ("restart", "start", "stop"):
        if verb != "start" or not pid_of(unit):
            stop(unit)
        if verb != "stop" and not pid_of(unit):
            code = code or start(unit)
    elif verb == "is-active":
        code = code or (0 if pid_of(unit) else 3)
sys.exit(code)
'''

COMMANDS = ["useradd", "usermod", "groupadd", "getent", "chown", "apt-get", "raspi-config", "runuser", "psql", "nginx"]


def need(tool: str) -> str:
    """The path of ``tool``; a skip outside CI, a failure under CI=true, when it is missing."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is required under CI=true")
        pytest.skip(f"{tool} is not installed")
    return path


class Machine:
    """A throwaway root with the stand-ins: ``run(script, *args)`` runs an installer against it.

    ``real`` names commands to leave real (``psql`` where a test has a PostgreSQL).
    """

    def __init__(self, base: Path, real: tuple[str, ...] = ()) -> None:
        self.root = base / "root"
        self.state = base / "state"
        self.bin = base / "bin"
        for d in (self.root, self.state, self.bin):
            d.mkdir(parents=True)
        # The account Raspberry Pi Imager makes, and the database server's.
        (self.state / "passwd").write_text("pi:x:1000:1000::/home/pi:/bin/bash\n"
                                           "postgres:x:110:110::/var/lib/postgresql:/bin/bash\n")
        (self.state / "group").write_text("pi:x:1000:\n")
        for name in set(COMMANDS) - set(real):
            self._script(name, RECORDER.format(name=name) + EXTRA.get(name, ""))
        self._script("systemctl", SYSTEMCTL)

    def _script(self, name: str, text: str) -> None:
        path = self.bin / name
        path.write_text(text.replace("/usr/bin/env python3", sys.executable, 1))
        path.chmod(0o755)

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "ROOT": str(self.root), "FAKE_ROOT": str(self.root), "FAKE_STATE": str(self.state),
                "PATH": f"{self.bin}:{os.environ['PATH']}", "GPIOZERO_PIN_FACTORY": "mock",
                "PYTHON": sys.executable, **extra}

    def run(self, script: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(script), *args], env=self.env(**env), capture_output=True, text=True,
                              timeout=300)

    def calls(self) -> list[list[str]]:
        path = self.state / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def owner(self, path: str) -> str:
        """The owner the stand-in chown gave the file at ``path`` (under the root); root:root if none."""
        owners_path = self.state / "owners.json"
        owners = json.loads(owners_path.read_text()) if owners_path.exists() else {}
        return owners.get(str((self.root / path.lstrip("/")).stat().st_ino), "root:root")

    def snapshot(self, *dirs: str) -> dict[str, tuple]:
        """Every file below ``dirs``: kind, mode, owner, and content hash or link target."""
        seen: dict[str, tuple] = {}
        for d in dirs:
            for path in sorted((self.root / d.lstrip("/")).rglob("*")):
                rel = "/" + str(path.relative_to(self.root))
                if path.is_symlink():
                    seen[rel] = ("link", os.readlink(path))
                elif path.is_dir():
                    seen[rel] = ("dir", oct(path.stat().st_mode & 0o7777), self.owner(rel))
                else:
                    seen[rel] = ("file", oct(path.stat().st_mode & 0o7777), self.owner(rel),
                                 hashlib.sha256(path.read_bytes()).hexdigest())
        return seen

    def service_logs(self) -> str:
        """What the services the stand-in systemctl started wrote, each log under its name."""
        return "".join(f"\n--- {log.name}\n{log.read_text(errors='replace')}"
                       for log in sorted((self.root / "var/log").glob("*.log")))

    def stop_services(self) -> None:
        """End every process the stand-in systemctl started."""
        for pid_file in self.state.glob("*.pid"):
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        time.sleep(0.1)


def checkout(dest: Path, *paths: str) -> Path:
    """A copy of this checkout's ``paths`` at ``dest``, as a technician would carry it."""
    for rel in paths:
        src = REPO / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


# pip's options for wheels another machine runs: a Pi (64-bit ARM) with Debian bookworm's CPython 3.11.
FOREIGN = {"arm64": ["--only-binary=:all:", "--platform", "manylinux2014_aarch64", "--platform",
                     "manylinux_2_17_aarch64", "--platform", "manylinux_2_28_aarch64", "--platform", "linux_aarch64",
                     "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "--abi", "abi3",
                     "--abi", "none"]}


def wheelhouse(arch: str | None = None) -> Path:
    """A wheelhouse of requirements.txt, made once and kept in the user's cache.

    For this machine, or with ``arch`` ("arm64") for a Pi's CPU, as deploy/README.md tells a technician.
    """
    requirements = (REPO / "requirements.txt").read_bytes()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    name = hashlib.sha256(requirements).hexdigest()[:12] + (f"-{arch}" if arch else "")
    folder = cache / "hailong-test-wheelhouse" / name
    if not (folder / ".complete").exists():
        done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "-r", str(REPO / "requirements.txt"),
                               "-d", str(folder), *FOREIGN.get(arch or "", [])],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            if os.environ.get("CI") == "true":
                pytest.fail(f"could not build the test wheelhouse: {done.stderr}")
            pytest.skip(f"could not build the test wheelhouse (no package index?): {done.stderr[-300:]}")
        (folder / ".complete").touch()
    return folder
