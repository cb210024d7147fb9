#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# KernelShark's host-guest view of a guest reached over TCP: a real Linux
# guest under QEMU (TCG, scripts/lib/guest-lib.sh) whose vCPUs are the host
# threads "CPU n/TCG".  trace-cmd 3.1.6 writes -1 as the host thread of
# every vCPU of such a guest in the host file's GUEST option.
#  a. trace-cmd-tsync record fills them in from the QEMU that listens on
#     the guest's port;
#  b. where the launcher finds no VM (--tsync-vm names a process without
#     vCPU threads) it says so and the file keeps -1; apply --vcpu-threads
#     fills them into a copy (the VM by pid), or in place (by its -name),
#     in file versions 6 and 7 (zstd); wrong command lines and VMs are
#     refused, the file left as it was.
# Each time libkshark (tests/helpers/kshark-view.c) opens host and guest as
# KernelShark does: each vCPU maps to its "CPU n/TCG" thread, which ran the
# guest's events on that vCPU (at least ALIGN_FLOOR percent of them inside
# the host's runs of it, as test-tcg-guest.sh asks, and twice as many as
# inside the other vCPU's thread), and every guest event
# sits at the time trace-cmd report -i HOST -i GUEST gives it.  Needs root,
# tracefs, qemu-system-x86 and libkshark (make deps).
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib/guest-lib.sh"

# The floor of test-tcg-guest.sh, which trace-cmd's built-in ptp reaches too
ALIGN_FLOOR=80
KSHARK_VIEW=$TOP/build/tests/kshark-view
OFFLINE=$TOP/build/tsync-offline

require_tracefs
command -v qemu-system-x86_64 > /dev/null || skip "needs qemu-system-x86 (make deps)"
[ -x "$KSHARK_VIEW" ] && [ -x "$TOP/build/tools/vcpu-align" ] || skip "needs a build (make)"
require_netns
trap 'guest_stop "$WORK/guest"; session_cleanup' EXIT

guest_build 2>&1 || { fail "guest image build"; finish; }
guest_boot "$WORK/guest" "$NETNS" || { fail "guest boot"; finish; }
threads=$(echo $(cat "$WORK/guest/vcpu-threads"))
echo "  guest booted in $GUEST_BOOT_SECONDS s; vCPU threads: $threads"
check "the guest's QEMU runs $GUEST_CPUS vCPU threads" test "$(wc -w <<< "$threads")" = $GUEST_CPUS

# session TRACE-CMD...: one host+guest session with trace.dat and
# $GUEST_DAT; a guest stalled under TCG (see test-tcg-guest.sh) gets one
# new boot
RECORD_LIMIT=60
session() {
	record "$@" -- -C x86-tsc -e sched -A 127.0.0.1:$GUEST_AGENT_PORT -e sched sleep 1
	[ "$RECORD_STATUS" = 0 ] && return
	echo "  record failed (status $RECORD_STATUS): booting the guest again for one more try"
	mv "$WORK/record.log" "$WORK/record-failed-$SECONDS.log"
	rm -f "$WORK"/trace*.dat*
	guest_stop "$WORK/guest"
	reset_tracefs
	guest_boot "$WORK/guest" "$NETNS" || { fail "guest boot"; finish; }
	threads=$(echo $(cat "$WORK/guest/vcpu-threads"))
	record "$@" -- -C x86-tsc -e sched -A 127.0.0.1:$GUEST_AGENT_PORT -e sched sleep 1
}

# guest_pids FILE: the host pid of each guest CPU in FILE's GUEST option
guest_pids() {
	echo $(trace-cmd dump --options -i "$WORK/$1" 2>/dev/null |
	       sed -n 's/^ *[0-9]* \(-\?[0-9]*\) \[guest cpu, host pid\]/\1/p')
}

# share_inside HOST GUEST TID...: the percentage of GUEST's events on vCPU n
# that fall inside a host run of the n-th TID (scripts/tools/vcpu-align.c)
share_inside() {
	local host=$1 guest=$2

	shift 2
	trace-cmd report -t -i "$host" -i "$guest" 2>/dev/null |
		"$TOP/build/tools/vcpu-align" "$(basename "$guest")" "${@:-0}" | alignment_field share
}

# kshark_sees LABEL HOST GUEST: libkshark's view of the pair, checked; the
# mapped threads must hold more of the guest's events than the same threads
# in reverse order (by how much depends on how busy each vCPU thread is: on a
# quiet 2-CPU host both run most of the time)
kshark_sees() {
	local label=$1 host=$WORK/$2 guest=$WORK/$3 map inside reversed what

	"$KSHARK_VIEW" "$host" "$guest" > "$WORK/kshark.txt" 2> "$WORK/kshark.err"
	check "$label: libkshark opens host and guest" test $? = 0
	map=$(echo $(awk '$1 == "vcpu" { print $3 }' "$WORK/kshark.txt"))
	check "$label: libkshark maps vCPU n to thread \"CPU n/TCG\" ($map)" test "$map" = "$threads"
	inside=$(share_inside "$host" "$guest" $map)
	reversed=$(share_inside "$host" "$guest" $(echo $map | awk '{ for (i = NF; i; i--) print $i }'))
	what="${inside:-no}% of guest events inside the runs of their mapped thread"
	check "$label: $what (${reversed:-no}% in reverse)" \
		awk -v s="${inside:-0}" -v r="${reversed:-100}" -v f=$ALIGN_FLOOR \
		'BEGIN { exit !(s >= f && s > r) }'
	# "CPU TIMESTAMP" of each guest event: report's against libkshark's
	trace-cmd report -t -i "$host" -i "$guest" 2>/dev/null |
		awk -v g="$3:" '$1 == g && match($0, /\[[0-9]+\] *[0-9.]+:/) {
			f = substr($0, RSTART + 1, RLENGTH - 2); split(f, p, "]")
			ts = p[2]; gsub(/[ .]/, "", ts); print p[1] + 0, ts }' |
		sort > "$WORK/report-times.txt"
	awk '$1 == "event" { print $2, $3 }' "$WORK/kshark.txt" | sort > "$WORK/kshark-times.txt"
	check "$label: every one of $(wc -l < "$WORK/report-times.txt") guest events at report's time" \
		eval '[ -s "$WORK/report-times.txt" ] &&
		      cmp -s "$WORK/report-times.txt" "$WORK/kshark-times.txt"'
}

