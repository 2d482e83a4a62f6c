"""``python -m admin``: serve the central service with waitress.

Listens on ``ADMIN_HOST``:``ADMIN_PORT`` (127.0.0.1:5000 by default) with
``ADMIN_THREADS`` worker threads (8 by default). Production runs several of
these behind a load balancer on one PostgreSQL.
"""
from __future__ import annotations

import os

from waitress import create_server

from . import create_app
from .alerts.worker import start_alert_worker


def env_int(name: str, default: int, low: int, high: int) -> int:
    """The whole number in environment variable ``name``; a clear exit when it is not one in range."""
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise SystemExit(
            f"{name}={raw!r} phải là số nguyên từ {low} đến {high}. / {name}={raw!r} must be a whole number from {low} to {high}."
        )
    return value


def main() -> None:
    """Build the app and serve it until stopped."""
    threads = env_int("ADMIN_THREADS", 8, 1, 256)
    # Checked here too: create_app would stop on a bad port with a traceback.
    env_int("ADMIN_PORT", 5000, 1, 65535)
    app = create_app()
    host, port = app.config["HOST"], app.config["PORT"]
    # Bound before the URL is printed, so whoever reads it can connect at once.
    server = create_server(app, host=host, port=port, threads=threads)
    # Files complaints into cases and sends the alerts, in every process.
    start_alert_worker(app)
    shown = f"[{host}]" if ":" in host else host
    print(f"Hài Lòng: http://{shown}:{port}/", flush=True)
    server.run()


if __name__ == "__main__":
    main()
