"""``python -m admin``: serve the central service with waitress.

Listens on ``ADMIN_HOST``:``ADMIN_PORT`` (127.0.0.1:5000 by default) with
``ADMIN_THREADS`` worker threads (8 by default). Production runs several of
these behind a load balancer on one PostgreSQL.
"""
from __future__ import annotations

import os

from waitress import create_server

from . import create_app


def main() -> None:
    """Build the app and serve it until stopped."""
    try:
        threads = int(os.environ.get("ADMIN_THREADS", "8"))
    except ValueError:
        threads = 0
    if threads < 1:
        raise SystemExit(
            "ADMIN_THREADS phải là số nguyên dương. / ADMIN_THREADS must be a whole number from 1 up."
        )
    app = create_app()
    host, port = app.config["HOST"], app.config["PORT"]
    # Bound before the URL is printed, so whoever reads it can connect at once.
    server = create_server(app, host=host, port=port, threads=threads)
    shown = f"[{host}]" if ":" in host else host
    print(f"Hài Lòng: http://{shown}:{port}/", flush=True)
    server.run()


if __name__ == "__main__":
    main()
