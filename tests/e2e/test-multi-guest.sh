#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Several guests in one record: two real Linux guests under QEMU (TCG,
# scripts/lib/guest-lib.sh), booted at once with 1 vCPU each, their ports
# forwarded from 127.0.0.2 and 127.0.0.3; the second also runs a stock
# "trace-cmd agent" on port 824.
#  a. one trace-cmd-tsync record --tsync ptp with -A for each tsync agent:
#     each guest negotiates tsync-ptp;
#  b. the mixed session, a tsync agent beside a stock one: with --tsync
#     auto the stock guest gets trace-cmd's built-in ptp; with --tsync ptp
#     the built-ins are kept out and it gets nothing, which the launcher says;
#  c. tsync-kvm and tsync-ptp in one record, with --tsync auto: a real KVM VM
#     (scripts/tools/kvm-test-vm.c) whose guest is an agent on this machine
#     (as test-kvm-vm.sh has it), named by --tsync-vm after its -A, beside
#     the TCG guest, which tsync-kvm is never negotiated with (it is no KVM
#     guest): every event of the KVM guest at exactly its raw timestamp;
#  c2. two such KVM guests on one address, on two ports, --tsync-vm after
#     the first only: tsync-kvm tells their sessions apart by port, syncs
#     the first with the VM and, as auto allows, hands the second, whose VM
#     it cannot tell, to tsync-ptp (tsync-kvm.2).  (trace-cmd 3.1.6 writes both guests into one file, named after
#     the address, and connects to the --name that could tell them apart:
#     real guests need addresses of their own.)
# Each time host and guests merge in one trace-cmd report, each guest's
# events at the times of its own host+guest merge, and each synced guest's
# events fall where the host ran its vCPU thread, for at least ALIGN_FLOOR
# percent of them (test-tcg-guest.sh's floor; BUILTIN_FLOOR for the stock
# guest, which trace-cmd's built-in ptp syncs); the host file's GUEST option
# carries each guest's own vCPU threads.  Needs root, tracefs, debugfs,
# /dev/kvm and qemu-system-x86 (make deps).
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib/guest-lib.sh"

# The floor of test-tcg-guest.sh, for the guests tsync syncs
ALIGN_FLOOR=80
# The stock guest's offset is trace-cmd's built-in ptp's, whose error here
# is 13 to 100 us (75 to 95% inside): this floor only catches a wrong merge
BUILTIN_FLOOR=50
# Two TCG guests share this machine's 2 CPUs: 1 vCPU each
GUEST_CPUS=1
G1=127.0.0.2
G2=127.0.0.3
STOCK_PORT=824

require_kvm_session
command -v qemu-system-x86_64 > /dev/null || skip "needs qemu-system-x86 (make deps)"
[ -x "$TOP/build/tools/vcpu-align" ] || skip "needs a build (make)"
trap 'guest_stop "$WORK/g1"; guest_stop "$WORK/g2"; session_cleanup' EXIT

# boot_guests: both guests at once, or the test ends here
boot_guests() {
	local s1 s2

	guest_boot "$WORK/g1" "$NETNS" $G1 &
	s1=$!
	guest_boot "$WORK/g2" "$NETNS" $G2 $STOCK_PORT &
	s2=$!
	wait $s1
	s1=$?
	wait $s2
	s2=$?
	guest_adopt "$WORK/g1"
	guest_adopt "$WORK/g2"
	[ $s1 = 0 ] && [ $s2 = 0 ] || { fail "guest boot"; finish; }
}

SECONDS=0
guest_build 2>&1 || { fail "guest image build"; finish; }
boot_guests
echo "  both guests booted in ${SECONDS}s; vCPU threads $(cat "$WORK/g1/vcpu-threads")" \
     "and $(cat "$WORK/g2/vcpu-threads")"
UNITS=$(units_per_us x86-tsc)

