#!/bin/bash
# Install or upgrade the Hài Lòng kiosk on a Raspberry Pi (Raspberry Pi OS trixie, labwc).
# Run as root from a checkout (or its copy on a USB stick); safe to run again. See
# deploy/README.md. First install:
#   sudo deploy/install-kiosk.sh --central-url https://danhgia.example.gov.vn \
#        --token-file /boot/firmware/hailong-token --buttons 17,27,22 --ack-led 23 --status-led 24
# Upgrade (keeps the config and the outbox; rolls back if the new release fails):
#   sudo deploy/install-kiosk.sh
# Without the network on the Pi: add --wheelhouse DIR (built as deploy/README.md says).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib.sh
. "$SRC/deploy/lib.sh"

APP=/opt/hailong-kiosk
USER_NAME=hailong-kiosk
CONFIG=/etc/hailong/kiosk.toml
central_url='' token='' buttons='' ack_led='' status_led='' ca_file='' port='' desktop_user=''

usage() {
  say "Cách dùng / Usage: $0 [--central-url URL --token TOKEN|--token-file FILE] [--buttons 17,27,22]"
  say "    [--ack-led PIN] [--status-led PIN] [--ca-file PEM] [--port 8080] [--desktop-user NAME] [--wheelhouse DIR]"
  exit 2
}
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
    --central-url) central_url=$2 ;;
    --token) token=$2 ;;
    --token-file) token=$(tr -d ' \r\n' <"$2") ;;
    --buttons) buttons=$2 ;;
    --ack-led) ack_led=$2 ;;
    --status-led) status_led=$2 ;;
    --ca-file) ca_file=$2 ;;
    --port) port=$2 ;;
    --desktop-user) desktop_user=$2 ;;
    --wheelhouse) WHEELHOUSE=$(cd "$2" && pwd) ;;
    *) usage ;;
  esac
  shift 2
done
require_root

# Values go into TOML and unit files: refuse anything that could break out of them.
case $central_url in ''|http://*|https://*) ;; *) die "--central-url phải bắt đầu bằng https:// / --central-url must start with https://" ;; esac
case $central_url$token in *[!A-Za-z0-9:/._~%?=\&+-]*) die "--central-url hoặc --token có ký tự lạ. / --central-url or --token has unexpected characters." ;; esac
case $buttons in *[!0-9,]*) die "--buttons: các số chân BCM cách nhau bằng dấu phẩy. / --buttons: BCM pin numbers separated by commas." ;; esac
case $ack_led$status_led$port in *[!0-9]*) die "--ack-led, --status-led, --port phải là số. / --ack-led, --status-led, --port must be numbers." ;; esac

say "== Gói hệ thống / System packages"
apt_install chromium python3-venv python3-lgpio sqlite3 curl

say "== Người dùng / Users"
getent group gpio >/dev/null || groupadd --system gpio
ensure_system_user "$USER_NAME" /var/lib/hailong-kiosk
usermod -a -G gpio "$USER_NAME"
if [ -z "$desktop_user" ]; then
  # The account Raspberry Pi Imager creates is the first one, uid 1000: it owns the desktop.
  desktop_user=$(getent passwd 1000 | cut -d: -f1)
fi
[ -n "$desktop_user" ] || die "Không thấy người dùng màn hình; dùng --desktop-user. / No desktop user found; use --desktop-user."
desktop_home=$(getent passwd "$desktop_user" | cut -d: -f6)

say "== Phiên bản mới / New release"
rel=$(stage_release "$APP" "$SRC" --system-site-packages kiosk deploy systemd requirements.txt)
finish_release "$rel"

say "== Cấu hình / Configuration ($CONFIG)"
put_dir 0755 root:root /etc/hailong
if [ -n "$central_url$token$buttons$ca_file$port" ]; then
  if [ -z "$central_url" ] || [ -z "$token" ]; then
    die "Cần cả --central-url và --token (hoặc --token-file). / Both --central-url and --token (or --token-file) are needed."
  fi
  if [ -n "$ca_file" ]; then
    put_file 0644 root:root /etc/hailong/ca.pem <"$ca_file"
  fi
  new="$ROOT$CONFIG.new"
  {
    echo "# Written by deploy/install-kiosk.sh; README.md \"Kiosk\" lists every key."
    echo "central_url = \"$central_url\""
    echo "token = \"$token\""
    [ -z "$ca_file" ] || echo 'ca_file = "/etc/hailong/ca.pem"'
    [ -z "$port" ] || echo "port = $port"
    if [ -n "$buttons" ]; then
      printf '\n[gpio]\nbuttons = [%s]\n' "${buttons//,/, }"
      [ -z "$ack_led" ] || echo "ack_led = $ack_led"
      [ -z "$status_led" ] || echo "status_led = $status_led"
    fi
  } | put_file 0600 "$USER_NAME:$USER_NAME" "$CONFIG.new"
  # The new release reads it as the kiosk will: a bad value stops here, not in a restart loop.
  KIOSK_CONFIG="$new" PYTHONPATH="$rel" "$rel/venv/bin/python" -c 'from kiosk.config import load_config; load_config()' ||
    { rm -f "$new"; die "Cấu hình không hợp lệ (xem dòng trên). / The configuration is invalid (see the line above)."; }
  mv -f "$new" "$ROOT$CONFIG"
