"""Hài Lòng central service: the kiosk API, the admin console and the reports."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .db import configure_sqlite, db, migrate

__version__ = "0.1.0"

MIGRATIONS_DIR = str(Path(__file__).parent / "migrations")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the central service. ``test_config`` overrides the environment."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=os.environ.get("ADMIN_DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'hailong.db'}",
        TIMEZONE=os.environ.get("ADMIN_TIMEZONE", "Asia/Ho_Chi_Minh"),
        HOST=os.environ.get("ADMIN_HOST", "127.0.0.1"),
        PORT=int(os.environ.get("ADMIN_PORT", "5000")),
        # Officer photos come through the console; the API has its own 1 MiB cap.
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        API_MAX_BODY=1024 * 1024,
        API_MAX_ITEMS=500,
        PHOTO_MAX_BYTES=2 * 1024 * 1024,
        # A kiosk clock further than this from ours is wrong, not just late.
        CLOCK_TOLERANCE_S=600,
        # A kiosk not heard from for this long is shown offline.
        KIOSK_OFFLINE_AFTER_S=300,
        # Sign-in throttling (console/login_throttle.py): five wrong passwords lock an
        # account from one address (or one trusted browser); an address trying many
        # names, or an account guessed at from many addresses, locks higher up.
        LOGIN_MAX_FAILURES=5,
        LOGIN_ADDRESS_MAX_FAILURES=20,
        LOGIN_ACCOUNT_MAX_FAILURES=20,
        LOGIN_WINDOW_S=900,
        LOGIN_LOCK_S=900,
        # Console passwords: werkzeug's scrypt at its own cost (N = 2**15, r = 8, p = 1). A stored
        # hash names its method, so another setting applies to passwords set from then on.
        PASSWORD_HASH_METHOD="scrypt",
        # A console session ends after 30 minutes unused, and after 12 hours (a working day) in any case.
        SESSION_IDLE_S=1800,
        SESSION_MAX_S=43200,
        SESSION_COOKIE_SECURE=os.environ.get("ADMIN_INSECURE_COOKIES") != "1",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=os.environ.get("ADMIN_INSECURE_COOKIES") != "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE=os.environ.get("ADMIN_TIMEZONE", "Asia/Ho_Chi_Minh"),
        SQLALCHEMY_ENGINE_OPTIONS={},
        # Connections each engine keeps open (the session's, and the kiosk API's hot path): one for
        # each request thread (ADMIN_THREADS, 8), the group writer and the alert worker. Beyond it a
        # connection is opened for one use and closed after it: on PostgreSQL a new server process.
        DB_POOL_SIZE=int(os.environ.get("ADMIN_DB_POOL_SIZE", "10")),
        # Reverse proxies (nginx) in front of this process; their X-Forwarded-For
        # gives the client address that login throttling counts.
        PROXY_HOPS=int(os.environ.get("ADMIN_PROXY_HOPS", "0")),
        # Where the console is reached from outside, for the links in alerts.
        PUBLIC_URL=os.environ.get("ADMIN_PUBLIC_URL"),
        # Alerts by e-mail: off while ADMIN_SMTP_HOST is unset.
        SMTP_HOST=os.environ.get("ADMIN_SMTP_HOST"),
        SMTP_PORT=int(os.environ.get("ADMIN_SMTP_PORT", "587")),
        SMTP_SECURITY=os.environ.get("ADMIN_SMTP_SECURITY", "starttls"),
        SMTP_USER=os.environ.get("ADMIN_SMTP_USER"),
        SMTP_PASSWORD=os.environ.get("ADMIN_SMTP_PASSWORD"),
        SMTP_FROM=os.environ.get("ADMIN_SMTP_FROM", "hailong@localhost"),
        # Alerts to a province's own system: off while ADMIN_WEBHOOK_URL is unset.
        WEBHOOK_URL=os.environ.get("ADMIN_WEBHOOK_URL"),
        WEBHOOK_SECRET=os.environ.get("ADMIN_WEBHOOK_SECRET"),
    )
    if test_config:
        app.config.update(test_config)
    app.config["SECRET_KEY"] = (
        app.config.get("SECRET_KEY") or os.environ.get("ADMIN_SECRET_KEY") or _instance_secret(app)
    )
    try:
        app.config["TZ"] = ZoneInfo(app.config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise SystemExit(
            f"ADMIN_TIMEZONE={app.config['TIMEZONE']!r} is not an IANA time zone name "
            "(for example Asia/Ho_Chi_Minh)."
        ) from None
    _check_alert_channels(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_size", app.config["DB_POOL_SIZE"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("pool_pre_ping", True)

    if app.config["PROXY_HOPS"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"]
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    with app.app_context():
        configure_sqlite(db.engine)

    from . import api, cli, console, errors, health, i18n
    from .console import signin
    from .url_ids import IdConverter

    # Before any route is added: every <int:…> in a URL is bounded by what an id column holds.
    app.url_map.converters["int"] = IdConverter

    i18n.init_app(app)
    signin.init_app(app)
    api.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(console.bp)
    from . import public

    public.init_app(app)
    return app


def _check_alert_channels(app: Flask) -> None:
    """Stop with one clear sentence on an alert setting that cannot work, rather than failing every send."""
    from .alerts.mail import SECURITY_MODES

    if app.config["SMTP_SECURITY"] not in SECURITY_MODES:
        raise SystemExit(
            f"ADMIN_SMTP_SECURITY={app.config['SMTP_SECURITY']!r} phải là một trong {', '.join(SECURITY_MODES)}. / "
            f"ADMIN_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}."
        )
    if app.config["WEBHOOK_URL"]:
        if not app.config["WEBHOOK_URL"].startswith(("https://", "http://")):
            raise SystemExit("ADMIN_WEBHOOK_URL phải là địa chỉ http(s)://. / ADMIN_WEBHOOK_URL must be an http(s):// address.")
        if len(app.config["WEBHOOK_SECRET"] or "") < 16:
            raise SystemExit(
                "ADMIN_WEBHOOK_SECRET (ít nhất 16 ký tự) là bắt buộc khi có ADMIN_WEBHOOK_URL. / "
                "ADMIN_WEBHOOK_SECRET (at least 16 characters) is required with ADMIN_WEBHOOK_URL."
            )


def _instance_secret(app: Flask) -> str:
    """A secret key kept in the instance folder, made on first start (mode 0600).

    Production sets ``ADMIN_SECRET_KEY``; this keeps a single-machine install
    working across restarts without writing a secret into git or a unit file.
    """
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()
