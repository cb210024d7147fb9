#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync-kvm against a debugfs tree BUILT BY THIS TEST, for what this
# machine's KVM cannot produce: non-zero offsets and TSC scaling.  The tree
# has the layout KVM gives (kvm/<pid>-<fd>/vcpu<N>/tsc-offset,
# tsc-scaling-ratio, tsc-scaling-ratio-frac-bits); the guest is an agent on
# loopback, so its raw timestamps are the host TSC:
#  b. each vCPU a different offset: every guest event sits at exactly its
#     raw timestamp minus its vCPU's offset;
#  d. TSC scaling (Intel 48 and AMD 32 fraction bits, guest about 1 ppm
#     faster and slower): every guest event within one cycle of the exact
#     inverse of KVM's formula.  The guest's raw timestamps are really the
#     host's, while tsync lays its samples where the formula puts the guest:
#     the offsets are chosen so that the formula puts the guest a little
#     behind the host during the session, and the events fall among the
#     samples as a real guest's would.  The unit tests cover ratios far
#     from 1.
# Also: sparse vCPU ids, and clear errors for a missing or corrupt tree.
# Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"

FAKE=$WORK/debugfs		# the test-built tree
FAKE_PID=424242

# vcpu ID OFFSET [RATIO FRAC]: one vCPU of the fake VM
vcpu() {
	local dir=$FAKE/kvm/$FAKE_PID-11/vcpu$1

	mkdir -p "$dir"
	echo "$2" > "$dir/tsc-offset"
	if [ -n "$3" ]; then
		echo "$3" > "$dir/tsc-scaling-ratio"
		echo "$4" > "$dir/tsc-scaling-ratio-frac-bits"
	fi
}

session() {
	agent_up "$TSYNC" --tsync kvm
	record env TSYNC_DEBUGFS="$FAKE" "$TSYNC" --tsync kvm --tsync-vm $FAKE_PID --tsync-verbose \
		-- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
		-A 127.0.0.1:$AGENT_PORT -e sched sleep 0.5
	stop_agent
}

save() {
	reset_tracefs
	mkdir -p "$WORK/$1" && mv "$WORK"/*.dat "$WORK"/*.log "$WORK/$1/" 2>/dev/null
	rm -rf "$FAKE"
}

echo "b. offsets 1000003 and -2000005 (test-built debugfs)"
vcpu 0 1000003
vcpu 1 -2000005
session
check "b: record negotiated tsync-kvm.2" grep -q "Negotiated tsync-kvm.2 " "$WORK/record.log"
check "b: every guest event at raw minus its vCPU's offset" \
	guest_times_match "cpu == 0 ? raw - 1000003 : raw + 2000005"
save b

echo "b. sparse vCPU ids 0 and 4: guest CPU 1 is vCPU 4 (test-built debugfs)"
vcpu 0 500
vcpu 4 -700
session
check "b: sparse ids mapped by rank" guest_times_match "cpu == 0 ? raw - 500 : raw + 700"
save b-sparse

echo "d. TSC scaling 1 + 2^-20 (48 bits) and 1 - 2^-20 (32 bits) (test-built debugfs)"
now=$(tsc_now)
off0=$(awk -v h="$now" 'BEGIN { printf "%.0f", -h * 2^-20 - 1000000 }')
off1=$(awk -v h="$now" 'BEGIN { printf "%.0f", h * 2^-20 - 1000000 }')
vcpu 0 "$off0" $(((1 << 48) + (1 << 28))) 48
vcpu 1 "$off1" $(((1 << 32) - (1 << 12))) 32
session
samples=$(time_shift_samples $GUEST_DAT | wc -l)
check "d: scaled: samples on both CPUs ($samples)" test "$samples" -ge 4
# exact host time = (guest - offset) * 2^frac / ratio
check "d: every guest event within one cycle of the exact inverse" \
	guest_times_match "within(cpu == 0 ? (raw - ($off0)) / (1 + 2^-20) : (raw - ($off1)) / (1 - 2^-20))"
save d

echo "errors name their cause"
mkdir -p "$FAKE/kvm"
session
check "no VM at all: record --tsync kvm refuses to start (status $RECORD_STATUS)" \
	test "$RECORD_STATUS" = 1
check "no VM at all: the launcher names it" \
	grep -q "error: --tsync kvm: tsync-kvm has no VM to read: $FAKE/kvm shows no running VM" \
	"$WORK/record.log"
save no-vm
# a VM of another process only
mkdir -p "$FAKE/kvm/1-99"
session
check "no VM of that process: named" \
	grep -q "tsync: error: $FAKE/kvm: process $FAKE_PID has 0 VMs" "$WORK/record.log"
check "no VM: the host trace is still written" report_reads trace.dat
save none
vcpu 0 12abc
vcpu 1 0
session
check "corrupt tsc-offset: named with its content" \
	grep -q "tsync: error: $FAKE/kvm/$FAKE_PID-11/vcpu0/tsc-offset: not a number: '12abc'" \
	"$WORK/record.log"
check "corrupt tsc-offset: the host trace is still written" report_reads trace.dat
check "corrupt tsc-offset: no TIME_SHIFT written" test -z "$(time_shift_flags $GUEST_DAT)"
save corrupt

finish
