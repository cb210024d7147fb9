#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Records the seeds of fuzz-trace-file: small trace files of this machine
# by trace-cmd, versions 6 and 7 (7 plain and compressed), each also synced
# by apply (a TIME_SHIFT option) with a tsync-sync bound line in a print
# event, and a version 6 file with a -B instance.  Small: trace-cmd records
# in a mount namespace where kallsyms, the printk formats and the saved
# command lines are empty and print is the only ftrace format, which leaves
# 8 to 24 KB a file: each input is read twice, by the guard's child and by
# the fuzzer, and parsing formats is most of it.  Needs root, tracefs and a
# build (make).
#
# usage: tests/fuzz/trace-seeds.sh [DIR]	default: tests/fuzz/corpus/fuzz-trace-file
. "$(dirname "$0")/../../scripts/lib/session-lib.sh"

DIR=${1:-$TOP/tests/fuzz/corpus/fuzz-trace-file}
OFFLINE=$TOP/build/tsync-offline
SYNC_LINE="tsync-sync: proto=tsync-ptp cpu=0 ts=1 offset=-400 bound=30"
[ "$(id -u)" = 0 ] || die "run as root: tracing needs it"
mount_tracefs || die "no tracefs at $TRACEFS"
[ -x "$OFFLINE" ] && [ -f "$EPERM_SHIM" ] || die "build first: make"
mkdir -p "$DIR" || exit 1
# of the ftrace formats, print's only (the sync line's event)
FTRACE=$(mktemp -d)
trap 'reset_tracefs; rm -rf "$FTRACE"' EXIT
mkdir "$FTRACE/print" && cat "$TRACEFS/events/ftrace/print/format" > "$FTRACE/print/format" ||
	die "no ftrace print format"

# rec NAME ARGS...: NAME in DIR, trace-cmd record ARGS...
rec() {
	local name=$1

	shift
	unshare -m --propagation private sh -c '
		for f in /proc/kallsyms "$0"/printk_formats "$0"/saved_cmdlines; do
			mount --bind /dev/null "$f" || exit 1
		done
		mount --bind "$1" "$0"/events/ftrace || exit 1
		shift
		exec "$@"' "$TRACEFS" "$FTRACE" env LD_PRELOAD="$EPERM_SHIM" trace-cmd record -d --no-filter \
		-C x86-tsc "$@" -o "$DIR/$name" \
		sh -c "echo '$SYNC_LINE' > $TRACEFS/trace_marker; sleep 0.05" > /dev/null 2>&1 ||
		die "trace-cmd record of $name failed"
}

# synced NAME: NAME-synced, NAME with a TIME_SHIFT option
synced() {
	"$OFFLINE" apply --host-id 1 --tsc-offset -1000 -o "$DIR/$1-synced" "$DIR/$1" ||
		die "apply to $1 failed"
}

rec v6 -e sched:sched_switch --file-version 6
rec v7 -e sched:sched_switch --file-version 7 --compression none
rec v7-zstd -e sched:sched_switch --file-version 7 --compression zstd
rec v6-instance -e sched:sched_switch -B tsync-seed -e sched:sched_wakeup --file-version 6
for name in v6 v7 v7-zstd; do
	synced $name
done
ls -l "$DIR"
