# shellcheck shell=bash
# What install-kiosk.sh and install-admin.sh share: messages, users, files, releases with
# their virtual environments, and switching to a new release with a rollback when it
# fails its health check. Sourced, never run.
#
# ROOT (empty on a real machine) puts every file under a throwaway root: the tests run
# the installers there, with stand-ins for useradd, chown, systemctl and apt-get on PATH.

ROOT=${ROOT:-}
PYTHON=${PYTHON:-python3}
# Seconds a new release has to answer its health check.
HEALTH_TIMEOUT_S=${HEALTH_TIMEOUT_S:-90}

say() { printf '%s\n' "$*" >&2; }
die() { say "LỖI / ERROR: $*"; exit 1; }

require_root() {
  # A throwaway root needs no privileges: every command that would is a stand-in there.
  [ -n "$ROOT" ] || [ "$(id -u)" = 0 ] || die "Hãy chạy bằng quyền root (sudo). / Run as root (sudo)."
}

# ensure_system_user NAME HOME: a system user and group of that name, without a login shell.
ensure_system_user() {
  if ! getent passwd "$1" >/dev/null; then
    say "Tạo người dùng hệ thống $1 / Creating system user $1"
    useradd --system --user-group --home-dir "$2" --no-create-home --shell /usr/sbin/nologin "$1"
  fi
}

# put_file MODE OWNER:GROUP DEST < content: write DEST (under ROOT) atomically with that mode and owner.
put_file() {
  local dest="$ROOT$3" tmp
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.XXXXXX")
  cat >"$tmp"
  chmod "$1" "$tmp"
  chown "$2" "$tmp"
  mv -f "$tmp" "$dest"
}

# put_dir MODE OWNER:GROUP DIR: DIR (under ROOT) exists with that mode and owner.
put_dir() {
  mkdir -p "$ROOT$3"
  chmod "$1" "$ROOT$3"
  chown "$2" "$ROOT$3"
}

# apt_install PACKAGE...: install what is missing; already installed packages need no network.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "$@" >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
      die "Không cài được $* (mạng hoặc kho gói). / Could not install $* (network or package archive)."
  fi
}

# release_id SRC PATH...: version and a hash of the files, so the same checkout is the same release.
release_id() {
  local src=$1 version hash
  shift
  version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$src/$1/__init__.py")
  hash=$(cd "$src" && find "$@" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-12)
  printf '%s-%s\n' "${version:-0}" "$hash"
}

# stage_release APPDIR SRC VENV_FLAGS PATH...: copy PATHs of the checkout SRC into
# APPDIR/releases/<id> with a virtual environment (shared by releases with the same
# requirements); prints the release directory. VENV_FLAGS: "" or --system-site-packages.
# WHEELHOUSE, when set, is the folder pip installs from without the network.
stage_release() {
  local app=$1 src=$2 venv_flags=$3 id rel tmp venv_id venv
  shift 3
  id=$(release_id "$src" "$@")
  rel="$ROOT$app/releases/$id"
  venv_id=$( { cat "$src/requirements.txt"; "$PYTHON" --version; echo "$venv_flags"; } | sha256sum | cut -c1-12)
  venv="$ROOT$app/venvs/$venv_id"
  if [ ! -e "$venv/.complete" ]; then
    say "Cài thư viện Python vào $venv / Installing the Python libraries into $venv"
    rm -rf "$venv"
    # shellcheck disable=SC2086 # VENV_FLAGS is empty or one flag
    "$PYTHON" -m venv $venv_flags "$venv"
    if [ -n "${WHEELHOUSE:-}" ]; then
      "$venv/bin/pip" install -q --no-input --no-index --find-links "$WHEELHOUSE" -r "$src/requirements.txt" >&2 ||
        die "Thư mục wheelhouse $WHEELHOUSE thiếu gói (xem deploy/README.md). / The wheelhouse $WHEELHOUSE lacks packages (see deploy/README.md)."
    else
      "$venv/bin/pip" install -q --no-input -r "$src/requirements.txt" >&2 ||
        die "pip không cài được thư viện; không có mạng thì dùng --wheelhouse. / pip could not install the libraries; without a network use --wheelhouse."
    fi
    touch "$venv/.complete"
  fi
  if [ ! -e "$rel/.complete" ]; then
    rm -rf "$rel" "$rel.tmp"
    mkdir -p "$rel.tmp"
    (cd "$src" && tar --exclude=__pycache__ --exclude='*.pyc' -cf - "$@") | tar -C "$rel.tmp" -xf -
    printf '%s\n' "$id" >"$rel.tmp/RELEASE"
    mv "$rel.tmp" "$rel"
  fi
  ln -sfn "../../venvs/$venv_id" "$rel/venv"
  printf '%s\n' "$rel"
}

# finish_release REL: byte-compile once here, as the services may not write to /opt, and seal it.
finish_release() {
  "$1/venv/bin/python" -m compileall -q "$1" >/dev/null ||
    die "Mã nguồn trong $1 có lỗi cú pháp. / The code in $1 has a syntax error."
  touch "$1/.complete"
}

# point APPDIR NAME RELEASE_ID: the symlink APPDIR/NAME -> releases/RELEASE_ID, replaced atomically.
point() {
  ln -sfn "releases/$3" "$ROOT$1/.$2.tmp"
  mv -T "$ROOT$1/.$2.tmp" "$ROOT$1/$2"
}

# activate_release APPDIR REL HEALTH_FUNCTION: make REL current and check it; when the
# check fails, go back to the release that was current and fail.
activate_release() {
  local app=$1 id old
  id=$(basename "$2")
  old=$(readlink "$ROOT$app/current" 2>/dev/null | sed 's#^releases/##' || true)
  point "$app" current "$id"
  if "$3"; then
    if [ -n "$old" ] && [ "$old" != "$id" ]; then
      point "$app" previous "$old"
    fi
    prune_releases "$app"
    say "Đang chạy bản $id. / Release $id is running."
    return 0
  fi
  if [ -z "$old" ] || [ "$old" = "$id" ]; then
    die "Bản $id không chạy được; xem journalctl (deploy/README.md). / Release $id does not run; see journalctl (deploy/README.md)."
  fi
  say "Bản $id không qua kiểm tra; quay lại bản $old. / Release $id failed its health check; rolling back to $old."
  point "$app" current "$old"
  "$3" || die "Bản cũ $old cũng không chạy được. / The previous release $old does not run either."
  prune_releases "$app"
  die "Đã quay lại bản $old; bản $id không dùng được. / Rolled back to $old; release $id is unusable."
}

# prune_releases APPDIR: keep the current and previous releases and the environments they use.
prune_releases() {
  local app="$ROOT$1" keep d
  keep=" $(readlink "$app/current") $(readlink "$app/previous" 2>/dev/null || true) "
  for d in "$app"/releases/*; do
    case "$keep" in *" releases/$(basename "$d") "*) ;; *) rm -rf "$d" ;; esac
  done
  keep=" $(readlink "$app/current/venv") $(readlink "$app/previous/venv" 2>/dev/null || true) "
  for d in "$app"/venvs/*; do
    case "$keep" in *" ../../venvs/$(basename "$d") "*) ;; *) rm -rf "$d" ;; esac
  done
}

# wait_http URL: until URL answers 200, at most HEALTH_TIMEOUT_S seconds.
wait_http() {
  "$PYTHON" - "$1" "$HEALTH_TIMEOUT_S" <<'PY'
import sys, time, urllib.request

url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                sys.exit(0)
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.5)
PY
}
