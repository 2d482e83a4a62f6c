#!/bin/bash
# Back up the central PostgreSQL database: pg_dump in custom format (compressed, restorable
# table by table with pg_restore) to /var/backups/hailong/hailong-YYYYmmdd-HHMMSS.dump,
# then remove dumps older than the retention. Run nightly by hailong-admin-backup.timer;
# by hand: sudo deploy/backup-admin.sh [--db hailong] [--dir DIR] [--keep-days 14]
# The timer's unit runs it as the postgres user; by hand as root, pg_dump runs as postgres.
# Copy the folder to another machine too: a backup on the same disk dies with it.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib.sh
. "$SRC/deploy/lib.sh"

db=hailong dir=/var/backups/hailong keep_days=14
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || die "Cách dùng / Usage: $0 [--db NAME] [--dir DIR] [--keep-days N]"
  case $1 in
    --db) db=$2 ;;
    --dir) dir=$2 ;;
    --keep-days) keep_days=$2 ;;
    *) die "Không hiểu $1. / Unknown option $1." ;;
  esac
  shift 2
done
case $keep_days in ''|*[!0-9]*) die "--keep-days phải là số. / --keep-days must be a number." ;; esac

# pg_dump as postgres (peer authentication): as root by hand, through runuser.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$dir"
chmod 0700 "$dir"
file="$dir/$db-$(date +%Y%m%d-%H%M%S).dump"
# Written under another name first: a dump cut short never looks like a good one.
as_postgres pg_dump --format=custom "$db" >"$file.part" ||
  { rm -f "$file.part"; die "pg_dump thất bại. / pg_dump failed."; }
pg_restore --list "$file.part" >/dev/null || { rm -f "$file.part"; die "Bản sao lưu hỏng. / The dump is unreadable."; }
chmod 0600 "$file.part"
mv "$file.part" "$file"
find "$dir" -maxdepth 1 -name "$db-*.dump" -mtime +"$keep_days" -delete
say "Đã sao lưu / Backed up: $file ($(du -h "$file" | cut -f1))"
