"""kiosk/config.py: the TOML file, the environment overrides, one-sentence errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import DEFAULT_DATA_DIR, ConfigError, GpioConfig, load_config

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return {"KIOSK_CONFIG": str(path)}


MINIMAL = 'central_url = "https://danhgia.example.gov.vn/"\ntoken = "abc"\n'


def error_of(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    return str(caught.value)


def test_config_minimal_file_gets_the_defaults(tmp_path):
    config = load_config(write(tmp_path, MINIMAL))
    assert config.central_url == "https://danhgia.example.gov.vn"
    assert config.token == "abc"
    assert (config.host, config.port, config.data_dir) == ("127.0.0.1", 8080, DEFAULT_DATA_DIR)
    assert config.ca_file is None and config.gpio is None
    assert config.retry_max_s == 60 and config.batch_size == 500


def test_config_full_file_with_gpio(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    env = write(tmp_path, MINIMAL + f"""data_dir = "{tmp_path}/data"
host = "0.0.0.0"
port = 8081
ca_file = "{ca}"
retry_max_s = 5
batch_size = 100
[gpio]
buttons = [17, 27, 22]
ack_led = 23
status_led = 24
debounce_ms = 30
""")
    config = load_config(env)
    assert config.data_dir == tmp_path / "data"
    assert (config.host, config.port, config.ca_file) == ("0.0.0.0", 8081, ca)
    assert (config.retry_max_s, config.batch_size) == (5.0, 100)
    assert config.gpio == GpioConfig(buttons=[17, 27, 22], ack_led=23, status_led=24, debounce_ms=30)


def test_config_environment_overrides_the_file(tmp_path):
    env = write(tmp_path, MINIMAL + 'data_dir = "/nowhere"\nport = 9000\n')
    env.update(KIOSK_CENTRAL_URL="http://10.0.0.5:5000", KIOSK_TOKEN="from-env",
               KIOSK_DATA_DIR=str(tmp_path / "d"), KIOSK_PORT="8099")
    config = load_config(env)
    assert (config.central_url, config.token, config.data_dir, config.port) == (
        "http://10.0.0.5:5000", "from-env", tmp_path / "d", 8099)


def test_config_missing_file_names_it(tmp_path):
    message = error_of({"KIOSK_CONFIG": str(tmp_path / "absent.toml")})
    assert str(tmp_path / "absent.toml") in message
    assert message.startswith("Không có tệp cấu hình") and " / There is no config file" in message


def test_config_not_toml_names_the_file(tmp_path):
    message = error_of(write(tmp_path, "central_url = \n[[["))
    assert "kiosk.toml" in message and "không phải TOML" in message and "is not valid TOML" in message


def test_config_binary_garbage_is_one_sentence(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "is not valid TOML" in error_of({"KIOSK_CONFIG": str(path)})


@pytest.mark.parametrize("text, key", [
    ('token = "abc"\n', "central_url"),
    ('central_url = "https://x"\n', "token"),
    (MINIMAL + "port = 0\n", "port"),
    (MINIMAL + 'port = "8080"\n', "port"),
    (MINIMAL + "port = true\n", "port"),
    (MINIMAL + 'host = ""\n', "host"),
    (MINIMAL + "data_dir = 5\n", "data_dir"),
    (MINIMAL + 'ca_file = "/no/such/ca.pem"\n', "ca_file"),
    (MINIMAL + "retry_max_s = 600\n", "retry_max_s"),
    (MINIMAL + "batch_size = 501\n", "batch_size"),
    (MINIMAL + "threads = 1\n", "threads"),
    (MINIMAL + "colour = 1\n", "colour"),
    ('central_url = "ftp://x"\ntoken = "a"\n', "central_url"),
    ('central_url = "https://"\ntoken = "a"\n', "central_url"),
    ('central_url = ["https://x"]\ntoken = "a"\n', "central_url"),
    ('central_url = "https://x"\ntoken = "   "\n', "token"),
    (MINIMAL + 'gpio = "17"\n', "gpio"),
    (MINIMAL + "[gpio]\nack_led = 23\n", "gpio.buttons"),
    (MINIMAL + "[gpio]\nbuttons = [17]\n", "gpio.buttons"),
    (MINIMAL + '[gpio]\nbuttons = [17, "27"]\n', "gpio.buttons"),
    (MINIMAL + "[gpio]\nbuttons = [17, 99]\n", "gpio.buttons"),
    (MINIMAL + "[gpio]\nbuttons = [17, 27]\nack_led = -1\n", "gpio.ack_led"),
    (MINIMAL + "[gpio]\nbuttons = [17, 27]\nstatus_led = 17\n", "gpio"),
    (MINIMAL + "[gpio]\nbuttons = [17, 27]\ndebounce_ms = 5000\n", "gpio.debounce_ms"),
    (MINIMAL + "[gpio]\nbuttons = [17, 27]\nbutons = 1\n", "gpio.butons"),
])
def test_config_bad_key_is_one_sentence_naming_file_and_key(tmp_path, text, key):
    message = error_of(write(tmp_path, text))
    path = str(tmp_path / "kiosk.toml")
    assert message.startswith(f"Trong {path}, khoá {key} ")
    assert f" / In {path}, the key {key} " in message
    assert "\n" not in message


@pytest.mark.parametrize("port", ["abc", "0", "70000", ""])
def test_config_bad_port_variable_is_named(tmp_path, port):
    env = write(tmp_path, MINIMAL)
    env["KIOSK_PORT"] = port
    assert error_of(env).startswith("Trong KIOSK_PORT, khoá port ")


def test_config_bad_url_variable_is_named(tmp_path):
    env = write(tmp_path, MINIMAL)
    env["KIOSK_CENTRAL_URL"] = "danhgia.example.gov.vn"
    assert error_of(env).startswith("Trong KIOSK_CENTRAL_URL, khoá central_url ")


def test_config_error_from_the_command_is_one_sentence_and_exit_2(tmp_path):
    env = {**os.environ, **write(tmp_path, 'token = "abc"\n'), "PYTHONPATH": str(ROOT)}
    for args in ([], ["status"]):
        done = subprocess.run([sys.executable, "-m", "kiosk", *args], env=env, capture_output=True, text=True,
                              timeout=60, cwd=ROOT)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines() == [
            f"Trong {tmp_path / 'kiosk.toml'}, khoá central_url bị thiếu. "
            f"/ In {tmp_path / 'kiosk.toml'}, the key central_url is missing."
        ]
        assert done.stdout == ""