elif [ ! -e "$ROOT$CONFIG" ]; then
  die "Lần cài đầu cần --central-url và --token. / The first install needs --central-url and --token."
fi
port=$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb")).get("port", 8080))' "$ROOT$CONFIG")

say "== Dịch vụ / Services"
put_file 0644 root:root /etc/systemd/system/hailong-kiosk.service <"$SRC/systemd/hailong-kiosk.service"
put_file 0644 root:root /etc/systemd/user/hailong-kiosk-browser.service <"$SRC/systemd/hailong-kiosk-browser.service"
put_file 0755 root:root /usr/local/bin/hailong-kiosk <"$SRC/deploy/hailong-kiosk"
# Logs to the journal, kept across reboots (capped), so an outage can be read afterwards.
printf '[Journal]\nStorage=persistent\nSystemMaxUse=200M\n' |
  put_file 0644 root:root /etc/systemd/journald.conf.d/hailong-kiosk.conf
systemctl daemon-reload
systemctl enable hailong-kiosk.service

say "== Màn hình / Screen (desktop user $desktop_user)"
owner="$desktop_user:$(id -gn "$desktop_user" 2>/dev/null || echo "$desktop_user")"
echo "KIOSK_URL=http://127.0.0.1:$port/" | put_file 0644 "$owner" "$desktop_home/.config/hailong-kiosk/browser.env"
# labwc runs the user's autostart instead of the desktop's: no panel, no screen blanking,
# only the rating screen, which the user unit keeps running.
put_file 0644 "$owner" "$desktop_home/.config/labwc/autostart" <<'SH'
# Hài Lòng kiosk (deploy/install-kiosk.sh): the rating screen only, no desktop, no blanking.
dbus-update-activation-environment --systemd WAYLAND_DISPLAY XDG_CURRENT_DESKTOP XCURSOR_THEME XCURSOR_SIZE
systemctl --user start hailong-kiosk-browser.service &
SH
# No mouse pointer over the rating screen: a cursor theme whose every cursor is invisible.
printf 'XCURSOR_THEME=hailong-blank\nXCURSOR_SIZE=24\n' | put_file 0644 "$owner" "$desktop_home/.config/labwc/environment"
icons="$desktop_home/.local/share/icons/hailong-blank"
printf '[Icon Theme]\nName=hailong-blank\n' | put_file 0644 "$owner" "$icons/index.theme"
# An Xcursor file of one transparent pixel: header, one table entry, one 1x1 image.
"$PYTHON" -c 'import struct, sys; sys.stdout.buffer.write(b"Xcur" + struct.pack("<3I", 16, 0x10000, 1)
    + struct.pack("<3I", 0xFFFD0002, 24, 28) + struct.pack("<9I", 36, 0xFFFD0002, 24, 1, 1, 1, 0, 0, 0)
    + struct.pack("<I", 0))' | put_file 0644 "$owner" "$icons/cursors/left_ptr"
for name in default pointer hand1 hand2 text xterm watch wait progress crosshair grab grabbing move \
  not-allowed col-resize row-resize top_left_arrow; do
  ln -sfn left_ptr "$ROOT$icons/cursors/$name"
done
if command -v raspi-config >/dev/null; then
  raspi-config nonint do_boot_behaviour B4  # desktop, signed in automatically
  raspi-config nonint do_blanking 1         # 1: screen blanking off
fi

say "== Khởi động và kiểm tra / Start and health check"
kiosk_healthy() {
  systemctl restart hailong-kiosk.service &&
    wait_http "http://127.0.0.1:$port/state" &&
    systemctl is-active --quiet hailong-kiosk.service
}
activate_release "$APP" "$rel" kiosk_healthy
say "Xong. Khởi động lại (reboot) để màn hình hiện lên; trạng thái: sudo hailong-kiosk status"
say "Done. Reboot to bring up the screen; state: sudo hailong-kiosk status"
