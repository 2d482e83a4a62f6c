"""deploy/install-kiosk.sh in a booted Debian (systemd-nspawn), sending to a central service installed beside it.

One container for the module (tests/deploy/booted_support.py). The central
service is installed first (install-admin.sh: PostgreSQL, two instances,
nginx with TLS) with a demo province and a kiosk registered; then the kiosk
is installed as a technician would, with the central service's certificate
as its authority. Only two things differ from a Pi, in a drop-in of the
kiosk's unit: the GPIO pins are gpiozero's mock pins (the buttons are
pressed through the kiosk's ``/dev/press``), and the watchdog's period is
6 s instead of 30 (the shipped value is checked in test_systemd_units.py),
so that a hang is caught in seconds.

Then: the kiosk runs hardened; a press on the touch screen or a button
reaches the central service exactly once through kills, restarts and a power
cut; an outbox that can no longer be written and a hung kiosk (SIGSTOP) are
killed by the watchdog and restarted; an upgrade that fails its health check
is rolled back.
"""
from __future__ import annotations

import json

import pytest

from .booted_support import SdCard, booted, exposure, install, unit_state
from .deploy_support import checkout
from .test_systemd_units import EXPOSURE_LIMITS

# Minutes of a few tests: started first (tests/conftest.py).
pytestmark = pytest.mark.long

SERVER = "danhgia.hailong.test"
KIOSK = "hailong-kiosk.service"
WATCHDOG_S = 6
# The technician's drop-in stand-ins: mock pins (no GPIO here), a shorter watchdog (see above).
DROP_IN = f"""[Service]
Environment=GPIOZERO_PIN_FACTORY=mock
WatchdogSec={WATCHDOG_S}
"""
KIOSK_NAME = "Quầy thử / Test desk"
FLASK = ("cd /opt/hailong-admin/current && runuser -u hailong -- sh -c "
         "'set -a; . /etc/hailong/admin.env; PYTHONPATH=. venv/bin/flask --app admin {}'")


@pytest.fixture(scope="module")
def sd_card(tmp_path_factory):
    """The file system of the kiosk's data (/var/lib/hailong-kiosk), as on the Pi's SD card."""
    card = SdCard(tmp_path_factory.mktemp("sd-card"))
    yield card
    card.remove()


@pytest.fixture(scope="module")
def pi(tmp_path_factory, sd_card):
    with booted(tmp_path_factory.mktemp("booted-kiosk"),
                rw_binds={"/var/lib/hailong-kiosk": sd_card.mount_point}) as container:
        install(container, f"/src/deploy/install-admin.sh --server-name {SERVER} --instances 2 "
                           "--wheelhouse /wheelhouse")
        container.sh(FLASK.format("seed-demo"))
        container.sh(FLASK.format("kiosk-settings cooldown_s=0 accept_without_officer=true "
                                  "reasons_after_every_score=false"))
        desk = sql(container, "SELECT min(id) FROM desks")
        token = container.sh(FLASK.format(f"register-kiosk --desk {desk} --name \"{KIOSK_NAME}\"")
                             ).stdout.strip().splitlines()[-1]
        drop_in = container.files("/etc/systemd/system/hailong-kiosk.service.d/test.conf")
        drop_in.parent.mkdir(parents=True)
        drop_in.write_text(DROP_IN)
        install(container, f"/src/deploy/install-kiosk.sh --central-url https://{SERVER} --token {token} "
                           "--ca-file /etc/hailong/tls/fullchain.pem --buttons 17,27,22 --ack-led 23 "
                           "--status-led 24 --wheelhouse /wheelhouse")
        container.wait_for("curl -sf http://127.0.0.1:8080/state | grep -q '\"view\": *\"idle\"'",
                           what="the kiosk's first config from the central service")
        yield container


def sql(container, query: str) -> str:
    return container.sh(f"runuser -u postgres -- psql hailong -v ON_ERROR_STOP=1 -qtAc \"{query}\"").stdout.strip()


def central_ratings(container) -> tuple[int, int, set[str]]:
    """The ratings of our kiosk on the central service: how many, how many distinct, their uuids."""
    kiosk = f"(SELECT id FROM kiosks WHERE name = '{KIOSK_NAME}')"
    rows = sql(container, f"SELECT uuid FROM ratings WHERE kiosk_id = {kiosk}").split()
    return len(rows), len(set(rows)), set(rows)


def touch(container, score: int = 3) -> str:
    """A press on the touch screen (the kiosk's local API); the recorded rating's uuid."""
    answer = json.loads(container.sh(f"curl -sS --fail -H 'Content-Type: application/json' "
                                     f"-d '{{\"score\": {score}}}' http://127.0.0.1:8080/press").stdout)
    assert answer["recorded"], answer
    return answer["rating_id"]


def button(container, score: int = 3) -> None:
    """A press of a GPIO button (a mock pin driven low, then high)."""
    answer = json.loads(container.sh(f"curl -sS --fail -X POST http://127.0.0.1:8080/dev/press/{score}").stdout)
    assert answer == {"pressed": score}


def status(container) -> dict[str, str]:
    done = container.sh("hailong-kiosk status --no-probe", check=False)
    return dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)


def restarts(container) -> int:
    return int(unit_state(container, KIOSK, "NRestarts")["NRestarts"])


def wait_restarted(container, before: int, what: str) -> None:
    container.wait_for(f"[ $(systemctl show -P NRestarts {KIOSK}) -gt {before} ] && "
                       "systemctl is-active --quiet hailong-kiosk && curl -sf http://127.0.0.1:8080/state",
                       timeout_s=120, what=what)


