#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync-kvm with a real KVM VM (scripts/tools/kvm-test-vm.c) whose TSC
# offsets are all 0, as this machine's KVM keeps them, and a guest agent on
# loopback whose raw timestamps are the host's TSC:
#  a. tsync-kvm is negotiated and writes a TIME_SHIFT option although every
#     offset is 0 (trace-cmd's kvm drops such samples); every guest event
#     sits at exactly its raw timestamp;
#  c. the VM sets vCPU 1's TSC offset during the trace: a real
#     kvm_write_tsc_offset event.  tsync switches vCPU 1's samples to the new
#     offset at the event's guest time; every guest event sits at exactly
#     raw minus the offset in force at its guest time.  (This KVM does not
#     apply the offset, so the guest's own clock never moved: the test checks
#     what tsync did with the event, as a real KVM host would need.)
# Needs root, tracefs, debugfs and /dev/kvm.
. "$(dirname "$0")/lib.sh"

require_kvm_session

VM_NAME=tsync-test-$$
start_test_vm -n "$(nproc)" -name "$VM_NAME,debug-threads=on"
check "debugfs shows the test VM" test -d "$VM_DEBUGFS/vcpu1"

# session [MID-TRACE-COMMAND [VM]]: a tsync-kvm session of about a second
session() {
	agent_up "$TSYNC" --tsync kvm
	(
		[ -n "$1" ] || exit 0
		# once tsync-kvm follows the offsets and the host's buffer records
		# them (a loaded machine starts record late), in the middle of the trace
		for i in $(seq 500); do
			ls -d $TRACEFS/instances/tsync-kvm-* > /dev/null 2>&1 &&
			[ "$(cat $TRACEFS/instances/$HOST_BUFFER/events/kvm/kvm_write_tsc_offset/enable \
			     2> /dev/null)" = 1 ] && break
			sleep 0.02
		done
		sleep 0.3
		echo "  VM: $(vm_cmd "$1")"
	) &
	record "$TSYNC" --tsync kvm --tsync-vm "${2:-$VM_PID}" --tsync-verbose -- -C x86-tsc \
		-B $HOST_BUFFER -C x86-tsc -e sched -e kvm:kvm_write_tsc_offset \
		-A 127.0.0.1:$AGENT_PORT -e sched sleep 1.5
	wait $!
	stop_agent
}

echo "a. offsets 0"
session
check "a: record negotiated tsync-kvm.2" \
	grep -q "Negotiated tsync-kvm.2 time sync protocol" "$WORK/record.log"
check "a: tsync-kvm found the test VM" grep -q "tsync: tsync-kvm: syncing .* $VM_DEBUGFS" "$WORK/record.log"
flags=$(time_shift_flags $GUEST_DAT)
check "a: TIME_SHIFT written by tsync-kvm (flags $flags)" test "$flags" = 0x81000001
check "a: TIME_SHIFT samples, every offset 0" \
	awk '{ n++; if ($1 != 0) exit 1 } END { exit n < 4 }' <(time_shift_samples $GUEST_DAT)
check "a: every guest event at exactly its raw timestamp" guest_times_match "raw"
reset_tracefs
mkdir -p "$WORK/a" && mv "$WORK"/*.dat "$WORK"/*.log "$WORK/a/"

echo "c. vCPU 1's offset set to 2000 during the trace"
session "offset 1 2000"
check "c: record negotiated tsync-kvm.2" \
	grep -q "Negotiated tsync-kvm.2 time sync protocol" "$WORK/record.log"
# the write's host TSC, from the host's own trace of kvm_write_tsc_offset
write_ts=$(trace-cmd report -i "$WORK/trace.dat" 2>/dev/null |
	   awk '/kvm_write_tsc_offset: vcpu=1 .* next=2000/ {
		match($0, /\] *[0-9]+:/); ts = substr($0, RSTART + 1, RLENGTH - 2)
		gsub(/ /, "", ts); print ts; exit }')
check "c: the host trace has the VM's kvm_write_tsc_offset ($write_ts)" test -n "$write_ts"
check "c: tsync-kvm applied it" grep -q "vCPU 1 offset 2000 from guest TSC" "$WORK/record.log"
# vCPU 1's guest TSC jumps by 2000 at the write: the new offset holds from
# guest time write + 2000 on
check "c: every guest event at exactly raw minus the offset in force" \
	guest_times_match "(cpu == 1 && raw >= $write_ts + 2000) ? raw - 2000 : raw"
after=$(awk -v w="$write_ts" 'match($0, /\[001\] *[0-9]+:/) {
		ts = substr($0, RSTART + 5, RLENGTH - 6); gsub(/ /, "", ts)
		if (ts + 0 >= w + 2000) n++ } END { print n + 0 }' "$WORK/guest-raw.txt")
check "c: vCPU 1 has events under the new offset ($after)" test "$after" -gt 0

echo "the VM by its QEMU -name; a name no VM has"
session "" "$VM_NAME"
check "--tsync-vm NAME finds the VM" grep -q "tsync: tsync-kvm: syncing .* $VM_DEBUGFS" "$WORK/record.log"
check "--tsync-vm NAME: every guest event at its raw timestamp" guest_times_match "raw"
reset_tracefs
session "" no-such-vm
check "--tsync-vm with an unknown name is named" \
	grep -q "tsync: error: --tsync-vm no-such-vm: no process runs a VM of that -name" "$WORK/record.log"
check "unknown VM: the host trace is still written" report_reads trace.dat

finish
