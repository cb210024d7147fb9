#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Runs fuzz targets (tests/fuzz/fuzz-*.c, built by "make fuzz"), one after
# the other, each for SECONDS or to N executions, from the seed corpus
# under tests/fuzz/corpus/ (copied: new inputs stay out of the tree).
# Prints each target's executions, time, rate, coverage and corpus; exits
# non-zero on the first crash, leaving its input in the work directory.
#
# usage: tests/fuzz/run-fuzz.sh [SECONDS | -runs=N] [TARGET...]
#	every target 10 s by default; the documented long run is
#	-runs=100000000 for the decoders, -runs=1000000 for fuzz-trace-file

usage()
{
	echo "usage: $0 [SECONDS | -runs=N] [TARGET...]" >&2
	exit 2
}

case $1 in
-h | --help)
	echo "usage: $0 [SECONDS | -runs=N] [TARGET...]"
	exit 0 ;;
-runs=*)
	limit="-runs=${1#-runs=}"
	shift ;;
[0-9]*)
	limit="-max_total_time=$1"
	shift ;;
-*)
	usage ;;
*)
	limit=-max_total_time=10 ;;
esac
[[ $limit =~ ^-[a-z_]+=[0-9]+$ ]] || usage

cd "$(dirname "$0")/../.." || exit 1
targets=("$@")
[ ${#targets[@]} = 0 ] && targets=($(cd tests/fuzz && ls fuzz-*.c | sed 's/\.c$//'))
for name in "${targets[@]}"; do
	[ -f "tests/fuzz/$name.c" ] || { echo "$0: no fuzz target $name" >&2; exit 2; }
done
make -s "${targets[@]/#/build/fuzz/}" || exit 1

work=$(mktemp -d /tmp/tsync-fuzz.XXXXXX)
failed=0
for name in "${targets[@]}"; do
	flags=-max_len=4096
	# whole trace files: seeds of up to 24 KB, a message for each file
	# refused (closed), libtracecmd's own time limit within libFuzzer's
	[ "$name" = fuzz-trace-file ] && flags="-max_len=32768 -close_fd_mask=3 -timeout=60"
	mkdir -p "$work/$name"
	cp tests/fuzz/corpus/"$name"/* "$work/$name/" 2>/dev/null
	start=$(date +%s%N)
	(cd "$work" && "$OLDPWD/build/fuzz/$name" $limit $flags \
		-artifact_prefix="$work/$name-" "$work/$name") > "$work/$name.log" 2>&1
	status=$?
	ms=$((($(date +%s%N) - start) / 1000000 + 1))
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/$name.log")
	if [ $status != 0 ] || [ -z "$runs" ]; then
		echo "$name: CRASH (input and log in $work)"
		grep -m3 -E "runtime error|ERROR" "$work/$name.log"
		failed=1
		continue
	fi
	# the last status line: "#N DONE cov: C ft: F corp: K/SIZE ..."
	last=$(grep -E '^#[0-9]+' "$work/$name.log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<< "$last")
	echo "$name: $runs executions in $((ms / 1000))s ($((runs * 1000 / ms))/s)," \
		"cov $cov ft $ft corpus $corp, no crash"
done
[ $failed = 0 ] && rm -rf "$work"
exit $failed
