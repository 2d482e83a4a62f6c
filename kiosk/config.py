"""The kiosk's configuration: a TOML file, overridden by the environment (docs/protocol.md §3).

Every problem is a ``ConfigError`` whose message is one sentence, Vietnamese
then English, naming the file (or environment variable) and the key, so a
technician can fix it without reading a traceback.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PATH = Path("/etc/hailong/kiosk.toml")
DEFAULT_DATA_DIR = Path("/var/lib/hailong-kiosk")


class ConfigError(Exception):
    """The configuration cannot be used; ``str()`` is one sentence for a person."""


@dataclass(frozen=True)
class GpioConfig:
    """BCM pins of the buttons (lowest score first) and LEDs."""

    buttons: list[int]
    ack_led: int | None = None
    status_led: int | None = None
    debounce_ms: int = 50


@dataclass(frozen=True)
class KioskConfig:
    """Everything ``python -m kiosk`` needs; only ``central_url`` and ``token`` have no default."""

    path: Path
    central_url: str
    token: str
    data_dir: Path = DEFAULT_DATA_DIR
    host: str = "127.0.0.1"
    port: int = 8080
    # A province's own certificate authority, for HTTPS to its central service.
    ca_file: Path | None = None
    # waitress worker threads: the screen's event stream holds one while the page is open.
    threads: int = 8
    # Seconds one HTTP request to the central service may take.
    timeout_s: float = 15.0
    # Longest wait between tries while the central service does not answer (docs/protocol.md §4: 60).
    retry_max_s: float = 60.0
    # Ratings per upload request (the central service takes at most 500).
    batch_size: int = 500
    gpio: GpioConfig | None = None


def _fail(where: str, key: str, vi: str, en: str) -> ConfigError:
    return ConfigError(f"Trong {where}, khoá {key} {vi}. / In {where}, the key {key} {en}.")


def _expect_int(where: str, key: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(where, key, f"phải là số nguyên từ {low} đến {high}", f"must be a whole number from {low} to {high}")
    return value


def _expect_number(where: str, key: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise _fail(where, key, f"phải là số từ {low:g} đến {high:g}", f"must be a number from {low:g} to {high:g}")
    return float(value)


def _expect_str(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise _fail(where, key, "phải là một chuỗi không rỗng", "must be a non-empty string")
    return value.strip()


def _expect_url(where: str, key: str, value: Any) -> str:
    url = _expect_str(where, key, value)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(
            where, key, "phải là địa chỉ http:// hoặc https://", "must be an http:// or https:// address"
        )
    return url.rstrip("/")


def _pin(where: str, key: str, value: Any) -> int:
    # BCM numbering on a Raspberry Pi header: GPIO 0 to 27.
    return _expect_int(where, key, value, 0, 27)


def _gpio(where: str, table: Any) -> GpioConfig:
    if not isinstance(table, dict):
        raise _fail(where, "gpio", "phải là một bảng [gpio]", "must be a [gpio] table")
    unknown = sorted(set(table) - {"buttons", "ack_led", "status_led", "debounce_ms"})
    if unknown:
        raise _fail(where, f"gpio.{unknown[0]}", "không được biết đến", "is unknown")
    buttons = table.get("buttons")
    if not isinstance(buttons, list) or not 2 <= len(buttons) <= 10:
        raise _fail(
            where, "gpio.buttons", "phải là danh sách 2 đến 10 chân BCM", "must be a list of 2 to 10 BCM pin numbers"
        )
    pins = [_pin(where, "gpio.buttons", pin) for pin in buttons]
    leds = {name: _pin(where, f"gpio.{name}", table[name]) if name in table else None
            for name in ("ack_led", "status_led")}
    used = pins + [pin for pin in leds.values() if pin is not None]
    if len(set(used)) != len(used):
        raise _fail(where, "gpio", "dùng một chân hai lần", "uses one pin twice")
    debounce = _expect_int(where, "gpio.debounce_ms", table.get("debounce_ms", 50), 0, 1000)
    return GpioConfig(buttons=pins, debounce_ms=debounce, **leds)


KNOWN_KEYS = {
    "central_url", "token", "data_dir", "host", "port", "ca_file", "threads",
    "timeout_s", "retry_max_s", "batch_size", "gpio",
}
ENV_KEYS = {"KIOSK_CENTRAL_URL": "central_url", "KIOSK_TOKEN": "token", "KIOSK_DATA_DIR": "data_dir"}


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(
            f"Không có tệp cấu hình {path} (đặt KIOSK_CONFIG để dùng tệp khác). "
            f"/ There is no config file {path} (set KIOSK_CONFIG to use another)."
        ) from None
    except OSError as err:
        raise ConfigError(
            f"Không đọc được tệp cấu hình {path}: {err.strerror}. / Cannot read the config file {path}: {err.strerror}."
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"Tệp cấu hình {path} không phải TOML hợp lệ ({err}). / The config file {path} is not valid TOML ({err})."
        ) from None


def load_config(environ: dict[str, str] | None = None) -> KioskConfig:
    """The kiosk config from ``$KIOSK_CONFIG`` and the ``KIOSK_*`` overrides; ``ConfigError`` if unusable."""
    env = os.environ if environ is None else environ
    path = Path(env.get("KIOSK_CONFIG") or DEFAULT_PATH)
    raw = _read_file(path)
    where = str(path)
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise _fail(where, unknown[0], "không được biết đến", "is unknown")
    sources = {key: where for key in raw}
    for var, key in ENV_KEYS.items():
        if var in env:
            raw[key], sources[key] = env[var], var
    if "KIOSK_PORT" in env:
        try:
            raw["port"] = int(env["KIOSK_PORT"])
        except ValueError:
            raw["port"] = -1
        sources["port"] = "KIOSK_PORT"

    for key in ("central_url", "token"):
        if key not in raw:
            raise _fail(where, key, "bị thiếu", "is missing")
    ca_file = None
    if "ca_file" in raw:
        ca_file = Path(_expect_str(sources["ca_file"], "ca_file", raw["ca_file"]))
        if not ca_file.is_file():
            raise _fail(sources["ca_file"], "ca_file", f"chỉ tới {ca_file}, không có tệp đó",
                        f"names {ca_file}, which is not a file")
    data_dir = Path(_expect_str(sources["data_dir"], "data_dir", raw["data_dir"])) if "data_dir" in raw \
        else DEFAULT_DATA_DIR
    return KioskConfig(
        path=path,
        central_url=_expect_url(sources["central_url"], "central_url", raw["central_url"]),
        token=_expect_str(sources["token"], "token", raw["token"]),
        data_dir=data_dir,
        host=_expect_str(sources.get("host", where), "host", raw.get("host", "127.0.0.1")),
        port=_expect_int(sources.get("port", where), "port", raw.get("port", 8080), 1, 65535),
        ca_file=ca_file,
        threads=_expect_int(where, "threads", raw.get("threads", 8), 2, 64),
        timeout_s=_expect_number(where, "timeout_s", raw.get("timeout_s", 15.0), 1, 300),
        retry_max_s=_expect_number(where, "retry_max_s", raw.get("retry_max_s", 60.0), 0.1, 60),
        batch_size=_expect_int(where, "batch_size", raw.get("batch_size", 500), 1, 500),
        gpio=_gpio(where, raw["gpio"]) if "gpio" in raw else None,
    )
