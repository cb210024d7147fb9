# SPDX-License-Identifier: LGPL-2.1
#
# Newer Debian releases' trace-cmd on this machine: a chroot of each, made
# from the package registry by mmdebstrap and cached like the guest's
# kernel; tsync built here and installed into a private copy of it.
# Source it, then:
#
#	release_private_mounts "$0" "$@"   re-run the script in a mount
#	                                namespace of its own (first line)
#	release_build RELEASE           the cached chroot, made once
#	release_open RELEASE RUN DIR    a copy of it in RUN/root (an overlay),
#	                                with /proc, /sys, /dev, tsync, DIR and
#	                                the ftrace shim in it
#	release_close RUN               unmount it all
#	release_run RUN DIR CMD...      CMD in that copy, from directory DIR
#
# RELEASE is a Debian suite: trixie (trace-cmd 3.3.1) or sid (3.4).
# Functions print why they failed on stderr and return non-zero.

RELEASE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RELEASE_CACHE=${RELEASE_CACHE:-/var/cache/tsync/releases}
RELEASE_PACKAGES=trace-cmd,libtracecmd1,iproute2,procps
# Where tsync goes inside the copy
RELEASE_PREFIX=/opt/tsync
# For kernels that refuse ftrace's filter files, as session-lib.sh has it
RELEASE_SHIM=$RELEASE_TOP/build/tools/ftrace-eperm-shim.so

release_error() {
	echo "release: $*" >&2
	return 1
}

# release_private_mounts SCRIPT ARGS...: run SCRIPT again in a mount
# namespace of its own, so that no mount outlives it however it ends;
# returns non-zero when it cannot (not root)
release_private_mounts() {
	[ -n "$TSYNC_PRIVATE_MOUNTS" ] && return 0
	[ "$(id -u)" = 0 ] || return 1
	exec env TSYNC_PRIVATE_MOUNTS=1 unshare --mount --propagation private bash "$@"
}

# sid's Release file is older than apt accepts from a snapshot
release_apt_options() {
	[ "$1" = sid ] && echo '--aptopt=Acquire::Check-Valid-Until "false"'
}

# release_tracecmd DIR: the release of DIR's trace-cmd, e.g. 3.4.0
release_tracecmd() {
	chroot "$1" trace-cmd --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p'
}

# release_ready DIR: a chroot that a finished build left, whose trace-cmd
# still runs and is the one it had then
release_ready() {
	[ -s "$1/.tsync-ready" ] && [ "$(release_tracecmd "$1")" = "$(cat "$1/.tsync-ready")" ]
}

# release_build RELEASE: the cached chroot of RELEASE, made again when a
# build broke off or the chroot no longer runs trace-cmd
release_build() {
	local release=$1 dir=$RELEASE_CACHE/$1 opts

	[[ $release =~ ^[a-z]+$ ]] || release_error "not a Debian suite: $release" || return 1
	mkdir -p "$RELEASE_CACHE" || return 1
	(
		# one build at a time, whoever asks
		flock 9
		release_ready "$dir" && exit 0
		command -v mmdebstrap > /dev/null || release_error "no mmdebstrap: make deps" ||
			exit 1
		echo "release: making the $release chroot in $dir" >&2
		rm -rf --one-file-system "$dir" "$dir.new"
		opts=$(release_apt_options "$release")
		mmdebstrap --quiet --variant=apt --include=$RELEASE_PACKAGES ${opts:+"$opts"} \
			"$release" "$dir.new" >&2 ||
			release_error "mmdebstrap $release failed" || exit 1
		release_tracecmd "$dir.new" > "$dir.new/.tsync-ready"
		mv "$dir.new" "$dir" && release_ready "$dir"
	) 9> "$RELEASE_CACHE/.lock"
}

# release_version RELEASE: its trace-cmd's release, once built
release_version() {
	cat "$RELEASE_CACHE/$1/.tsync-ready"
}

# release_bind SOURCE ROOT: SOURCE and what is mounted below it, at the same
# path in ROOT; slaves, so that unmounting them never reaches the host's
release_bind() {
	mkdir -p "$2$1" && mount --rbind "$1" "$2$1" && mount --make-rslave "$2$1"
}

# release_open RELEASE RUN DIR: RUN/root, the cached chroot under an
# overlay whose changes stay in RUN; tsync installed in $RELEASE_PREFIX;
# DIR (the session's files) and the ftrace shim at their own paths inside,
# so that a path means the same in and out (DIR alone: not what is mounted
# below it, as RUN may be)
release_open() {
	local release=$1 run=$2 root=$2/root dir=$3

	release_build "$release" || return 1
	mkdir -p "$run/upper" "$run/overlay-work" "$root" &&
	mount -t overlay "tsync-$release" \
		-o lowerdir="$RELEASE_CACHE/$release",upperdir="$run/upper",workdir="$run/overlay-work" \
		"$root" || release_error "cannot mount an overlay of $release" || return 1
	release_bind /proc "$root" && release_bind /sys "$root" && release_bind /dev "$root" &&
	mkdir -p "$root$dir" && mount --bind "$dir" "$root$dir" ||
		release_error "cannot bind-mount into $root" || return 1
	make -s -C "$RELEASE_TOP" install DESTDIR="$root" PREFIX=$RELEASE_PREFIX \
		> "$run/install.log" 2>&1 ||
		release_error "make install into $root failed: $(tail -n 3 "$run/install.log")" ||
		return 1
	install -D -m 0644 "$RELEASE_SHIM" "$root$RELEASE_SHIM"
}

# release_close RUN: every mount release_open made, the overlay last
release_close() {
	local root=$1/root

	# a process still in it keeps it busy: detached then, gone with it
	mountpoint -q "$root" && { umount -R "$root" 2>/dev/null || umount -R -l "$root"; }
	! mountpoint -q "$root"
}

# release_run RUN DIR CMD...: CMD in RUN's copy, from DIR (a path inside)
release_run() {
	local root=$1/root dir=$2

	shift 2
	chroot "$root" env -C "$dir" "$@"
}
