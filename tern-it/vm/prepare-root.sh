#!/usr/bin/env bash
# Prepares the guest root for Tern's VM tests from Debian packages only, and prints its path on the last line.
#   prepare-root.sh [CACHE_DIR]     (default: $TERN_IT_CACHE, else /var/cache/tern-it as root, else ~/.cache/tern-it)
# The root is Debian trixie (debootstrap, minbase) with qemu-system-x86 from trixie-backports (QEMU 11.1, which has
# -device vfio-user-pci), the trixie kernel and busybox-static. It is built once into CACHE_DIR/root.partial and
# renamed to CACHE_DIR/root when complete (a stamp file records the recipe), so a second run returns at once.
# Every mount this script needs lives in a private mount namespace (unshare -m): it disappears with the process,
# even when the process is killed, so the cache never holds a bind mount of the host's /dev or /proc.
# Facts and timings: ../../../shared/spec/test-vm.md §1 (about 5 minutes on a loaded 2-core machine).
set -euo pipefail

RECIPE="tern-it root v1: trixie minbase + trixie-backports qemu-system-x86 + linux-image-amd64 + busybox-static"
cache="${1:-${TERN_IT_CACHE:-}}"
if [ -z "$cache" ]; then
  if [ "$(id -u)" = 0 ]; then cache=/var/cache/tern-it; else cache="$HOME/.cache/tern-it"; fi
fi
root="$cache/root"
partial="$cache/root.partial"
stamp=.tern-it-recipe

say() { echo "tern-it: $*" >&2; }
die() { echo "tern-it: $*" >&2; exit 1; }

if [ -f "$root/$stamp" ] && [ "$(cat "$root/$stamp")" = "$RECIPE" ]; then
  say "guest root ready (cached): $root"
  echo "$root"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "preparing the guest root needs root (debootstrap, chroot); run as root or point TERN_IT_CACHE at a prepared cache"

# The machine's own Debian mirror: first URIs line of the deb822 sources, else the first deb line (never a fixed host).
# TERN_IT_SOURCES names another deb822 file (the test of the unreachable-mirror message uses it).
sources="${TERN_IT_SOURCES:-/etc/apt/sources.list.d/debian.sources}"
mirror="$(sed -n 's/^URIs:[[:space:]]*//p' "$sources" 2>/dev/null | head -n1 | awk '{print $1}')"
if [ -z "$mirror" ] && [ -z "${TERN_IT_SOURCES:-}" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || die "no Debian mirror configured ($sources has no URIs line)"
mirror="${mirror%/}"

say "checking the Debian mirror $mirror"
probe="$(mktemp)"
if ! timeout 60 /usr/lib/apt/apt-helper download-file "$mirror/dists/trixie-backports/Release" "$probe" >/dev/null 2>&1; then
  rm -f "$probe"
  die "the Debian mirror $mirror is unreachable (no $mirror/dists/trixie-backports/Release): the VM tests need it once to prepare the guest root"
fi
rm -f "$probe"

missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v unshare >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing on the host: ${missing[*]}"
  apt-get -q update >&2
  DEBIAN_FRONTEND=noninteractive apt-get -q -y install --no-install-recommends "${missing[@]}" >&2
fi

mounted_under() { awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo; }

mkdir -p "$cache"
if [ -e "$partial" ]; then
  [ -z "$(mounted_under "$partial")" ] || die "refusing to delete $partial: something is mounted under it ($(mounted_under "$partial" | head -n1))"
  say "removing an incomplete root from an earlier run: $partial"
  rm -rf --one-file-system "$partial"
fi

start=$SECONDS
say "debootstrap trixie (minbase) into $partial (a few minutes)"
unshare -m --propagation private debootstrap --variant=minbase trixie "$partial" "$mirror" >&2 \
  || die "debootstrap failed (mirror $mirror); see the lines above"
say "debootstrap done after $((SECONDS - start)) s"

cat > "$partial/etc/apt/sources.list.d/backports.sources" <<SRC
Types: deb
URIs: $mirror
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
# The guest boots its own busybox initramfs: the root needs no initramfs of its own, and generating one is most of
# the preparation time, so update-initramfs is diverted to a no-op.
chroot "$partial" dpkg-divert --local --rename --add /usr/sbin/update-initramfs >&2
printf '#!/bin/sh\nexit 0\n' > "$partial/usr/sbin/update-initramfs"
chmod 755 "$partial/usr/sbin/update-initramfs"

in_root() {
  unshare -m --propagation private sh -c '
    root="$1"; shift
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && mount --rbind /sys "$root/sys" &&
    exec chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"' sh "$partial" "$@" >&2
}
apt_opts=(-q -y -o Dpkg::Use-Pty=0 --no-install-recommends)
say "apt-get update in the root"
in_root apt-get -q -o Dpkg::Use-Pty=0 update || die "apt-get update in the root failed (mirror $mirror)"
say "installing qemu-system-x86 from trixie-backports"
in_root apt-get "${apt_opts[@]}" -t trixie-backports install qemu-system-x86 || die "installing qemu-system-x86 failed"
say "installing linux-image-amd64 and busybox-static"
in_root apt-get "${apt_opts[@]}" install linux-image-amd64 busybox-static || die "installing the kernel failed"
in_root apt-get -q -o Dpkg::Use-Pty=0 clean

ls "$partial"/boot/vmlinuz-* >/dev/null 2>&1 || die "no kernel in $partial/boot"
[ -x "$partial/usr/bin/qemu-system-x86_64" ] || die "no qemu-system-x86_64 in the root"
[ -x "$partial/bin/busybox" ] || die "no busybox in the root"
say "QEMU in the root: $(chroot "$partial" qemu-system-x86_64 --version | head -n1)"

[ -z "$(mounted_under "$partial")" ] || die "a mount is left under $partial: $(mounted_under "$partial" | head -n1)"
echo "$RECIPE" > "$partial/$stamp"
if [ -e "$root" ]; then
  [ -z "$(mounted_under "$root")" ] || die "refusing to replace $root: something is mounted under it"
  rm -rf --one-file-system "$root"
fi
mv "$partial" "$root"
say "guest root ready after $((SECONDS - start)) s: $root ($(du -sh "$root" | cut -f1))"
echo "$root"