echo "a. trace-cmd-tsync record"
session "$TSYNC" --tsync ptp
check "a: record succeeded" test "$RECORD_STATUS" = 0
check "a: the launcher said nothing of vCPU threads" \
	eval '! grep -q "vCPUs stay unknown" "$WORK/record.log"'
check "a: the GUEST option names each vCPU's thread ($(guest_pids trace.dat))" \
	test "$(guest_pids trace.dat)" = "$threads"
check "a: no temporary file left beside it" eval '! ls -A "$WORK" | grep -q tsync-'
kshark_sees a trace.dat $GUEST_DAT
mkdir -p "$WORK/a" && mv "$WORK"/trace*.dat "$WORK"/record.log "$WORK/a/"
reset_tracefs

echo "b. the launcher finds no VM (--tsync-vm names this shell), then apply --vcpu-threads"
session "$TSYNC" --tsync ptp --tsync-vm $$
check "b: record succeeded" test "$RECORD_STATUS" = 0
check "b: the launcher says the threads stay unknown, and why" \
	eval 'grep -q "trace.dat: the host threads of guest 127.0.0.1.s vCPUs stay unknown" \
		"$WORK/record.log" && grep -q "VM process $$: no thread named" "$WORK/record.log"'
check "b: the file keeps trace-cmd's -1 for every vCPU ($(guest_pids trace.dat))" \
	test "$(guest_pids trace.dat)" = "$(echo $threads | sed 's/[0-9]\+/-1/g')"
cp "$WORK/trace.dat" "$WORK/orig.dat"
"$TSYNC" apply --vcpu-threads "$GUEST_PID" -o "$WORK/filled.dat" "$WORK/trace.dat"
check "b: apply --vcpu-threads PID -o succeeded" test $? = 0
check "b: the input is unchanged" cmp -s "$WORK/trace.dat" "$WORK/orig.dat"
check "b: the copy's GUEST option names each vCPU's thread" \
	test "$(guest_pids filled.dat)" = "$threads"
check "b: only the thread ids changed: as many bytes" \
	test "$(stat -c %s "$WORK/filled.dat")" = "$(stat -c %s "$WORK/trace.dat")"
kshark_sees b filled.dat $GUEST_DAT
# version 7 with compressed data (trace-cmd leaves its options sections plain)
trace-cmd convert -i "$WORK/orig.dat" -o "$WORK/v7.dat" --file-version 7 --compression zstd \
	> /dev/null 2>&1
"$TSYNC" apply --vcpu-threads "$GUEST_PID" --in-place "$WORK/v7.dat"
check "b: version 7, zstd: apply --in-place names each vCPU's thread" \
	test "$(guest_pids v7.dat)" = "$threads"
kshark_sees b-v7 v7.dat $GUEST_DAT
"$TSYNC" apply --vcpu-threads "$GUEST_NAME" --guest 127.0.0.1 --in-place "$WORK/trace.dat"
status=$?
check "b: apply --vcpu-threads NAME --in-place names them too" \
	eval '[ $status = 0 ] && cmp -s "$WORK/trace.dat" "$WORK/filled.dat"'

# refused STATUS WHY ARGS... FILE: apply exits with STATUS, saying WHY; FILE unchanged
refused() {
	local status=$1 why=$2 file=${!#} got

	shift 2
	cp "$file" "$WORK/before.dat"
	"$OFFLINE" apply "$@" > /dev/null 2> "$WORK/err.txt"
	got=$?
	check "b: apply ${*//$WORK\//}: status $got, saying \"$why\"" \
		eval '[ $got = $status ] && grep -q -- "$why" "$WORK/err.txt" &&
		      cmp -s "$file" "$WORK/before.dat"'
}
cp "$WORK/orig.dat" "$WORK/bad.dat"
refused 2 "no TIME_SHIFT options" --vcpu-threads "$GUEST_PID" --tsc-offset 5 --in-place \
	"$WORK/bad.dat"
refused 2 "no output" --vcpu-threads "$GUEST_PID" "$WORK/bad.dat"
refused 2 "for --vcpu-threads only" --guest 127.0.0.1 --host-id 1 --tsc-offset 1 --in-place \
	"$WORK/bad.dat"
refused 1 "no thread named \"CPU n/KVM\"" --vcpu-threads $$ --in-place "$WORK/bad.dat"
refused 1 "no process runs a VM of that -name" --vcpu-threads no-such-vm --in-place \
	"$WORK/bad.dat"
refused 1 "no guest named 'nobody'" --vcpu-threads "$GUEST_PID" --guest nobody --in-place \
	"$WORK/bad.dat"
refused 1 "no GUEST option" --vcpu-threads "$GUEST_PID" --in-place "$WORK/$GUEST_DAT"

finish
