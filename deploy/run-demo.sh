#!/usr/bin/env bash
# `make run`: the central service on SQLite with a demo province, for a first look.
# Data lives in var/ (not in git); run `make clean` to start again from nothing.
set -eu
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
mkdir -p var
export ADMIN_DATABASE_URL="sqlite:///$PWD/var/demo.db"
export ADMIN_HOST=${ADMIN_HOST:-127.0.0.1}
export ADMIN_PORT=${ADMIN_PORT:-5000}
# Plain HTTP on this machine only: browsers would drop Secure cookies on a LAN address.
export ADMIN_INSECURE_COOKIES=1
DEMO_PASSWORD=${DEMO_PASSWORD:-hailong-demo-2026}
flask() { "$VENV/bin/flask" --app admin "$@"; }

fresh=0
[ -e var/demo.db ] || fresh=1
flask init-db
if [ "$fresh" = 1 ]; then
  flask seed-demo --ratings 6000
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
  set -- $spec
  name=$1; role=$2; shift 2
  printf '%s\n' "$DEMO_PASSWORD" | flask create-user "$name" --role "$role" "$@" --password-stdin >/dev/null 2>&1 || true
done

cat <<MSG

  Hài Lòng — máy chủ trung tâm (bản trình diễn) / central service (demo)

  Bảng điều khiển / Console:  http://$ADMIN_HOST:$ADMIN_PORT/
  Đăng nhập / Sign in:        admin, quanly (quản lý / manager), thanhtra (thanh tra / inspector)
  Mật khẩu / Password:        $DEMO_PASSWORD
  API cho thiết bị / Kiosk API: http://$ADMIN_HOST:$ADMIN_PORT/api/v1/

  Dừng / Stop: Ctrl+C

MSG
exec "$VENV/bin/python" -m admin
