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
#     padding, so its CPU data moves: every event at exactly raw * 2^16;
#  c. apply --in-place; apply to a file that has a TIME_SHIFT is refused;
#  d. corrupt and truncated files: an error naming the file, no crash;
#  e. inspect on a guest file of a loopback agent session synced by
#     trace-cmd's built-in ptp (through the launcher), with and without "tsync-sync:" bound lines
#     (written to trace_marker by the test, as tsync-ptp writes them), and
#     on apply's output (tsync-kvm: bound 0); --plot as SVG and PNG
#     (tests/e2e/test-plot.sh tests the picture of a tsync-ptp session);
#  f. merge: guest events at exactly report's host times (--timebase host),
#     host events at exactly raw - offset (--timebase guest), in time order;
#     the agent session's host events come from its -B buffer;
#  g. apply --events: a real KVM test VM (scripts/tools/kvm-test-vm.c) sets
#     vCPU 1's TSC offset to 2000 during a trace holding its
#     kvm_write_tsc_offset event; guest CPU 1's events after the write sit
#     at exactly raw - 2000, the others at raw (this machine's KVM does not
#     apply the offset: the test checks what apply does with the event);
#     with --apic-ids 1,0 it is guest CPU 0's.
# Needs root, tracefs, network namespaces and /dev/kvm.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns
require_kvm
command -v gnuplot > /dev/null || skip "needs gnuplot (make deps: gnuplot-nox)"
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

# trace_clock FILE: the clock FILE was recorded with, as trace-cmd reads it
trace_clock() {
	trace-cmd dump --clock -i "$WORK/$1" 2>/dev/null | grep -v 'Tracing clock' |
		grep -o '\[[^]]*\]' | tail -n 1 | tr -d '[]'
}

