#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync's main job on this one machine: a host and a guest traced together
# through trace-cmd-tsync, merged by unmodified "trace-cmd report", with
# the sync figures.  The guest is a real Linux guest under QEMU (TCG, from
# scripts/lib/guest-lib.sh), whose events must fall where the host ran their
# vCPU threads; where it does not boot, a trace-cmd agent on loopback in a
# network namespace: one kernel, so the true offset is 0 and every offset
# is error.  The same session runs once more with trace-cmd's built-in
# ptp, for the figures side by side, and once with tsync-kvm against a real
# KVM VM made
# through /dev/kvm (its offsets are 0 on this machine, as the guest's TSC
# is the host's), where every guest event must land on its exact TSC.
#
# usage: scripts/dev/demo.sh [OUTDIR]      (root; default a new directory from mktemp -d)

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/session-lib.sh"
. "$(dirname "$0")/../lib/guest-lib.sh"

# root's files in a directory of its own: never a fixed name in /tmp
WORK=${1:-$(mktemp -d "${TMPDIR:-/tmp}/tsync-demo.XXXXXX")} || exit 1
NETNS=tsync-demo-$$
CLOCK=x86-tsc
GUEST_KIND=loopback
trap 'guest_stop "$WORK/guest"; session_cleanup' EXIT

session_prepare demo
grep -qw $CLOCK $TRACEFS/trace_clock || CLOCK=mono
mkdir -p "$WORK" || die "cannot use $WORK"
# an OUTDIR given keeps its files: a session of its own names
[ -z "$(ls "$WORK"/*-host.dat "$WORK"/*-guest.dat "$WORK"/trace*.dat 2>/dev/null)" ] ||
	die "$WORK holds trace files already: give a new directory"
if guest_build 2> "$WORK/guest.err" && guest_boot "$WORK/guest" "$NETNS" 2>> "$WORK/guest.err"
then
	GUEST_KIND=tcg
else
	echo "demo: the QEMU guest did not boot ($(tail -n 1 "$WORK/guest.err"));" \
	     "the guest is a trace-cmd agent on loopback instead"
fi

# session PROTO [LAUNCHER-OPTIONS]: one host+guest session
session() {
	local proto=$1

	shift
	# the loopback agent records the top instance: the host takes a buffer
	local host=(-e sched) port=$GUEST_AGENT_PORT
	if [ $GUEST_KIND != tcg ]; then
		start_agent "$TSYNC" --tsync "$proto" || die "agent: $(cat "$WORK/agent.log")"
		host=(-B $HOST_BUFFER -C $CLOCK -e sched)
		port=$AGENT_PORT
	fi
	record "$TSYNC" --tsync "$proto" "$@" --tsync-verbose -- -C $CLOCK "${host[@]}" \
		-A 127.0.0.1:$port -e sched sleep 1
	[ $GUEST_KIND = tcg ] || stop_agent
	[ -f "$WORK/$GUEST_DAT" ] || die "no guest trace; record said: $(tail -5 "$WORK/record.log")"
	mv "$WORK/record.log" "$WORK/$proto-record.log"
	reset_tracefs
}

# save PROTO: keep the session's files as PROTO-host.dat and PROTO-guest.dat
save() {
	mv "$WORK/trace.dat" "$WORK/$1-host.dat"
	mv "$WORK/$GUEST_DAT" "$WORK/$1-guest.dat"
}

# |offset| statistics of a guest file's TIME_SHIFT: "n median p99 max"
offset_stats() {
	echo "$(time_shift_samples "$1" | wc -l)" \
	     "$(time_shift_samples "$1" | awk '{ print ($1 < 0 ? -$1 : $1) }' | quantiles)"
}

if [ $GUEST_KIND = tcg ]; then
	echo "== tsync: host and a Linux guest under QEMU (TCG, booted in $GUEST_BOOT_SECONDS s)," \
	     "clock $CLOCK"
else
	echo "== tsync: host and guest on one machine, clock $CLOCK"
fi
session builtin
save builtin
session ptp
save ptp

echo
echo "== negotiated"
grep -h "Negotiated" "$WORK/ptp-record.log"
grep -h "^tsync:" "$WORK/ptp-record.log"

echo
echo "== TIME_SHIFT option of the guest file (trace-cmd dump --options)"
trace-cmd dump --options -i "$WORK/ptp-guest.dat" 2>/dev/null | sed -n '/TimeShift/,/Option DONE/p' |
	grep -v "Option DONE"
