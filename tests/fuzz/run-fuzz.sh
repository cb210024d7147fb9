#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Runs every fuzz target (tests/fuzz/fuzz-*.c, built by "make fuzz") for
# SECONDS each, from the seed corpus under tests/fuzz/corpus/ (copied: new
# inputs stay out of the tree).  Prints each target's executions; exits
# non-zero on the first crash, leaving its input in the work directory.
#
# usage: tests/fuzz/run-fuzz.sh [SECONDS]	a long run: SECONDS=3600

cd "$(dirname "$0")/../.." || exit 1
seconds=${1:-10}
work=$(mktemp -d /tmp/tsync-fuzz.XXXXXX)
failed=0

make -s fuzz || exit 1
for bin in build/fuzz/fuzz-*; do
	name=$(basename "$bin")
	flags=-max_len=4096
	# whole trace files: seeds of tens of KB, a message for each file
	# refused (closed), libtracecmd's own time limit within libFuzzer's
	[ "$name" = fuzz-trace-file ] && flags="-max_len=65536 -close_fd_mask=3 -timeout=60"
	mkdir -p "$work/$name"
	cp tests/fuzz/corpus/"$name"/* "$work/$name/" 2>/dev/null
	(cd "$work" && "$OLDPWD/$bin" -max_total_time="$seconds" $flags \
		-artifact_prefix="$work/$name-" "$work/$name") > "$work/$name.log" 2>&1
	status=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/$name.log")
	if [ $status != 0 ] || [ -z "$runs" ]; then
		echo "$name: CRASH (input and log in $work)"
		grep -m3 -E "runtime error|ERROR" "$work/$name.log"
		failed=1
	else
		echo "$name: $runs executions in ${seconds}s, no crash"
	fi
done
[ $failed = 0 ] && rm -rf "$work"
exit $failed