# session LABEL TRACE-CMD... -- RECORD-ARGS...: one record of the host and
# the guests, kept in $WORK/LABEL; a guest stalled under TCG (see
# test-tcg-guest.sh) gets both guests booted again, and one more try
RECORD_LIMIT=90
session() {
	local label=$1

	shift
	record "$@"
	if [ "$RECORD_STATUS" != 0 ]; then
		echo "  record failed (status $RECORD_STATUS): booting the guests again"
		mv "$WORK/record.log" "$WORK/record-$label-failed.log"
		rm -f "$WORK"/trace*.dat*
		guest_stop "$WORK/g1"
		guest_stop "$WORK/g2"
		reset_tracefs
		boot_guests
		record "$@"
	fi
	check "$label: record succeeded" test "$RECORD_STATUS" = 0
	mkdir -p "$WORK/$label"
	mv "$WORK"/trace*.dat "$WORK/record.log" "$WORK/$label/"
	reset_tracefs
}

# negotiated LABEL ADDR PROTO: record says it negotiated PROTO with ADDR
negotiated() {
	grep -q "Negotiated $3 time sync protocol with guest $2\$" "$WORK/$1/record.log"
}

# flags LABEL ADDR: the TIME_SHIFT flags of guest ADDR's file
flags() {
	time_shift_flags "$1/trace-$2.dat"
}