# exact RAW-FILE APPLIED-FILE EXPR: every event of APPLIED-FILE at exactly
# EXPR (bash arithmetic, 64 bits) of its raw timestamp $raw
exact() {
	local raw_file=$1 applied=$2 expr=$3 n=0 bad=0 cpu raw cpu2 ts want

	while read -r cpu raw cpu2 ts; do
		want=$(printf %u $((expr)))	# report prints unsigned
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
	check "a: $g: the trace clock is kept ($(trace_clock $g-a.dat))" \
		test "$(trace_clock $g-a.dat)" = x86-tsc
	n=$(merged_timeline host.dat $g-a.dat | awk -v g="$g-a.dat:" '$1 == g' | wc -l)
	check "a: $g: report merges host and guest ($n guest events)" \
		test "$n" = "$(events $g.dat | wc -l)"
done

echo "b. a scaling ratio: host = guest * 2^16, more samples than v6's padding holds"
for g in g6 g7; do
	"$TSYNC" apply --host-id 7 --tsc-offset 0 --tsc-ratio 1 --tsc-frac 16 \
		-o "$WORK/$g-b.dat" "$WORK/$g.dat"
	samples=$(time_shift_samples $g-b.dat | wc -l)
	# 32 bytes each: more than a page
	check "b: $g: $samples samples" test "$samples" -gt 130
	check "b: $g: every event at exactly raw * 2^16" exact $g.dat $g-b.dat 'raw << 16'
	check "b: $g: the trace clock is kept ($(trace_clock $g-b.dat))" \
		test "$(trace_clock $g-b.dat)" = x86-tsc
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
"$TSYNC" apply --host-id 1 --tsc-offset 0=1 -o "$WORK/c.dat" "$WORK/g7.dat" 2> "$WORK/c.err"
status=$?
check "c: a vCPU without offset is a usage error (status $status)" \
	eval '[ $status = 2 ] && grep -q "^tsync: error: apply: no --tsc-offset for vCPU 1" "$WORK/c.err"'

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

echo "e. inspect"
# agent_session NAME [MARKER-LINE...]: trace-cmd's built-in ptp (with
# TCP_NODELAY: Nagle makes stock 3.1.6 take a minute) on both sides
agent_session() {
	local name=$1 line script=""

	shift
	# the lines go to the agent's top instance once its record has started,
	# not before (under load the command can run first, and they are lost)
	[ $# = 0 ] || script="until grep -q 1 $TRACEFS/events/sched/sched_switch/enable &&
		grep -q 1 $TRACEFS/tracing_on; do sleep 0.05; done; sleep 0.2; "
	for line in "$@"; do
		script+="echo '$line' > $TRACEFS/trace_marker; "
	done
	agent_up "$TSYNC" --tsync builtin
	record "$TSYNC" --tsync builtin -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched_switch \
		-A 127.0.0.1:$AGENT_PORT -e sched_switch \
		sh -c "${script}sleep 0.3"
	stop_agent
	mv "$WORK/$GUEST_DAT" "$WORK/$name.dat"
	mv "$WORK/trace.dat" "$WORK/$name-host.dat"
	reset_tracefs
}
agent_session ptp-bounds "tsync-sync: proto=tsync-ptp cpu=0 ts=1 offset=-400 bound=30" \
	"tsync-sync: proto=tsync-ptp cpu=0 ts=2 offset=-410 bound=10" \
	"tsync-sync: proto=tsync-ptp cpu=0 ts=3 offset=-420 bound=20" \
	"tsync-sync: proto=tsync-ptp cpu=1 ts=3 offset=-420 bound=-1"
agent_session ptp-plain
"$TSYNC" inspect --plot "$WORK/bounds.svg" "$WORK/ptp-bounds.dat" > "$WORK/e1.txt"
sed 's/^/    /' "$WORK/e1.txt"
check "e: built-in ptp named" grep -q "TIME_SHIFT by trace-cmd's built-in protocol (flags 0x1)" \
	"$WORK/e1.txt"
check "e: samples of both CPUs" test "$(grep -c '^cpu [01]: [0-9]* samples' "$WORK/e1.txt")" = 2
check "e: CPU 0's bounds" \
	grep -q "^cpu 0: error bound: 3 sync points, 3 proven: min 10 median 20 max 30" "$WORK/e1.txt"
check "e: CPU 1's bound not proven" \
	grep -q "^cpu 1: error bound: 1 sync points, none proven" "$WORK/e1.txt"
check "e: the SVG plots both CPUs' samples, CPU 0's 3 bounds and no unproven one" \
	eval '[ "$(grep -c "CPU [01]: offset - first offset" "$WORK/bounds.svg")" = 2 ] &&
	      [ "$(grep -c "error bound of [0-9]* sync records" "$WORK/bounds.svg")" = 1 ] &&
	      grep -q "error bound of 3 sync records" "$WORK/bounds.svg"'
"$TSYNC" inspect "$WORK/ptp-plain.dat" > "$WORK/e2.txt"
check "e: without bound lines, says the file carries none" \
	grep -q "carries no error bounds" "$WORK/e2.txt"
"$TSYNC" inspect --plot "$WORK/kvm.png" "$WORK/g6-a.dat" > "$WORK/e3.txt"
check "e: tsync-kvm's bound is 0" test "$(grep -c "error bound 0 (tsync-kvm" "$WORK/e3.txt")" = 2
check "e: drift 0 and the offset of a" grep -q "offset 1234567 to 1234567, drift 0.000 ppm" \
	"$WORK/e3.txt"
check "e: a PNG plot" eval '[ "$(head -c 4 "$WORK/kvm.png" | tail -c 3)" = PNG ]'
check "e: a file without TIME_SHIFT is refused" fails "$TSYNC" inspect "$WORK/g7.dat"

echo "f. merge"
# sides LISTING SIDE: "cpu timestamp" of SIDE's lines, sorted
sides() {
	awk -v s="$2" '$1 == s { match($0, /\[[0-9]+\]/); print substr($0, RSTART + 1, RLENGTH - 2) + 0, $2 }' \
		"$1" | sort
}
"$TSYNC" merge --timebase host "$WORK/host.dat" "$WORK/g7-a.dat" > "$WORK/m-host.txt"
"$TSYNC" merge --timebase guest "$WORK/host.dat" "$WORK/g7-a.dat" > "$WORK/m-guest.txt"
head -n 3 "$WORK/m-host.txt" | cut -c 1-100 | sed 's/^/    /'
check "f: every event listed once" test "$(wc -l < "$WORK/m-host.txt")" = \
	"$(( $(events host.dat | wc -l) + $(events g7.dat | wc -l) ))"
check "f: in time order" sort -c -s -n -k 2,2 "$WORK/m-host.txt"
check "f: in time order, guest time base" sort -c -s -n -k 2,2 "$WORK/m-guest.txt"
check "f: guest events at report's host times" \
	cmp -s <(sides "$WORK/m-host.txt" g) <(events g7-a.dat | sed 's/^0*\([0-9]\)/\1/' | sort)
check "f: host events at raw - 1234567 in guest time" \
	cmp -s <(sides "$WORK/m-guest.txt" h) \
	       <(events host.dat --raw-ts | while read -r c t; do echo $((10#$c)) $((t - 1234567)); done |
		 sort)
check "f: guest events at their raw times in guest time" \
	cmp -s <(sides "$WORK/m-guest.txt" g) <(events g7.dat --raw-ts | awk '{ print $1 + 0, $2 }' | sort)
"$TSYNC" merge "$WORK/ptp-plain-host.dat" "$WORK/ptp-plain.dat" > "$WORK/m-agent.txt"
check "f: the agent session's host buffer merged" \
	test "$(grep -c '^h ' "$WORK/m-agent.txt")" -gt 0 -a "$(grep -c '^g ' "$WORK/m-agent.txt")" -gt 0
check "f: a guest file without TIME_SHIFT is refused" \
	fails "$TSYNC" merge "$WORK/host.dat" "$WORK/g7.dat"

echo "g. offsets from kvm_write_tsc_offset events"
start_test_vm -n 2 -name "tsync-offline-$$"
( sleep 0.4; echo "  VM: $(vm_cmd "offset 1 2000")" ) &
(cd "$WORK" && env LD_PRELOAD="$EPERM_SHIM" trace-cmd record -d --no-filter -C x86-tsc \
	-e sched:sched_switch -B tsync-offline-kvm -C x86-tsc -e kvm:kvm_write_tsc_offset \
	-o writes.dat sleep 1) > "$WORK/writes.log" 2>&1
wait $!
reset_tracefs
rmdir $TRACEFS/instances/tsync-offline-kvm 2>/dev/null
# switches FILE [REPORT-ARGS...]: "cpu timestamp" of the top buffer's sched_switch events
switches() {
	local file=$1

	shift
	trace-cmd report "$@" -i "$WORK/$file" 2>/dev/null | grep sched_switch |
		sed -n 's/.*\[\([0-9]*\)\] *\([0-9][0-9]*\): .*/\1 \2/p'
}
write_ts=$(trace-cmd report -i "$WORK/writes.dat" 2>/dev/null |
	   sed -n 's/.*\] *\([0-9][0-9]*\): kvm_write_tsc_offset: *vcpu=1 .* next=2000$/\1/p' |
	   head -n 1)
check "g: the host trace has the VM's write ($write_ts)" test -n "$write_ts"
# vCPU 0 has no write during the trace: its offset is the test VM's first, 0
"$TSYNC" apply --events "$WORK/writes.dat" --tsc-offset 0=0 -o "$WORK/g-synced.dat" \
	"$WORK/writes.dat"
check "g: apply --events succeeded" test -s "$WORK/g-synced.dat"
# moved FILE CPU: every sched_switch of FILE at raw minus the offset in
# force on guest CPU CPU (000, 001), the others at raw.  This machine's KVM
# does not apply the offset, so the trace has events in the 2000 cycles of
# guest time that the write skips, which no guest has: left out.
moved() {
	local file=$1 moved_cpu=$2 n=0 bad=0 cpu raw cpu2 ts want

	while read -r cpu raw cpu2 ts; do
		want=$raw
		if [ "$cpu" = "$moved_cpu" ]; then
			[ "$raw" -ge "$write_ts" ] && [ "$raw" -lt $((write_ts + 2000)) ] &&
				continue
			[ "$raw" -ge $((write_ts + 2000)) ] && want=$((raw - 2000))
		fi
		n=$((n + 1))
		[ "$cpu" = "$cpu2" ] && [ "$ts" = "$want" ] || bad=$((bad + 1))
	# per CPU: shifting one CPU's events may reorder them among the other's
	done < <(paste -d ' ' <(switches writes.dat --raw-ts | sort -s -k1,1) \
			      <(switches "$file" | sort -s -k1,1))
	echo "    $n events checked, $bad misplaced"
	[ $n -gt 0 ] && [ $bad = 0 ]
}
check "g: every event at raw minus the offset in force" moved g-synced.dat 001

# The guest's APIC ids say guest CPU 0 runs on vCPU 1: the write moves CPU 0
"$TSYNC" apply --events "$WORK/writes.dat" --tsc-offset 0=0 --vcpus 0,1 --apic-ids 1,0 \
	-o "$WORK/g-swapped.dat" "$WORK/writes.dat"
check "g: --apic-ids maps guest CPU 0 to vCPU 1, as tsync-kvm would" moved g-swapped.dat 000

finish
