"""``python -m kiosk status``: the state a technician needs, as ``key: value`` lines.

It reads the outbox and the cached config in ``data_dir`` (the running
kiosk keeps writing them), and by default also probes the central service
once with the kiosk's token (GET /api/v1/kiosk/config with the ETag held, so
a 304 answer costs the server nothing and changes nothing): ``central`` is
then what the central service says right now, ``ok``, ``unreachable`` or
``unauthorized``. With ``--no-probe`` nothing goes over the network and
``central`` is the state the kiosk's uploader last recorded.

A damaged outbox is reported, not repaired (``outbox: damaged: …``, exit
code 3): the kiosk sets it aside when it next starts (``outbox_rescue.py``).
"""
from __future__ import annotations

import sqlite3
import sys
from typing import Any

from . import __version__
from .central import Central, CentralError, Unauthorized
from .config import KioskConfig
from .outbox_rescue import damaged_files, outbox_problem
from .service import KioskService

PROBE_TIMEOUT_S = 5.0
# Exit codes: 0 the central service answers, 1 it does not, 2 (__main__) the config is unusable,
# 3 the outbox is damaged or cannot be read.
EXIT_OUTBOX = 3


def probe_central(config: KioskConfig, etag: str | None) -> tuple[str, str | None]:
    """(``ok`` | ``unreachable`` | ``unauthorized``, the error if any) from one request now."""
    central = Central(config.central_url, config.token, ca_file=config.ca_file, timeout_s=PROBE_TIMEOUT_S)
    try:
        central.get_config(etag)
    except Unauthorized as err:
        return "unauthorized", str(err)
    except CentralError as err:
        return "unreachable", str(err)
    finally:
        central.close()
    return "ok", None


def read_outbox(config: KioskConfig) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """(status lines, meta, the config's ETag) from a sound outbox; ``sqlite3.Error`` when it cannot be read."""
    service = KioskService.open(config.data_dir)
    try:
        counts = service.outbox.counts()
        meta = service.outbox.all_meta()
        central_config, etag = service.config_snapshot()
        on_duty = service.on_duty_officer_id()
    finally:
        service.close()
    desk = (central_config or {}).get("desk") or {}
    replaced = meta.get("outbox_replaced")
    lines = {
        **counts,
        "last_seq": meta.get("last_seq", 0),
        "ignored_presses": meta.get("ignored_presses", 0),
        "desk": desk.get("name", "-"),
        "on_duty_officer_id": "-" if on_duty is None else on_duty,
        "config_version": (central_config or {}).get("config_version", "-"),
        "outbox_replaced": "never" if not isinstance(replaced, dict) else (
            f"{replaced.get('at')} ({replaced.get('reason')}; seq from {replaced.get('seq_from')}"
            f"{'; kept as ' + replaced['file'] if replaced.get('file') else ''})"),
    }
    return lines, meta, etag


def collect(config: KioskConfig, *, probe: bool = True) -> dict[str, Any]:
    """The status lines as a dict, in the order they are printed."""
    lines: dict[str, Any] = {"version": __version__, "config_file": config.path, "data_dir": config.data_dir,
                             "central_url": config.central_url}
    meta: dict[str, Any] = {}
    etag = None
    if (config.data_dir / "outbox.db").exists():
        problem = outbox_problem(config.data_dir)
        if problem is None:
            try:
                read, meta, etag = read_outbox(config)
                lines.update(read)
            except sqlite3.Error as err:
                problem = f"{type(err).__name__}: {err}"
        if problem is not None:
            lines["outbox"] = f"damaged: {problem}"
    else:
        lines.update({"outbox_depth": 0, "rejected": 0, "outbox": "none yet (the kiosk has not run)"})
    if config.data_dir.is_dir():
        lines["damaged_outboxes"] = " ".join(p.name for p in damaged_files(config.data_dir)) or "none"
    lines.update({
        "last_upload": meta.get("last_upload") or "never",
        "last_config": meta.get("last_config") or "never",
        "last_heartbeat": meta.get("last_heartbeat") or "never",
        "clock_offset_s": meta.get("clock_offset_s", "unknown"),
    })
    recorded = meta.get("central")
    recorded_line = f"{recorded} at {meta.get('central_at')}" if recorded else "none yet"
    if probe:
        state, error = probe_central(config, etag)
        lines.update({"central": state, "central_error": error or "-", "central_recorded": recorded_line})
    else:
        lines.update({"central": recorded or "unknown", "central_error": meta.get("central_error") or "-",
                      "central_recorded": recorded_line})
    return lines


def main(config: KioskConfig, *, probe: bool = True) -> int:
    """Print the status lines; 0 when the central service is ``ok``, else 1; 3 for a damaged outbox."""
    lines = collect(config, probe=probe)
    for key, value in lines.items():
        print(f"{key}: {value}")
    outbox = lines.get("outbox", "")
    if outbox.startswith("damaged: "):
        path = config.data_dir / "outbox.db"
        problem = outbox.removeprefix("damaged: ")
        print(f"Hộp thư {path} bị hỏng ({problem}). Khi khởi động lại, ki-ốt cất riêng tệp hỏng bên cạnh"
              f" (outbox.db.damaged-…) và mở hộp thư mới: systemctl restart hailong-kiosk."
              f" / The outbox {path} is damaged ({problem}). When restarted, the kiosk keeps the damaged file"
              f" beside it (outbox.db.damaged-…) and begins a new outbox: systemctl restart hailong-kiosk.",
              file=sys.stderr)
        return EXIT_OUTBOX
    return 0 if lines["central"] == "ok" else 1