def wait_delivered(container, expected: int) -> None:
    container.wait_for("[ \"$(hailong-kiosk status --no-probe | sed -n 's/^outbox_depth: //p')\" = 0 ]",
                       timeout_s=120, what="the outbox drained")
    count, distinct, _ = central_ratings(container)
    assert (count, distinct) == (expected, expected)


def test_booted_kiosk_runs_hardened_and_reaches_central(pi):
    assert unit_state(pi, KIOSK, "ActiveState", "User") == {"ActiveState": "active", "User": "hailong-kiosk"}
    level = exposure(pi, KIOSK)
    print(f"\n{KIOSK} in the booted system: exposure {level} (limit {EXPOSURE_LIMITS[KIOSK]})")
    assert level <= EXPOSURE_LIMITS[KIOSK]
    done = pi.sh("hailong-kiosk status")
    assert "central: ok" in done.stdout


def test_booted_kiosk_presses_survive_kills_restarts_and_a_power_cut(pi):
    before, _, _ = central_ratings(pi)
    sent = {touch(pi) for _ in range(3)}
    button(pi)
    # The kiosk killed at once, the central instances restarted and killed while it sends.
    kiosk_restarts = restarts(pi)
    pi.sh(f"systemctl kill --signal=SIGKILL {KIOSK}")
    wait_restarted(pi, kiosk_restarts, "the kiosk after kill -9")
    sent |= {touch(pi) for _ in range(2)}
    pi.sh("systemctl restart hailong-admin.target")
    sent.add(touch(pi))
    pi.sh("systemctl kill --signal=SIGKILL hailong-admin@5001.service hailong-admin@5002.service")
    button(pi)
    pi.sh(f"systemctl restart {KIOSK}")
    pi.wait_for("curl -sf http://127.0.0.1:8080/state")
    wait_delivered(pi, before + len(sent) + 2)
    assert sent <= central_ratings(pi)[2]

    # The central service unreachable: the presses wait in the outbox, through a power cut.
    before = central_ratings(pi)[0]
    pi.sh("systemctl stop nginx")
    waiting = {touch(pi) for _ in range(4)}
    button(pi)
    assert status(pi)["outbox_depth"] == "5"
    pi.power_cut()
    pi.boot()
    pi.wait_for("curl -sf http://127.0.0.1:8080/state", what="the kiosk after the power cut")
    wait_delivered(pi, before + 5)
    assert waiting <= central_ratings(pi)[2]


def test_booted_kiosk_watchdog_restarts_when_the_outbox_cannot_be_written(pi, sd_card):
    before_count = central_ratings(pi)[0]
    kept = touch(pi)
    wait_delivered(pi, before_count + 1)
    waiting = {touch(pi) for _ in range(2)}
    pi.sh("systemctl stop nginx")  # these two stay in the outbox, on the card
    before = restarts(pi)
    watchdog_kills = pi.journal(KIOSK).count("Watchdog timeout")
    # The card fails: ext4 turns it read-only under the open outbox, as Raspberry Pi OS mounts it.
    sd_card.fail()
    pi.wait_for(f"[ $(journalctl -b -u {KIOSK} -o cat | grep -c 'Watchdog timeout') -gt {watchdog_kills} ]",
                timeout_s=90, what="the watchdog to fire")
    pi.wait_for(f"[ $(systemctl show -P NRestarts {KIOSK}) -gt {before} ]", what="the kiosk restarted")
    assert "is not writable" in pi.journal(KIOSK)
    # The Pi restarted with the card checked: the kiosk serves again, nothing it had kept is lost.
    pi.power_cut()
    sd_card.replace()
    pi.boot()
    pi.wait_for("curl -sf http://127.0.0.1:8080/state", what="the kiosk after the card was checked")
    waiting.add(touch(pi))
    wait_delivered(pi, before_count + 1 + len(waiting))
    assert {kept, *waiting} <= central_ratings(pi)[2]


def test_booted_kiosk_watchdog_restarts_a_hung_kiosk(pi):
    pi.wait_for(f"systemctl is-active --quiet {KIOSK} && curl -sf http://127.0.0.1:8080/state", what="the kiosk")
    pid = int(unit_state(pi, KIOSK, "MainPID")["MainPID"])
    assert pid > 0  # never `kill -STOP 0`: that would stop the shell's own group
    before = restarts(pi)
    pi.sh(f"kill -STOP {pid}")
    wait_restarted(pi, before, "the hung kiosk killed by the watchdog and restarted")
    assert "Watchdog timeout" in pi.journal(KIOSK)
    assert int(unit_state(pi, KIOSK, "MainPID")["MainPID"]) != pid
    touch(pi)


def test_booted_kiosk_failed_upgrade_rolls_back(pi):
    current = pi.sh("readlink /opt/hailong-kiosk/current").stdout.strip()
    src = checkout(pi.files("/root/src-broken"), "kiosk", "deploy", "systemd", "requirements.txt")
    main = src / "kiosk/__main__.py"
    main.write_text("raise SystemExit('broken release')\n")
    done = pi.sh("/root/src-broken/deploy/install-kiosk.sh --wheelhouse /wheelhouse", check=False,
                 env={"HEALTH_TIMEOUT_S": "15"})
    assert done.returncode != 0
    assert "rolling back to" in done.stderr and "Rolled back to" in done.stderr
    assert pi.sh("readlink /opt/hailong-kiosk/current").stdout.strip() == current
    assert "broken release" in pi.journal(KIOSK)
    pi.wait_for(f"systemctl is-active {KIOSK} && curl -sf http://127.0.0.1:8080/state", what="the old release")
    touch(pi)
