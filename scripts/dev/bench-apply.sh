#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Cost of trace-cmd-tsync apply on a big guest trace, against a plain copy
# of the same file measured in the same run.  Records a trace of at least
# MB megabytes (default 1024) of this machine's syscalls, in file versions 7
# and 6, then times, best of 3 with the file in the page cache:
#   copy      cp of the file (what any tool that rewrites it must at least do)
#   apply -o  a TIME_SHIFT into a new file
#   in place  apply --in-place (a v7 file, and a v6 file whose option fits
#             before its data, take the same time whatever their size)
# and prints each one's throughput and its ratio to the copy's.  Needs root,
# tracefs and MB x 3 of free space in DIR.  Not run by the tests.
#
# usage: scripts/dev/bench-apply.sh [MB [DIR]]

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/session-lib.sh"

MB=${1:-1024}
DIR=${2:-/var/tmp}
WORK=$(mktemp -d "$DIR/tsync-bench-apply.XXXXXX")
NETNS=tsync-bench-apply-$$
trap 'session_cleanup; rm -rf "$WORK"' EXIT
session_prepare bench-apply

# A trace of MB megabytes, uncompressed: a read and a write event (about 45
# bytes each) per byte dd copies
record_big() {
	local bytes=$((MB * 1024 * 1024)) out=$WORK/big7.dat

	echo "recording a trace of $MB MB..."
	(cd "$WORK" && env LD_PRELOAD="$EPERM_SHIM" trace-cmd record -d --no-filter -C x86-tsc \
		--compression none -b 65536 -e syscalls:sys_enter_write -e syscalls:sys_enter_read -o "$out" \
		dd if=/dev/zero of=/dev/null bs=1 count=$((bytes / 80))) > "$WORK/record.log" 2>&1
	[ "$(stat -c %s "$out")" -ge $((bytes * 9 / 10)) ] ||
		die "recorded only $(stat -c %s "$out") bytes (see $WORK/record.log)"
	trace-cmd convert --file-version 6 -i "$out" -o "$WORK/big6.dat" > /dev/null 2>&1 ||
		die "trace-cmd convert to version 6 failed"
	reset_tracefs
}

# best3 PREPARE COMMAND...: the fastest of 3 runs of COMMAND, in seconds,
# each after PREPARE (a shell command, not timed)
best3() {
	local prepare=$1 i t best=

	shift
	for i in 1 2 3; do
		eval "$prepare"
		t=$( { TIMEFORMAT=%R; time "$@" > /dev/null 2>&1; } 2>&1)
		[ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }' && best=$t
	done
	echo "$best"
}

report() {
	local name=$1 secs=$2 copy=$3 size=$4

	awk -v n="$name" -v s="$secs" -v c="$copy" -v b="$size" 'BEGIN {
		mbs = (s > 0) ? b / 1048576 / s : 0
		ratio = (s > 0) ? sprintf("%.2f", c / s) : "inf (below the timer)"
		printf "  %-10s %7.3f s  %8.0f MB/s  ratio to copy %s\n", n, s, mbs, ratio
	}'
}

record_big
for v in 7 6; do
	f=$WORK/big$v.dat
	size=$(stat -c %s "$f")
	echo "version $v file: $((size / 1048576)) MB"
	copy=$(best3 'rm -f "$WORK/out.dat"' cp "$f" "$WORK/out.dat")
	apply=$(best3 'rm -f "$WORK/out.dat"' \
		"$TSYNC" apply --host-id 1 --tsc-offset -1000 -o "$WORK/out.dat" "$f")
	in_place=$(best3 'cp "$f" "$WORK/inplace.dat"' \
		"$TSYNC" apply --host-id 1 --tsc-offset -1000 --in-place "$WORK/inplace.dat")
	trace-cmd report -i "$WORK/out.dat" 2>/dev/null | head -n 2 | grep -q . ||
		die "the applied version $v file does not read"
	report copy "$copy" "$copy" "$size"
	report "apply -o" "$apply" "$copy" "$size"
	report "in place" "$in_place" "$copy" "$size"
done
