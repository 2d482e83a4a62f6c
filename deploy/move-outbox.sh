#!/bin/bash
# Move a kiosk's outbox (ratings not yet sent, and its sequence number) to a new SD card.
# On the old card:  sudo /opt/hailong-kiosk/current/deploy/move-outbox.sh export /media/usb/outbox.db
# On the new card, after install-kiosk.sh with the same token:
#                   sudo /opt/hailong-kiosk/current/deploy/move-outbox.sh import /media/usb/outbox.db
# The kiosk is stopped meanwhile; sqlite3 .backup makes one consistent file from the
# database and its -wal journal, so nothing committed is left behind.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib.sh
. "$SRC/deploy/lib.sh"

DATA=/var/lib/hailong-kiosk
[ $# = 2 ] || die "Cách dùng / Usage: $0 export|import FILE"
require_root
file=$2
outbox="$ROOT$DATA/outbox.db"
systemctl stop hailong-kiosk.service
case $1 in
  export)
    [ -e "$outbox" ] || die "Không có hộp thư $outbox. / There is no outbox $outbox."
    sqlite3 "$outbox" ".backup '$file'"
    say "Đã xuất $(sqlite3 "$file" 'SELECT count(*) FROM ratings') đánh giá. / Exported $(sqlite3 "$file" 'SELECT count(*) FROM ratings') ratings: $file"
    ;;
  import)
    [ "$(sqlite3 "$file" 'PRAGMA integrity_check')" = ok ] || die "$file hỏng. / $file is damaged."
    # A fresh card may already have made ratings: keep them aside, never overwrite silently.
    if [ -e "$outbox" ]; then
      mv "$outbox" "$outbox.before-import-$(date +%Y%m%d-%H%M%S)"
      rm -f "$outbox-wal" "$outbox-shm"
    fi
    mkdir -p "$ROOT$DATA"
    sqlite3 "$file" ".backup '$outbox'"
    chown hailong-kiosk:hailong-kiosk "$outbox"
    chmod 0600 "$outbox"
    say "Đã nhập $(sqlite3 "$outbox" 'SELECT count(*) FROM ratings') đánh giá. / Imported $(sqlite3 "$outbox" 'SELECT count(*) FROM ratings') ratings."
    ;;
  *) die "export hoặc import. / export or import." ;;
esac
systemctl start hailong-kiosk.service
