#!/usr/bin/env bash
# `make run`: the central service on SQLite with a demo province, and one kiosk
# registered at desk 1 with mock GPIO pins, side by side, for a first look.
# Data lives in var/ (not in git); run `make clean` to start again from nothing.
# Ctrl+C stops both.
set -eu
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
mkdir -p var
export ADMIN_DATABASE_URL="sqlite:///$PWD/var/demo.db"
export ADMIN_HOST=${ADMIN_HOST:-127.0.0.1}
export ADMIN_PORT=${ADMIN_PORT:-5000}
# Plain HTTP on this machine only: browsers would drop Secure cookies on a LAN address.
export ADMIN_INSECURE_COOKIES=1
# The address kiosks show under a tracking code, and alert e-mails link to.
export ADMIN_PUBLIC_URL=${ADMIN_PUBLIC_URL:-http://$ADMIN_HOST:$ADMIN_PORT}
DEMO_PASSWORD=${DEMO_PASSWORD:-hailong-demo-2026}
flask() { "$VENV/bin/flask" --app admin "$@"; }

fresh=0
[ -e var/demo.db ] || fresh=1
flask init-db
if [ "$fresh" = 1 ]; then
  flask seed-demo --ratings 6000
  # A kiosk token belongs to the database it was registered in.
  rm -f var/kiosk.toml
fi
# Demo users: an administrator, the manager of the unit of desk 1, a province inspector.
read -r unit_of_desk1 root_unit < <("$VENV/bin/python" - <<'PY'
from sqlalchemy import select
from admin import create_app
from admin.db import db
from admin.models import Desk, Unit
with create_app().app_context():
    print(db.session.get(Desk, 1).unit_id, db.session.scalar(select(Unit.id).where(Unit.parent_id.is_(None))))
PY
)
for spec in "admin admin" "quanly manager --unit $unit_of_desk1" "thanhtra inspector --unit $root_unit"; do
  # shellcheck disable=SC2086 # split into words on purpose
  set -- $spec
  name=$1; role=$2; shift 2
  printf '%s\n' "$DEMO_PASSWORD" | flask create-user "$name" --role "$role" "$@" --password-stdin >/dev/null 2>&1 || true
done

# The demo kiosk: registered once, its token kept in var/kiosk.toml and reused on the next run.
KIOSK_PORT=${KIOSK_PORT:-8080}
if [ ! -e var/kiosk.toml ]; then
  token=$(flask register-kiosk --desk 1 --name "Thiết bị trình diễn / Demo kiosk" | tail -n 1)
  ( umask 077
    cat > var/kiosk.toml <<TOML
# The demo kiosk of \`make run\` (README.md, "Kiosk"). Mock pins: GPIOZERO_PIN_FACTORY=mock.
central_url = "http://$ADMIN_HOST:$ADMIN_PORT"
token = "$token"
data_dir = "$PWD/var/kiosk"

[gpio]
buttons = [17, 27, 22]
ack_led = 23
status_led = 24
TOML
  )
fi
export KIOSK_CONFIG="$PWD/var/kiosk.toml" KIOSK_PORT GPIOZERO_PIN_FACTORY=mock

"$VENV/bin/python" -m admin &
admin_pid=$!
"$VENV/bin/python" - "http://$ADMIN_HOST:$ADMIN_PORT/healthz" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1)
        break
    except OSError:
        time.sleep(0.1)
PY
"$VENV/bin/python" -m kiosk &
kiosk_pid=$!
# A script's background jobs ignore Ctrl+C, so the script passes it (and SIGTERM) on to both.
trap 'kill -TERM $admin_pid $kiosk_pid 2>/dev/null || true' INT TERM

cat <<MSG

  Hài Lòng — bản trình diễn / demo

  Màn hình thiết bị / Kiosk touch screen:  http://127.0.0.1:$KIOSK_PORT/
  Nút bấm giả lập / Mock buttons:          http://127.0.0.1:$KIOSK_PORT/dev
  Bảng điều khiển / Console:               http://$ADMIN_HOST:$ADMIN_PORT/
  Trang công khai / Public board:          http://$ADMIN_HOST:$ADMIN_PORT/cong-khai  (màn hình sảnh / lobby TV: /cong-khai/tv)
  Đăng nhập / Sign in:        admin, quanly (quản lý / manager), thanhtra (thanh tra / inspector)
  Mật khẩu / Password:        $DEMO_PASSWORD
  API cho thiết bị / Kiosk API: http://$ADMIN_HOST:$ADMIN_PORT/api/v1/
  Trạng thái thiết bị / Kiosk status: KIOSK_CONFIG=var/kiosk.toml $VENV/bin/python -m kiosk status

  Dừng cả hai / Stop both: Ctrl+C

MSG
# Either process ending ends the demo.
wait -n $admin_pid $kiosk_pid || true
kill -TERM $admin_pid $kiosk_pid 2>/dev/null || true
wait
