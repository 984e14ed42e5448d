# SPDX-License-Identifier: GPL-2.0
# Shared set-up for mstat's scripts: Debian packages, the kernel source
# cache and header directories.  Source it; it defines functions only.

MSTAT_CACHE=${MSTAT_CACHE:-$HOME/.cache/mstat}
MSTAT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

mstat_log() { echo "[mstat] $*" >&2; }

# Install the Debian packages that are missing; apt-get update once first.
mstat_need() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || { mstat_log "need root to install: ${missing[*]}"; return 1; }
	if [ -z "${MSTAT_APT_UPDATED:-}" ]; then
		mstat_log "apt-get update"
		apt-get update -qq >&2 || return 1
		MSTAT_APT_UPDATED=1
	fi
	mstat_log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
}

# The versioned package a meta package (linux-headers-cloud-amd64, ...) stands for.
mstat_resolve_meta() {
	apt-cache depends "$1" 2>/dev/null |
		awk -v pre="$2" '$1 == "Depends:" && index($2, pre) == 1 { print $2; exit }'
}

# Install a meta package and the versioned package it stands for (named
# PREFIX...); print the versioned package's name.
mstat_install_meta() {
	local meta=$1 prefix=$2 pkg
	mstat_need "$meta" || return 1
	pkg=$(mstat_resolve_meta "$meta" "$prefix")
	[ -n "$pkg" ] || { mstat_log "cannot resolve $meta"; return 1; }
	mstat_need "$pkg" || return 1
	echo "$pkg"
}

# Print the headers directory for a meta package, installing it if needed.
mstat_headers_dir() {
	local pkg
	pkg=$(mstat_install_meta "$1" linux-headers-) || return 1
	echo "/usr/src/$pkg"
}

# Unpack linux-source-6.12 once into the cache; print the tree's path.  A new
# package version replaces the tree (and build directories stamped with the
# old one, see mstat_build_dir).
mstat_kernel_source() {
	local ver dir=$MSTAT_CACHE/linux-source-6.12
	mstat_need linux-source-6.12 xz-utils || return 1
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	if [ "$(cat "$dir/.mstat-version" 2>/dev/null)" != "$ver" ]; then
		mstat_log "unpacking linux-source-6.12 $ver into $dir"
		rm -rf "$dir"
		mkdir -p "$MSTAT_CACHE"
		tar -C "$MSTAT_CACHE" -xf /usr/src/linux-source-6.12.tar.xz || return 1
		echo "$ver" > "$dir/.mstat-version"
	fi
	echo "$dir"
}

# Print a build directory for the cached tree, emptied if it was built from
# another version of the source.
mstat_build_dir() {
	local tree=$1 name=$2 dir=$MSTAT_CACHE/$2
	if ! cmp -s "$tree/.mstat-version" "$dir/.mstat-version"; then
		rm -rf "$dir"
		mkdir -p "$dir"
		cp "$tree/.mstat-version" "$dir/.mstat-version"
	fi
	echo "$dir"
}

# Copy the mstat sources into <tree>/drivers/mstat, touching only files whose
# content changed so that kbuild rebuilds only what it must, and hook the
# directory into drivers/Makefile and drivers/Kconfig once.
# Two sockets, each a memory node of 512 MiB (kunit.py boots with -m 1024),
# CPUs 0-1 on node 0 and 2-3 on node 1: the x86_64 KUnit and kasan torture
# kernels.
MSTAT_QEMU_NUMA="-smp 4,sockets=2,cores=2 -object memory-backend-ram,id=m0,size=512M \
-object memory-backend-ram,id=m1,size=512M \
-numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1"

mstat_overlay() {
	local tree=$1 dst=$1/drivers/mstat f
	mkdir -p "$dst/include" "$dst/kunit" "$dst/bench"
	for f in Kbuild dkms.conf $(cd "$MSTAT_ROOT" && echo mstat_*.[ch]) \
		 include/mstat.h include/mstat_slab.h kunit/mstat_test.c kunit/Kconfig kunit/.kunitconfig \
		 kunit/mstat_torture.c kunit/torture-kasan.kunitconfig kunit/torture-kcsan.kunitconfig \
		 kunit/torture-rt.kunitconfig kunit/torture-arm64.kunitconfig \
		 kunit/torture-kmsan.kunitconfig \
		 bench/mstat_bench.c bench/mstat_replay.c bench/mstat_pad.c bench/.kunitconfig; do
		cmp -s "$MSTAT_ROOT/$f" "$dst/$f" || cp "$MSTAT_ROOT/$f" "$dst/$f"
	done
	grep -q 'drivers/mstat/kunit/Kconfig' "$tree/drivers/Kconfig" ||
		sed -i 's|^endmenu|source "drivers/mstat/kunit/Kconfig"\n\nendmenu|' "$tree/drivers/Kconfig"
	grep -q 'CONFIG_MSTAT' "$tree/drivers/Makefile" ||
		echo 'obj-$(CONFIG_MSTAT)		+= mstat/' >> "$tree/drivers/Makefile"
}

# Print the kernel image (/boot/vmlinuz-*) for a meta package, installing it.
mstat_image_path() {
	local pkg
	pkg=$(mstat_install_meta "$1" linux-image-) || return 1
	echo "/boot/vmlinuz-${pkg#linux-image-}"
}
