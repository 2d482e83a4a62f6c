#!/bin/bash
# Install or upgrade the Hài Lòng central service on a Debian 12 or 13 server: PostgreSQL
# (or SQLite for a small site), several instances behind nginx with TLS. Run as root from
# a checkout; safe to run again (upgrades keep the database and /etc/hailong/admin.env,
# and roll back when the new release fails its health check). See deploy/README.md:
#   sudo deploy/install-admin.sh --server-name danhgia.example.gov.vn --instances 4 \
#        --tls-cert fullchain.pem --tls-key privkey.pem
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=deploy/lib.sh
. "$SRC/deploy/lib.sh"

APP=/opt/hailong-admin
USER_NAME=hailong
ENV_FILE=/etc/hailong/admin.env
server_name=$(hostname -f 2>/dev/null || hostname)
instances=2 base_port=5001 database=postgresql database_url='' tls_cert='' tls_key='' timezone=Asia/Ho_Chi_Minh

usage() {
  say "Cách dùng / Usage: $0 [--server-name NAME] [--instances 2] [--base-port 5001]"
  say "    [--database postgresql|sqlite | --database-url URL] [--tls-cert PEM --tls-key PEM]"
  say "    [--timezone Asia/Ho_Chi_Minh] [--wheelhouse DIR]"
  exit 2
}
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case $1 in
    --server-name) server_name=$2 ;;
    --instances) instances=$2 ;;
    --base-port) base_port=$2 ;;
    --database) database=$2 ;;
    --database-url) database_url=$2 ;;
    --tls-cert) tls_cert=$2 ;;
    --tls-key) tls_key=$2 ;;
    --timezone) timezone=$2 ;;
    --wheelhouse) WHEELHOUSE=$(cd "$2" && pwd) ;;
    *) usage ;;
  esac
  shift 2
done
require_root
case $instances$base_port in *[!0-9]*|'') die "--instances, --base-port phải là số. / --instances, --base-port must be numbers." ;; esac
case $database in postgresql|sqlite) ;; *) die "--database: postgresql hoặc sqlite. / --database: postgresql or sqlite." ;; esac
case $server_name$database_url$timezone in *[!A-Za-z0-9:/._~%?=@\&+-]*)
  die "--server-name, --database-url hoặc --timezone có ký tự lạ. / --server-name, --database-url or --timezone has unexpected characters." ;; esac
ports=$(seq "$base_port" $((base_port + instances - 1)))

say "== Gói hệ thống / System packages"
packages="python3-venv nginx openssl"
[ "$database$database_url" != postgresql ] || packages="$packages postgresql"
# shellcheck disable=SC2086 # a list of package names
apt_install $packages

say "== Người dùng / User"
ensure_system_user "$USER_NAME" /var/lib/hailong-admin
put_dir 0700 "$USER_NAME:$USER_NAME" /var/lib/hailong-admin

say "== Phiên bản mới / New release"
# docs/ holds the API contract that the service serves at /api/v1/openapi.json.
rel=$(stage_release "$APP" "$SRC" "" admin deploy docs systemd requirements.txt)
# Translations are compiled here (.mo files are not in git); Flask wants an instance folder.
"$rel/venv/bin/pybabel" -q compile -d "$rel/admin/translations"
mkdir -p "$rel/instance"
finish_release "$rel"

say "== Cơ sở dữ liệu / Database"
if [ -z "$database_url" ] && [ -e "$ROOT$ENV_FILE" ]; then
  database_url=$(sed -n 's/^ADMIN_DATABASE_URL=//p' "$ROOT$ENV_FILE")
fi
if [ -z "$database_url" ] && [ "$database" = sqlite ]; then
  database_url=sqlite:////var/lib/hailong-admin/hailong.db
elif [ -z "$database_url" ]; then
  # A local PostgreSQL: the role of the same name as the system user, by its socket (peer).
  as_postgres() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
  [ -n "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$USER_NAME'")" ] ||
    as_postgres -c "CREATE ROLE $USER_NAME LOGIN"
  [ -n "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = '$USER_NAME'")" ] ||
    as_postgres -c "CREATE DATABASE $USER_NAME OWNER $USER_NAME"
  database_url="postgresql+psycopg://$USER_NAME@/$USER_NAME?host=/run/postgresql"
fi

