#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# trace-cmd-tsync apply, inspect and merge on trace files recorded here by
# real trace-cmd: a host file and "guest" files (this machine's own events,
# recorded apart, as a guest would) in file versions 6 and 7, compressed
# and not.
#  a. apply with a TSC offset: every guest event in report sits at exactly
#     raw - offset; the TIME_SHIFT carries the host's trace id; the input is
#     byte for byte as before; report merges host and guest files;
#  b. apply with a TSC scaling ratio whose samples overflow a v6 file's
#     padding, so its CPU data moves: every event at exactly raw * 2^20;
#  c. apply --in-place; apply to a file that has a TIME_SHIFT is refused;
#  d. corrupt and truncated files: an error naming the file, no crash.
# Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
OFFLINE=$TOP/build/tsync-offline
[ -x "$OFFLINE" ] || skip "needs a build (make)"

# rec FILE ARGS...: a trace of this machine with the x86-tsc clock
rec() {
	local out=$1

	shift
	(cd "$WORK" && env LD_PRELOAD="$EPERM_SHIM" trace-cmd record -d --no-filter -C x86-tsc \
		-e sched:sched_switch -e sched:sched_wakeup "$@" -o "$out" sleep 0.3) \
		> "$WORK/$out.log" 2>&1
	check "recorded $out" test -s "$WORK/$out"
}

# fails COMMAND...: COMMAND exits non-zero
fails() {
	! "$@"
}

# events FILE [REPORT-ARGS...]: "cpu timestamp" of each event, in file order
events() {
	local file=$1

	shift
	trace-cmd report "$@" -i "$WORK/$file" 2>/dev/null |
		sed -n 's/.*\[\([0-9]*\)\] *\([0-9][0-9]*\): .*/\1 \2/p'
}

# exact RAW-FILE APPLIED-FILE EXPR: every event of APPLIED-FILE at exactly
# EXPR (bash arithmetic, 64 bits) of its raw timestamp $raw
exact() {
	local raw_file=$1 applied=$2 expr=$3 n=0 bad=0 cpu raw cpu2 ts want

	while read -r cpu raw cpu2 ts; do
		want=$((expr))
		n=$((n + 1))
		if [ "$cpu" != "$cpu2" ] || [ "$ts" != "$want" ]; then
			[ $bad -lt 3 ] && echo "    CPU $cpu2: at $ts, raw $raw, want $want"
			bad=$((bad + 1))
		fi
	done < <(paste -d ' ' <(events "$raw_file" --raw-ts) <(events "$applied"))
	echo "    $n events checked, $bad misplaced"
	[ $n -gt 0 ] && [ $bad = 0 ]
}

rec host.dat
rec g6.dat --file-version 6
rec g7.dat --file-version 7 --compression none
rec gz.dat --file-version 7 --compression zstd
reset_tracefs
host_id=$(trace-cmd dump --options -i "$WORK/host.dat" 2>/dev/null |
	  sed -n '/Option TRACEID/{n;p;q}')
check "the host file has a trace id ($host_id)" test -n "$host_id"

echo "a. a TSC offset"
for g in g6 g7 gz; do
	cp "$WORK/$g.dat" "$WORK/$g.orig"
	"$TSYNC" apply --host "$WORK/host.dat" --tsc-offset=-1234567 -o "$WORK/$g-a.dat" \
		"$WORK/$g.dat"
	check "a: $g: apply succeeded" test -s "$WORK/$g-a.dat"
	check "a: $g: the input is unchanged" cmp -s "$WORK/$g.dat" "$WORK/$g.orig"
	check "a: $g: TIME_SHIFT of tsync-kvm" test "$(time_shift_flags $g-a.dat)" = 0x81000001
	id=$(trace-cmd dump --options -i "$WORK/$g-a.dat" 2>/dev/null |
	     sed -n "s/^\(0x[0-9A-F]*\) \[peer's trace id\]/\1/p")
	check "a: $g: linked to the host's trace id ($id)" test "$id" = "$host_id"
	check "a: $g: every event at exactly raw + 1234567" exact $g.dat $g-a.dat 'raw + 1234567'
	n=$(merged_timeline host.dat $g-a.dat | awk -v g="$g-a.dat:" '$1 == g' | wc -l)
	check "a: $g: report merges host and guest ($n guest events)" \
		test "$n" = "$(events $g.dat | wc -l)"
done

echo "b. a scaling ratio: host = guest * 2^20, more samples than v6's padding holds"
for g in g6 g7; do
	"$TSYNC" apply --host-id 7 --tsc-offset 0 --tsc-ratio 1 --tsc-frac 20 \
		-o "$WORK/$g-b.dat" "$WORK/$g.dat"
	samples=$(time_shift_samples $g-b.dat | wc -l)
	check "b: $g: $samples samples" test "$samples" -gt 200
	check "b: $g: every event at exactly raw * 2^20" exact $g.dat $g-b.dat 'raw << 20'
done
check "b: g6's data moved by whole pages" \
	test $(( ($(stat -c %s "$WORK/g6-b.dat") - $(stat -c %s "$WORK/g6.dat")) % 4096 )) = 0

echo "c. in place"
cp "$WORK/g7.dat" "$WORK/g7-c.dat"
"$TSYNC" apply --host-id 1 --tsc-offset 1=-5 --tsc-offset 0=-7 --in-place "$WORK/g7-c.dat"
check "c: in place, per vCPU offsets" exact g7.dat g7-c.dat 'raw + (cpu ? 5 : 7)'
check "c: a second apply is refused" \
	fails "$TSYNC" apply --host-id 1 --tsc-offset 1 --in-place "$WORK/g7-c.dat" 2> "$WORK/c.err"
check "c: ... saying why" grep -q "already has a TIME_SHIFT" "$WORK/c.err"
check "c: a vCPU without offset is refused" \
	fails "$TSYNC" apply --host-id 1 --tsc-offset 0=1 -o "$WORK/c.dat" "$WORK/g7.dat" 2>/dev/null

echo "d. bad files"
head -c 100000 "$WORK/g6.dat" > "$WORK/short.dat"
head -c 4096 /dev/urandom > "$WORK/noise.dat"
for bad in short.dat noise.dat missing.dat; do
	"$OFFLINE" apply --host-id 1 --tsc-offset 1 -o "$WORK/out.dat" "$WORK/$bad" 2> "$WORK/d.err"
	status=$?
	check "d: $bad: refused, naming the file (status $status)" \
		eval '[ $status = 1 ] && grep -q "$WORK/$bad" "$WORK/d.err"'
done
check "d: no output left behind" test ! -e "$WORK/out.dat"

finish