# guest_pids LABEL ADDR: the host thread of each vCPU of guest ADDR, as the
# host file's GUEST option has them
guest_pids() {
	echo $(trace-cmd dump --options -i "$WORK/$1/trace.dat" 2>/dev/null |
	       awk -v g="$2" '/\[Guest name\]/ { this = $1 == g }
			      this && /\[guest cpu, host pid\]/ { print $2 }')
}

# merged_alike LABEL FILE...: one report of the host and every guest FILE;
# each guest's events there at the times, and in the order, of its own
# host+guest report
merged_alike() {
	local label=$1 dir=$WORK/$1 file args=() bad=0

	shift
	for file in "$@"; do
		args+=(-i "$dir/$file")
	done
	trace-cmd report -t -i "$dir/trace.dat" "${args[@]}" 2> "$dir/merged.err" |
		dropped_relabeled > "$dir/merged.txt"
	for file in "$@"; do
		trace-cmd report -t -i "$dir/trace.dat" -i "$dir/$file" 2>/dev/null |
			dropped_relabeled | grep "^$file:" > "$dir/pair.txt"
		grep "^$file:" "$dir/merged.txt" > "$dir/one.txt"
		echo "  $label: $file: $(wc -l < "$dir/one.txt") events in the merged report"
		[ -s "$dir/one.txt" ] && cmp -s "$dir/one.txt" "$dir/pair.txt" || bad=1
	done
	rm -f "$dir/pair.txt" "$dir/one.txt"
	return $bad
}

# alignment LABEL RUN ADDR: vcpu-align's figures of guest ADDR (QEMU of
# RUN), shown; the share inside its vCPU thread's runs in "share", of
# "checked" events
alignment() {
	local median worst error best

	read -r checked share median worst error best <<< "$(alignment_us "$2" \
		"$WORK/$1/trace.dat" "$WORK/$1/trace-$3.dat" "$UNITS")"
	echo "  $1: guest $3: vcpu-align: $checked checked, $share% inside, outside median" \
	     "$median us, worst $worst us; offset error $error us, with it $best% inside"
}

# aligned LABEL RUN ADDR [FLOOR]: guest ADDR's events (QEMU of RUN) inside
# the host's runs of its vCPU thread, for at least FLOOR (ALIGN_FLOOR)
# percent of them
aligned() {
	local checked share floor=${4:-$ALIGN_FLOOR}

	alignment "$@"
	check "$1: guest $3: ${share:-no}% of ${checked:-no} events inside its vCPU's runs (>= $floor%)" \
		awk -v s="${share:-0}" -v c="${checked:-0}" -v f=$floor \
		'BEGIN { exit !(s >= f && c >= 200) }'
}

# threads_filled LABEL ADDR RUN: the GUEST option of guest ADDR names the
# vCPU threads of the QEMU of RUN
threads_filled() {
	local want

	want=$(echo $(cat "$3/vcpu-threads"))
	check "$1: guest $2's GUEST option names its own vCPU thread ($(guest_pids "$1" "$2"))" \
		test "$(guest_pids "$1" "$2")" = "$want"
}

# unknown_option LABEL: what trace-cmd says of the guest files' option of
# sync records (0x7473): report reads past it, dump names it unknown
unknown_option() {
	local dump

	dump=$(trace-cmd dump --options -i "$WORK/$1/trace-$G1.dat" 2>&1 | grep -i unknown)
	echo "  $1: trace-cmd dump --options on a guest file: ${dump:-nothing unknown}"
	check "$1: trace-cmd report says nothing of an unknown option" \
		eval "! grep -qi unknown '$WORK/$1/merged.err'"
}

echo "a. two tsync guests, one record --tsync ptp"
session a "$TSYNC" --tsync ptp -- -C x86-tsc -e sched -A $G1:$GUEST_AGENT_PORT -e sched \
	-A $G2:$GUEST_AGENT_PORT -e sched sleep 2
for g in $G1 $G2; do
	check "a: tsync-ptp.2 negotiated with $g" negotiated a $g tsync-ptp.2
	check "a: $g: TIME_SHIFT written by tsync-ptp ($(flags a $g))" test "$(flags a $g)" = 0x82000001
done
check "a: host and both guests in one report, each guest as in its own" \
	merged_alike a trace-$G1.dat trace-$G2.dat
unknown_option a
aligned a "$WORK/g1" $G1
aligned a "$WORK/g2" $G2
threads_filled a $G1 "$WORK/g1"
threads_filled a $G2 "$WORK/g2"
check "a: the launcher said nothing of unsynced guests or vCPU threads" \
	eval '! grep -q "no time sync\|stay unknown" "$WORK/a/record.log"'

echo "b. a tsync agent beside a stock trace-cmd agent, --tsync auto"
mixed() {
	session b "$TSYNC" -- -C x86-tsc -e sched -A $G1:$GUEST_AGENT_PORT -e sched \
		-A $G2:$STOCK_PORT -e sched sleep 2
}
mixed
# a session whose built-in ptp guest is below the floor is shown, and one
# more counts
alignment b "$WORK/g2" $G2
if ! awk -v s="${share:-0}" -v f=$BUILTIN_FLOOR 'BEGIN { exit !(s >= f) }'; then
	echo "  b: the built-in ptp's guest is below $BUILTIN_FLOOR%: one more session"
	mv "$WORK/b" "$WORK/b-below"
	mixed
fi
check "b: tsync-ptp.2 negotiated with the tsync guest" negotiated b $G1 tsync-ptp.2
check "b: trace-cmd's built-in ptp with the stock guest" negotiated b $G2 ptp
check "b: the stock guest's TIME_SHIFT is the built-in's ($(flags b $G2))" \
	test "$(flags b $G2)" = 0x1
check "b: host and both guests in one report, each guest as in its own" \
	merged_alike b trace-$G1.dat trace-$G2.dat
aligned b "$WORK/g1" $G1
aligned b "$WORK/g2" $G2 $BUILTIN_FLOOR
threads_filled b $G1 "$WORK/g1"
threads_filled b $G2 "$WORK/g2"

echo "b2. the same with --tsync ptp: trace-cmd's built-ins are kept out"
session b2 "$TSYNC" --tsync ptp -- -C x86-tsc -e sched -A $G1:$GUEST_AGENT_PORT -e sched \
	-A $G2:$STOCK_PORT -e sched sleep 1
check "b2: tsync-ptp.2 negotiated with the tsync guest" negotiated b2 $G1 tsync-ptp.2
check "b2: nothing negotiated with the stock guest" \
	eval '! grep -q "time sync protocol with guest $G2" "$WORK/b2/record.log"'
check "b2: the stock guest's file has no TIME_SHIFT" test -z "$(flags b2 $G2)"
check "b2: the launcher says so, and what to do" grep -q \
	"trace-cmd-tsync: warning: trace-$G2.dat has no time sync: this record offered it only tsync-ptp (--tsync ptp): a stock trace-cmd agent needs --tsync auto" \
	"$WORK/b2/record.log"
check "b2: ... of that guest only" test "$(grep -c "has no time sync" "$WORK/b2/record.log")" = 1
check "b2: host and both guests still in one report" \
	merged_alike b2 trace-$G1.dat trace-$G2.dat

echo "c. a KVM guest named by --tsync-vm beside the TCG guest, --tsync auto"
VM_NAME=tsync-multi-$$
start_test_vm -n "$(nproc)" -k "$WORK/vm.kick" -name "$VM_NAME,debug-threads=on"
vm_threads=$(for t in /proc/$VM_PID/task/*; do
		sed -n "s|^CPU \([0-9]*\)/KVM$|\1 ${t##*/}|p" "$t/comm"
	     done | sort -n | awk '{ print $2 }')
