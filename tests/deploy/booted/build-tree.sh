#!/bin/bash
# Build the Debian bookworm tree the booted-system tests start with systemd-nspawn
# (tests/deploy/booted_support.py, deploy/README.md "How this is tested"), once per
# version of this script: the tree lands in $CACHE/<arch>-<hash of this script>, outside
# the checkout, so every clone on this machine reuses it. Usage (as root):
#   tests/deploy/booted/build-tree.sh [amd64|arm64]
# Prints the tree's path. Needs debootstrap, and for arm64 qemu-user-static with binfmt.
set -eu
arch=${1:-amd64}
CACHE=${HAILONG_TREE_CACHE:-/var/cache/hailong-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { printf '%s\n' "$*" >&2; }
die() { say "LỖI / ERROR: $*"; exit 1; }

key=$(sha256sum "$0" | cut -c1-12)
tree="$CACHE/bookworm-$arch-$key"
if [ -e "$tree/.complete" ]; then
  printf '%s\n' "$tree"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "Cần quyền root để dựng cây Debian. / Building the Debian tree needs root."
command -v debootstrap >/dev/null || die "Thiếu debootstrap (apt-get install debootstrap). / debootstrap is missing."
mkdir -p "$CACHE"
# One build at a time (two test workers may ask at once); the second finds it done.
exec 9>"$CACHE/.lock-$arch"
flock 9
if [ -e "$tree/.complete" ]; then
  printf '%s\n' "$tree"
  exit 0
fi

# What the installers would pull, so that no test needs the package archive: the central
# server's (install-admin.sh) and the kiosk's (install-kiosk.sh), and what the tests use.
packages="systemd systemd-sysv dbus libpam-systemd ca-certificates procps iproute2 curl"
packages="$packages python3 python3-venv openssl sqlite3 postgresql nginx chromium"

say "Dựng cây Debian bookworm $arch tại $tree / Building the Debian bookworm $arch tree at $tree"
rm -rf "$tree.tmp"
debootstrap --arch="$arch" --variant=minbase bookworm "$tree.tmp" "$MIRROR" >&2 ||
  die "debootstrap thất bại (mạng, kho gói). / debootstrap failed (network, package archive)."
# No service starts while packages are installed in the tree.
printf '#!/bin/sh\nexit 101\n' >"$tree.tmp/usr/sbin/policy-rc.d"
chmod 0755 "$tree.tmp/usr/sbin/policy-rc.d"
for fs in proc sys dev; do mount --rbind "/$fs" "$tree.tmp/$fs"; mount --make-rslave "$tree.tmp/$fs"; done
cleanup() { for fs in dev sys proc; do umount -R "$tree.tmp/$fs" 2>/dev/null || true; done; }
trap cleanup EXIT
# shellcheck disable=SC2086 # a list of package names
chroot "$tree.tmp" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 sh -c \
  "apt-get update -q && apt-get install -y -q --no-install-recommends $packages && apt-get clean" >&2 ||
  die "apt-get trong cây thất bại. / apt-get in the tree failed."
# python3-lgpio is Raspberry Pi OS's (not in bookworm): an empty package of that name stands
# in for it, as the tests drive gpiozero's mock pins, never real ones.
stub="$tree.tmp/tmp/python3-lgpio"
mkdir -p "$stub/DEBIAN"
printf 'Package: python3-lgpio\nVersion: 0.0-hailong-test\nArchitecture: all\nMaintainer: tests <root@localhost>\nDescription: stand-in for the tests (no GPIO here)\n' \
  >"$stub/DEBIAN/control"
chroot "$tree.tmp" sh -c 'dpkg-deb -b /tmp/python3-lgpio /tmp/python3-lgpio.deb >/dev/null && dpkg -i /tmp/python3-lgpio.deb >/dev/null && rm -rf /tmp/python3-lgpio*' >&2
# The cluster was made while the host's PostgreSQL held 5432 (a chroot shares the host's
# network), so it took the next port; a fresh Debian server's listens on 5432.
sed -i 's/^port = .*/port = 5432/' "$tree.tmp"/etc/postgresql/*/main/postgresql.conf
cleanup
trap - EXIT
rm -f "$tree.tmp/usr/sbin/policy-rc.d"
# The technician's account (Raspberry Pi Imager makes it with uid 1000), a root that can
# sign in on the console, a name the kiosk reaches the central service by, a machine id.
chroot "$tree.tmp" useradd --uid 1000 --create-home --shell /bin/bash pi
chroot "$tree.tmp" passwd -d root >/dev/null
echo hailong-test >"$tree.tmp/etc/hostname"
printf '127.0.0.1\tlocalhost hailong-test danhgia.hailong.test\n::1\tlocalhost\n' >"$tree.tmp/etc/hosts"
: >"$tree.tmp/etc/machine-id"
touch "$tree.tmp/.complete"
mv "$tree.tmp" "$tree"
# Trees built by an older version of this script are no longer used.
find "$CACHE" -maxdepth 1 -name "bookworm-$arch-*" ! -name "bookworm-$arch-$key" -exec rm -rf {} +
printf '%s\n' "$tree"