echo "   flags 0x82000001: bit 31 = written by tsync, bits 24-27 = 2 (tsync-ptp),"
echo "   bit 0 = interpolate (trace-cmd's built-in ptp writes 0x1)"

echo
echo "== merged timeline (trace-cmd report -i ptp-host.dat -i ptp-guest.dat), an excerpt"
trace-cmd report -i "$WORK/ptp-host.dat" -i "$WORK/ptp-guest.dat" 2>/dev/null > "$WORK/merged.txt"
# a stretch where host and guest events alternate
line=$(awk 'NR > 20 && src != "" && $1 != src && $1 ~ /:$/ { print NR; exit } { src = $1 }' \
	"$WORK/merged.txt")
sed -n "$((${line:-9} - 8)),$((${line:-9} + 8))p" "$WORK/merged.txt" | cut -c1-150
merged_timeline ptp-host.dat ptp-guest.dat | awk -v g="ptp-guest.dat:" '
	NR > 1 && $2 + 0 < last + 0 { bad++ }
	{ last = $2; n[$1 == g]++ }
	END { printf "   %d host and %d guest events, %d out of time order\n", n[0], n[1], bad }'

# A real guest: its events against the host's runs of its vCPU threads
alignment_table() {
	echo "== alignment: guest events inside a host run of their vCPU thread \"CPU n/TCG\""
	UNITS=$(units_per_us $CLOCK)
	read -r _ s1 m1 w1 e1 _ <<< "$(alignment_us "$WORK/guest" "$WORK"/builtin-{host,guest}.dat $UNITS)"
	read -r _ s2 m2 w2 e2 _ <<< "$(alignment_us "$WORK/guest" "$WORK"/ptp-{host,guest}.dat $UNITS)"
	printf "   %-16s %8s %16s %10s %14s\n" protocol inside "outside median" worst \
		"offset error"
	printf "   %-16s %7s%% %13s us %7s us %11s us\n" "trace-cmd ptp" "$s1" "$m1" "$w1" "$e1"
	printf "   %-16s %7s%% %13s us %7s us %11s us\n" "tsync-ptp" "$s2" "$m2" "$w2" "$e2"
	echo "   (offset error: the shift of all guest events that puts the most inside)"
	echo "   (scripts/dev/bench-alignment.sh: longer sessions, both clocks, the ratios)"
}

# The loopback guest: the true offset is 0, every offset is error
offset_table() {
	echo "== sync figures: |offset| is the error here (true offset 0), in $CLOCK units"
	read -r n1 med1 _ max1 <<< "$(offset_stats builtin-guest.dat)"
	read -r n2 med2 _ max2 <<< "$(offset_stats ptp-guest.dat)"
	printf "   %-22s %8s %10s %10s\n" protocol samples median max
	printf "   %-22s %8s %10s %10s\n" "trace-cmd ptp" "$n1" "$med1" "$max1"
	printf "   %-22s %8s %10s %10s\n" "tsync-ptp" "$n2" "$med2" "$max2"
	awk -v a="$med1" -v b="$med2" 'BEGIN {
		if (b > 0) printf "   median ratio built-in/tsync: %.1f\n", a / b;
		else printf "   median ratio built-in/tsync: tsync median is 0\n" }'
}

echo
if [ $GUEST_KIND = tcg ]; then
	alignment_table
else
	offset_table
fi
# tsync-kvm needs a guest in KVM: the test VM, on loopback
guest_stop "$WORK/guest"
GUEST_KIND=loopback
# tsync-kvm: every guest event at its raw TSC (all offsets 0 here)
if [ $CLOCK = x86-tsc ] && [ -c /dev/kvm ] && [ -x "$KVM_TEST_VM" ] && mount_debugfs; then
	coproc TEST_VM { exec "$KVM_TEST_VM" -n "$(nproc)"; }
	read -r ready <&"${TEST_VM[0]}"
	vm_pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' <<< "$ready")
	session kvm --tsync-vm "$vm_pid"
	kill "$TEST_VM_PID" 2>/dev/null
	echo
	echo "== tsync-kvm with a real KVM VM (pid $vm_pid)"
	grep -h "Negotiated\|tsync-kvm: syncing" "$WORK/kvm-record.log"
	guest_times_match raw | sed 's/^ */   /; s/misplaced/not at their exact TSC/'
	echo "   (trace-cmd's built-in kvm would write no TIME_SHIFT here: it drops zero offsets,"
	echo "    and it never serves a guest reached over TCP)"
	save kvm
fi

echo
echo "files in $WORK: PROTO-host.dat and PROTO-guest.dat for PROTO builtin, ptp, kvm"
