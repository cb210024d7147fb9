#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Newer Debian releases' trace-cmd, by hand (scripts/lib/release-lib.sh does
# the work; tests/e2e/test-releases.sh uses it too).
#
#   scripts/dev/release-chroot.sh build RELEASE...   the chroots of RELEASEs
#                                     (trixie, sid), made once and cached
#   scripts/dev/release-chroot.sh run RELEASE CMD... CMD in a copy of the
#                                     chroot with tsync installed, from the
#                                     current directory; the copy is
#                                     thrown away after
#
# e.g. scripts/dev/release-chroot.sh run sid /opt/tsync/bin/trace-cmd-tsync --version

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/release-lib.sh"

prog=release-chroot.sh

die() {
	echo "$prog: $*" >&2
	exit 1
}

usage() {
	sed -n 's/^#   //p' "$0" >&2
	exit 2
}

[ "$(id -u)" = 0 ] || die "run as root: chroots and mounts need it"
case "$1" in
build)	shift
	[ $# -gt 0 ] || usage
	for release in "$@"; do
		release_build "$release" || die "cannot make the $release chroot"
		echo "$release: trace-cmd $(release_version "$release") in $RELEASE_CACHE/$release"
	done ;;
run)	[ $# -ge 3 ] || usage
	release_private_mounts "$0" "$@" || die "cannot make a mount namespace"
	release=$2
	shift 2
	run=$(mktemp -d /tmp/tsync-release-run.XXXXXX) || exit 1
	trap 'release_close "$run" && rm -rf --one-file-system "$run"' EXIT
	release_open "$release" "$run" "$PWD" || die "cannot open the $release chroot"
	release_run "$run" "$PWD" "$@" ;;
*)	usage ;;
esac
