#!/bin/bash
# Restore a central database dump (deploy/backup-admin.sh) into a NEW database, never over
# the live one: check it, then point ADMIN_DATABASE_URL at it (deploy/README.md, "Backups").
#   sudo deploy/restore-admin.sh /var/backups/hailong/hailong-20261127-013000.dump hailong_restored
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib.sh
. "$SRC/deploy/lib.sh"

owner=hailong
if [ "${1:-}" = --owner ]; then
  owner=${2:?}
  shift 2
fi
[ $# = 2 ] || die "Cách dùng / Usage: $0 [--owner ROLE] DUMP NEW_DATABASE"
dump=$1 new=$2
case $new$owner in *[!a-z0-9_]*) die "Tên chỉ gồm a-z, 0-9, _. / Names may only hold a-z, 0-9, _." ;; esac
[ -r "$dump" ] || die "Không đọc được $dump. / Cannot read $dump."
as_postgres() { runuser -u postgres -- "$@"; }
# CREATE DATABASE fails when it exists: a restore never overwrites anything.
as_postgres psql -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $new OWNER $owner" ||
  die "Không tạo được cơ sở dữ liệu $new (đã có?). / Could not create database $new (does it exist?)."
# Objects are made by the service's role, so its migrations may alter them later.
as_postgres pg_restore --exit-on-error --no-owner --role="$owner" --dbname="$new" <"$dump" ||
  die "Khôi phục thất bại; xoá $new rồi thử lại. / The restore failed; drop $new and try again."
say "Đã khôi phục vào $new. Kiểm tra, rồi đặt ADMIN_DATABASE_URL=...$new trong /etc/hailong/admin.env và chạy: systemctl restart hailong-admin.target"
say "Restored into $new. Check it, then set ADMIN_DATABASE_URL=...$new in /etc/hailong/admin.env and run: systemctl restart hailong-admin.target"
