"""``python -m admin``: serve the central service with waitress.

Listens on ``ADMIN_HOST``:``ADMIN_PORT`` (127.0.0.1:5000 by default) with
``ADMIN_THREADS`` worker threads (8 by default), keeping at most
``ADMIN_CONNECTION_LIMIT`` connections (1000); a request's headers must
arrive within ``ADMIN_HEADER_TIMEOUT`` seconds (20) and its body within
``ADMIN_BODY_TIMEOUT`` seconds (60) after them (admin/serving.py says why).
Production runs several of these behind a load balancer on one PostgreSQL.
"""
from __future__ import annotations

import os

from . import create_app
from .alerts.worker import start_alert_worker
from .serving import Limits, make_server


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


def limits_from_env() -> Limits:
    """The serving limits from the environment, each checked, with Limits' defaults."""
    default = Limits()
    return Limits(
        threads=env_int("ADMIN_THREADS", default.threads, 1, 256),
        connection_limit=env_int("ADMIN_CONNECTION_LIMIT", default.connection_limit, 10, 100_000),
        header_timeout_s=env_int("ADMIN_HEADER_TIMEOUT", default.header_timeout_s, 1, 600),
        body_timeout_s=env_int("ADMIN_BODY_TIMEOUT", default.body_timeout_s, 1, 3600),
    )


def main() -> None:
    """Build the app and serve it until stopped."""
    limits = limits_from_env()
    # Checked here too: create_app would stop on a bad port with a traceback.
    env_int("ADMIN_PORT", 5000, 1, 65535)
    app = create_app()
    host, port = app.config["HOST"], app.config["PORT"]
    # Bound before the URL is printed, so whoever reads it can connect at once.
    server = make_server(app, host, port, limits)
    # Files complaints into cases and sends the alerts, in every process.
    start_alert_worker(app)
    shown = f"[{host}]" if ":" in host else host
    print(f"Hài Lòng: http://{shown}:{port}/", flush=True)
    server.run()


if __name__ == "__main__":
    main()
