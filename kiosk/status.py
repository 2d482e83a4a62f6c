"""``python -m kiosk status``: the state a technician needs, as ``key: value`` lines.

It reads the outbox and the cached config in ``data_dir`` (the running
kiosk keeps writing them), and by default also probes the central service
once with the kiosk's token (GET /api/v1/kiosk/config with the ETag held, so
a 304 answer costs the server nothing and changes nothing): ``central`` is
then what the central service says right now, ``ok``, ``unreachable`` or
``unauthorized``. With ``--no-probe`` nothing goes over the network and
``central`` is the state the kiosk's uploader last recorded.
"""
from __future__ import annotations

from typing import Any

from . import __version__
from .central import Central, CentralError, Unauthorized
from .config import KioskConfig
from .service import KioskService

PROBE_TIMEOUT_S = 5.0


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


def collect(config: KioskConfig, *, probe: bool = True) -> dict[str, Any]:
    """The status lines as a dict, in the order they are printed."""
    lines: dict[str, Any] = {"version": __version__, "config_file": config.path, "data_dir": config.data_dir,
                             "central_url": config.central_url}
    meta: dict[str, Any] = {}
    etag = None
    if (config.data_dir / "outbox.db").exists():
        service = KioskService.open(config.data_dir)
        try:
            counts = service.outbox.counts()
            meta = service.outbox.all_meta()
            central_config, etag = service.config_snapshot()
            on_duty = service.on_duty_officer_id()
        finally:
            service.close()
        lines.update(counts)
        desk = (central_config or {}).get("desk") or {}
        lines.update({
            "last_seq": meta.get("last_seq", 0),
            "ignored_presses": meta.get("ignored_presses", 0),
            "desk": desk.get("name", "-"),
            "on_duty_officer_id": "-" if on_duty is None else on_duty,
            "config_version": (central_config or {}).get("config_version", "-"),
        })
    else:
        lines.update({"outbox_depth": 0, "rejected": 0, "outbox": "none yet (the kiosk has not run)"})
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
    """Print the status lines; 0 when the central service is ``ok``, else 1."""
    lines = collect(config, probe=probe)
    for key, value in lines.items():
        print(f"{key}: {value}")
    return 0 if lines["central"] == "ok" else 1
