"""``python -m kiosk``: the kiosk process; ``status``: its state; ``rejected``, ``requeue``: what is set aside.

One process serves the touch screen with waitress, claims the GPIO buttons
and LEDs when the config has a ``[gpio]`` table, and runs the uploader.
SIGTERM (systemd) and SIGINT (Ctrl+C) stop it cleanly: the screen's event
streams end, waitress finishes its requests, the uploader finishes its
request, the GPIO pins are released and the outbox is closed. Under
systemd it reports ready, pings the watchdog while the outbox is usable,
and says when it stops (``notify.py``). A damaged outbox is set aside at
start and a new one begun (``outbox_rescue.py``), never a restart loop.
"""
from __future__ import annotations

import logging
import signal
import sqlite3
import sys
from typing import Any

from waitress import create_server

from .config import ConfigError, KioskConfig, load_config

USAGE = (
    "Cách dùng: python -m kiosk [status [--no-probe] | rejected | requeue all|MÃ...] "
    "/ Usage: python -m kiosk [status [--no-probe] | rejected | requeue all|ID...]"
)


def serve(config: KioskConfig) -> int:
    """Run the kiosk until SIGTERM or SIGINT; the exit code."""
    from . import notify
    from .central import Central
    from .outbox import ConfigCache
    from .outbox_rescue import open_outbox
    from .screen import create_app
    from .service import KioskService
    from .uploader import Uploader

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        # A damaged outbox is set aside and a new one begun (outbox_rescue.py): never a restart loop.
        service = KioskService(open_outbox(config.data_dir), ConfigCache(config.data_dir))
    except OSError as err:
        print(f"Không dùng được thư mục dữ liệu {config.data_dir}: {err.strerror}. "
              f"/ Cannot use the data directory {config.data_dir}: {err.strerror}.", file=sys.stderr)
        return 1
    except sqlite3.Error as err:
        print(f"Không mở được hộp thư {config.data_dir / 'outbox.db'}: {err}. "
              f"/ Cannot open the outbox {config.data_dir / 'outbox.db'}: {err}.", file=sys.stderr)
        return 1
    central = Central(config.central_url, config.token, ca_file=config.ca_file, timeout_s=config.timeout_s)
    uploader = Uploader(service, central, retry_max_s=config.retry_max_s, batch_size=config.batch_size)
    buttons: Any = None
    try:
        if config.gpio is not None:
            from .buttons import Buttons

            buttons = Buttons(service, config.gpio)
        app = create_app(service, buttons=buttons)
        server = create_server(app, host=config.host, port=config.port, threads=config.threads)
    except Exception as err:
        print(f"Không khởi động được thiết bị: {err}. / The kiosk cannot start: {err}.", file=sys.stderr)
        if buttons is not None:
            buttons.close()
        service.close()
        return 1

    def stop(signum: int, frame: Any) -> None:
        # End the screen's event streams first: waitress waits for its threads.
        app.extensions["kiosk_streams"].close()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    uploader.start()
    shown = f"[{config.host}]" if ":" in config.host else config.host
    print(f"Hài Lòng kiosk: http://{shown}:{config.port}/", flush=True)
    # Under systemd (Type=notify): the socket is listening, so the browser can connect now.
    notify.notify(f"READY=1\nSTATUS=http://{shown}:{config.port}/")
    interval = notify.watchdog_interval()
    watchdog = notify.Watchdog(service.outbox, interval) if interval else None
    if watchdog is not None:
        watchdog.start()
    try:
        server.run()
    finally:
        notify.notify("STOPPING=1")
        if watchdog is not None:
            watchdog.stop()
        server.close()
        uploader.stop()
        if buttons is not None:
            buttons.close()
        central.close()
        service.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m kiosk``; the exit code (2: unusable config or arguments)."""
    args = sys.argv[1:] if argv is None else argv
    requeue = args[:1] == ["requeue"] and len(args) > 1 and (args[1:] == ["all"] or "all" not in args[1:])
    if args not in ([], ["status"], ["status", "--no-probe"], ["rejected"]) and not requeue:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        config = load_config()
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    if args[:1] == ["status"]:
        from . import status

        return status.main(config, probe="--no-probe" not in args)
    if args:
        from . import set_aside

        return set_aside.requeue(config, args[1:]) if requeue else set_aside.list_rejected(config)
    return serve(config)


if __name__ == "__main__":
    sys.exit(main())