say "== Cấu hình / Configuration ($ENV_FILE)"
secret=''
[ ! -e "$ROOT$ENV_FILE" ] || secret=$(sed -n 's/^ADMIN_SECRET_KEY=//p' "$ROOT$ENV_FILE")
# Made once and kept: every instance (and every server behind the balancer) signs sessions with it.
[ -n "$secret" ] || secret=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')
put_dir 0755 root:root /etc/hailong
put_file 0600 "$USER_NAME:$USER_NAME" "$ENV_FILE" <<ENV
# Hài Lòng central service (README.md "Central service: configuration"); written by
# deploy/install-admin.sh, which keeps ADMIN_SECRET_KEY and ADMIN_DATABASE_URL on upgrades.
# ADMIN_PORT comes from the unit: hailong-admin@PORT.service.
ADMIN_DATABASE_URL=$database_url
ADMIN_SECRET_KEY=$secret
ADMIN_HOST=127.0.0.1
ADMIN_PROXY_HOPS=1
ADMIN_TIMEZONE=$timezone
ADMIN_THREADS=8
ENV

say "== Lược đồ / Schema (init-db)"
# The new release's migrations, run before it serves; init-db is safe to run again.
# shellcheck source=/dev/null # the environment file written above
(set -a && . "$ROOT$ENV_FILE" && set +a && cd / &&
  PYTHONPATH="$rel" runuser -u "$USER_NAME" -- "$rel/venv/bin/flask" --app admin init-db) ||
  die "init-db không chạy được (xem dòng trên). / init-db failed (see the line above)."

say "== Dịch vụ / Services"
for unit in hailong-admin@.service hailong-admin.target hailong-admin-backup.service hailong-admin-backup.timer; do
  put_file 0644 root:root "/etc/systemd/system/$unit" <"$SRC/systemd/$unit"
done
systemctl daemon-reload
systemctl enable hailong-admin.target
for port in $ports; do
  systemctl enable "hailong-admin@$port.service"
done
# The nightly backup dumps a PostgreSQL on this machine, as its postgres user, into a
# folder of that user's: the only place its unit may write.
backup_timer=''
case $database_url in postgresql*) ! getent passwd postgres >/dev/null || backup_timer=hailong-admin-backup.timer ;; esac
if [ -n "$backup_timer" ]; then
  put_dir 0700 postgres:postgres /var/backups/hailong
  systemctl enable "$backup_timer"
fi

say "== nginx"
if [ -n "$tls_cert" ]; then
  put_file 0644 root:root /etc/hailong/tls/fullchain.pem <"$tls_cert"
  put_file 0600 root:root /etc/hailong/tls/privkey.pem <"$tls_key"
elif [ ! -e "$ROOT/etc/hailong/tls/privkey.pem" ]; then
  say "Chưa có chứng chỉ: tạo chứng chỉ tự ký, hãy thay bằng chứng chỉ thật. / No certificate: a self-signed one is made; replace it with a real one."
  put_dir 0755 root:root /etc/hailong/tls
  (umask 077 && openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=$server_name" \
    -addext "subjectAltName=DNS:$server_name" -keyout "$ROOT/etc/hailong/tls/privkey.pem" \
    -out "$ROOT/etc/hailong/tls/fullchain.pem" 2>/dev/null)
  chmod 0644 "$ROOT/etc/hailong/tls/fullchain.pem"
fi
upstream=$(for port in $ports; do printf '    server 127.0.0.1:%s max_fails=3 fail_timeout=10s;\\n' "$port"; done)
sed -e "s/@SERVER_NAME@/$server_name/" -e "s/^@UPSTREAM_SERVERS@$/$upstream/" "$SRC/deploy/nginx/hailong.conf" |
  put_file 0644 root:root /etc/nginx/sites-available/hailong.conf
put_file 0644 root:root /etc/nginx/snippets/hailong-proxy.conf <"$SRC/deploy/nginx/hailong-proxy.conf"
mkdir -p "$ROOT/etc/nginx/sites-enabled"
ln -sfn ../sites-available/hailong.conf "$ROOT/etc/nginx/sites-enabled/hailong.conf"
nginx -t -q || die "nginx không nhận cấu hình (xem dòng trên). / nginx refuses the configuration (see the line above)."
systemctl enable nginx.service
systemctl reload-or-restart nginx.service

say "== Khởi động và kiểm tra / Start and health check"
admin_healthy() {
  local port
  for port in $ports; do
    systemctl restart "hailong-admin@$port.service" && wait_http "http://127.0.0.1:$port/readyz" || return 1
  done
}
activate_release "$APP" "$rel" admin_healthy
# Enabled units start at the next boot; these would wait for it: the nightly backup's timer
# (no backup before a reboot otherwise) and the target that groups the running instances.
# shellcheck disable=SC2086 # empty or one unit
systemctl start hailong-admin.target $backup_timer
say "Xong: https://$server_name/ — tạo tài khoản: deploy/README.md. / Done: https://$server_name/ — create accounts: deploy/README.md."
