#!/bin/bash
# Make this machine ready for the booted-system tests (tests/deploy/test_booted_*.py), for
# `make booted-tree`: the host tools (systemd-nspawn, debootstrap, qemu-user-static), arm64
# emulation through binfmt_misc where the kernel allows it, and the cached Debian trees
# (build-tree.sh; nothing to do when they are there). Without root it says why and does
# nothing, and the tests skip with the same reason; under CI=true that is a failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
say() { printf '%s\n' "$*" >&2; }
cannot() {
  if [ "${CI:-}" = true ]; then
    say "LỖI / ERROR: kiểm thử hệ thống khởi động cần: $* / the booted-system tests need: $*"
    exit 1
  fi
  say "Bỏ qua kiểm thử hệ thống khởi động: $* / Skipping the booted-system tests: $*"
  exit 0
}

[ "$(id -u)" = 0 ] || cannot "root (systemd-nspawn, overlay mounts, cgroups)"
for cgroup in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
  [ -e "$cgroup/cgroup.procs" ] || cannot "the cgroup hierarchy $cgroup"
done
if ! command -v systemd-nspawn >/dev/null || ! command -v debootstrap >/dev/null ||
  ! command -v qemu-aarch64-static >/dev/null || ! command -v update-binfmts >/dev/null; then
  say "Cài công cụ / Installing systemd-container debootstrap qemu-user-static binfmt-support"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq systemd-container debootstrap qemu-user-static binfmt-support; } \
    >/dev/null || cannot "the packages systemd-container debootstrap qemu-user-static binfmt-support"
fi
"$here/build-tree.sh" amd64 >/dev/null

# arm64 where qemu-user can run it: binfmt_misc mounted (mounting it may be refused in a
# container) and qemu-aarch64 registered. Otherwise that one test skips with the reason.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
fi
if [ -e /proc/sys/fs/binfmt_misc/status ]; then
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
fi
if grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
  "$here/build-tree.sh" arm64 >/dev/null
else
  say "Không giả lập được arm64 (binfmt_misc) ở đây; bỏ qua phần arm64. / arm64 cannot be emulated here (binfmt_misc); its test skips."
fi
