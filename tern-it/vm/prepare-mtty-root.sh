#!/usr/bin/env bash
# Prepares the guest root for the kernel VFIO tests and prints its path on the last line:
#   prepare-mtty-root.sh JDK_HOME [CACHE_DIR]
# It is the tern-it root (prepare-root.sh, same cache) plus what test-vm.md §3 describes: the kernel's mtty sample
# built out of tree against the root's own kernel headers and installed as a module (Debian does not ship it built),
# and a JDK 25 at /opt/jdk, so the guest, booted with this root over 9p, runs Tern's jar against real /dev/vfio
# devices. Built as CACHE_DIR/root-mtty.partial from a copy of CACHE_DIR/root and renamed to CACHE_DIR/root-mtty when
# complete (a stamp records the recipe, the JDK's version included), so a second run returns at once.
set -euo pipefail

jdk="${1:?usage: prepare-mtty-root.sh JDK_HOME [CACHE_DIR]}"
here="$(cd "$(dirname "$0")" && pwd)"
say() { echo "tern-it: $*" >&2; }
die() { echo "tern-it: $*" >&2; exit 1; }

[ -x "$jdk/bin/java" ] || die "no JDK at $jdk"
base="$("$here/prepare-root.sh" "${2:-}" | tail -n1)"
cache="$(dirname "$base")"
root="$cache/root-mtty"
partial="$cache/root-mtty.partial"
stamp=.tern-it-recipe
jdk_version="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$jdk/release")"
RECIPE="tern-it mtty root v2 on [$(cat "$base/$stamp")]: linux-headers + linux-source mtty.ko + JDK $jdk_version"

if [ -f "$root/$stamp" ] && [ "$(cat "$root/$stamp")" = "$RECIPE" ]; then
  say "mtty guest root ready (cached): $root"
  echo "$root"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "preparing the mtty guest root needs root (chroot)"

mounted_under() { awk -v p="$1" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo; }
if [ -e "$partial" ]; then
  [ -z "$(mounted_under "$partial")" ] || die "refusing to delete $partial: something is mounted under it"
  rm -rf --one-file-system "$partial"
fi
start=$SECONDS
cp -a "$base" "$partial"
kver="$(ls "$partial/boot" | sed -n 's/^vmlinuz-//p' | sort | tail -n1)"
kpkg="$(chroot "$partial" dpkg-query -W -f '${Version}' "linux-image-$kver")"
upstream="${kver%%+*}"; series="${upstream%.*}"
# QEMU from backports pulled a newer libelf1t64 than trixie's libdw1t64 accepts: pin libdw to it (test-vm.md §3).
libelf="$(chroot "$partial" dpkg-query -W -f '${Version}' libelf1t64)"

in_root() {
  unshare -m --propagation private sh -c '
    root="$1"; shift
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && mount --rbind /sys "$root/sys" &&
    exec chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"' sh "$partial" "$@" >&2
}
cp /etc/resolv.conf "$partial/etc/resolv.conf"
say "installing the kernel headers and source for $kver ($kpkg) in the mtty root"
in_root apt-get -q -o Dpkg::Use-Pty=0 update || die "apt-get update in the mtty root failed"
in_root apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends install "linux-headers-$kver" \
  "linux-source-$series=$kpkg" gcc make xz-utils "libdw1t64=$libelf" || die "installing the kernel build tools failed"
in_root apt-get -q -o Dpkg::Use-Pty=0 clean

say "building mtty.ko out of tree"
mkdir -p "$partial/build/mtty"
echo 'obj-m := mtty.o' > "$partial/build/mtty/Kbuild"
in_root sh -c "cd /build/mtty && tar -xJf /usr/src/linux-source-$series.tar.xz --strip-components=3 \
  linux-source-$series/samples/vfio-mdev/mtty.c && make -s -C /usr/src/linux-headers-$kver M=/build/mtty modules \
  && mkdir -p /lib/modules/$kver/extra && cp mtty.ko /lib/modules/$kver/extra/ && depmod $kver" \
  || die "building mtty failed"

# The guest mounts this root over 9p from its initramfs, whose busybox insmod cannot read .ko.xz: keep plain copies.
mkdir -p "$partial/opt/tern-it/9p"
for m in fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p; do
  xz -dc "$partial/lib/modules/$kver/kernel/$m.ko.xz" > "$partial/opt/tern-it/9p/$(basename "$m").ko"
done

say "copying the JDK ($jdk_version) to /opt/jdk"
mkdir -p "$partial/opt/jdk" && cp -a "$jdk/." "$partial/opt/jdk/"

[ -z "$(mounted_under "$partial")" ] || die "a mount is left under $partial"
echo "$RECIPE" > "$partial/$stamp"
if [ -e "$root" ]; then
  [ -z "$(mounted_under "$root")" ] || die "refusing to replace $root: something is mounted under it"
  rm -rf --one-file-system "$root"
fi
mv "$partial" "$root"
say "mtty guest root ready after $((SECONDS - start)) s: $root ($(du -sh "$root" | cut -f1))"
echo "$root"