mkdir -p "$WORK/vm" && echo "$vm_threads" > "$WORK/vm/vcpu-threads"
agent_up "$TSYNC"
session c "$TSYNC" -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
	-A 127.0.0.1:$AGENT_PORT --tsync-vm $VM_NAME -e sched -A $G1:$GUEST_AGENT_PORT -e sched \
	sleep 2
stop_agent
check "c: tsync-kvm negotiated with the KVM guest" negotiated c 127.0.0.1 tsync-kvm.2
check "c: tsync-ptp.2 with the TCG guest" negotiated c $G1 tsync-ptp.2
check "c: tsync-kvm found the VM that --tsync-vm named for its guest" \
	grep -q "tsync: tsync-kvm: syncing .* $VM_DEBUGFS (.*--tsync-vm)" "$WORK/c/record.log"
check "c: the KVM guest's TIME_SHIFT by tsync-kvm ($(flags c 127.0.0.1))" \
	test "$(flags c 127.0.0.1)" = 0x81000001
check "c: the TCG guest's by tsync-ptp ($(flags c $G1))" test "$(flags c $G1)" = 0x82000001
GUEST_DAT=trace-127.0.0.1.dat
mv "$WORK/c/trace.dat" "$WORK/c/$GUEST_DAT" "$WORK/"
check "c: every event of the KVM guest at exactly its raw timestamp" guest_times_match "raw"
mv "$WORK/trace.dat" "$WORK/$GUEST_DAT" "$WORK/c/"
check "c: host and both guests in one report, each guest as in its own" \
	merged_alike c trace-127.0.0.1.dat trace-$G1.dat
threads_filled c 127.0.0.1 "$WORK/vm"
aligned c "$WORK/g1" $G1
threads_filled c $G1 "$WORK/g1"

echo "c2. two KVM guests on one address, --tsync-vm for the first only"
agent_up "$TSYNC"
first_agent=$AGENT_PID first_port=$AGENT_PORT
agent_up "$TSYNC"
session c2 "$TSYNC" -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
	-A 127.0.0.1:$first_port --tsync-vm $VM_PID -e sched -A 127.0.0.1:$AGENT_PORT -e sched \
	sleep 1
stop_agent
kill $first_agent && wait $first_agent 2>/dev/null
check "c2: tsync-kvm negotiated with both" \
	test "$(grep -c "Negotiated tsync-kvm.2 time sync protocol" "$WORK/c2/record.log")" = 2
check "c2: tsync-kvm synced one with the VM named after its -A" \
	test "$(grep -c "tsync: tsync-kvm: syncing .* $VM_DEBUGFS (.*--tsync-vm)" \
		"$WORK/c2/record.log")" = 1
check "c2: ... could not tell the other's VM, named by its port" grep -q \
	"tsync: error: tsync-kvm: guest 127.0.0.1:$AGENT_PORT: no --tsync-vm after its -A names its VM" \
	"$WORK/c2/record.log"
check "c2: ... and handed it to tsync-ptp (auto), once" test "$(grep -c \
	"tsync: error: tsync-kvm cannot sync guest .*: tsync-ptp syncs it instead" \
	"$WORK/c2/record.log")" = 1

echo "  total ${SECONDS}s"
finish
