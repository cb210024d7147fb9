#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Faults during a session: trace-cmd goes on or stops with a message that
# names the cause, the host trace stays complete and readable, and what the
# guest sent is kept.  Adds its rows to the fault table (lib.sh).  Needs
# root, tracefs, debugfs and /dev/kvm.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_debugfs
require_kvm
require_netns
fault_rows_begin

session() {
	agent_up "$TSYNC" "$@"
	record "$TSYNC" "$@" -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
		--tsync-interval 100 -A 127.0.0.1:$AGENT_PORT -e sched sleep 1.5
}

save() {
	stop_agent
	reset_tracefs
	mkdir -p "$WORK/$1" && mv "$WORK"/*.dat "$WORK"/*.log "$WORK/$1/" 2>/dev/null
}

echo "the VM exits in the middle of the trace"
start_test_vm -n "$(nproc)"
( sleep 0.8; kill "$VM_PID" ) &
killer=$!
session --tsync kvm --tsync-vm "$VM_PID"
wait $killer
check "VM gone: debugfs directory gone" test ! -d "$VM_DEBUGFS"
check "VM gone: host trace readable" report_reads trace.dat
check "VM gone: guest trace kept with its TIME_SHIFT" \
	test "$(time_shift_flags $GUEST_DAT)" = 0x81000001
fault_row "the VM exits mid-trace (its debugfs directory vanishes)" \
    "sync goes on with the parameters read at the start; host trace readable; guest TIME_SHIFT kept"
save vm-exit

echo "the tracefs instance for offset changes cannot be created"
start_test_vm -n "$(nproc)"
agent_up "$TSYNC" --tsync kvm
record env TSYNC_TRACEFS=/nonexistent "$TSYNC" --tsync kvm --tsync-vm "$VM_PID" -- \
	-C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched -A 127.0.0.1:$AGENT_PORT -e sched sleep 0.5
check "no instance: the cause is named" \
	grep -q "tsync: error: /nonexistent/instances/tsync-kvm-[0-9]*: No such file or directory: TSC offset changes will not be followed" \
	"$WORK/record.log"
check "no instance: host trace readable" report_reads trace.dat
check "no instance: guest TIME_SHIFT still written" \
	test "$(time_shift_flags $GUEST_DAT)" = 0x81000001
fault_row "tracefs instance for kvm_write_tsc_offset cannot be created" \
    "\"tsync: error: ...: No such file or directory: TSC offset changes will not be followed\"; sync goes on"
save no-instance

echo "the guest dies in the middle of the trace: its agent and recorders killed"
agent_up "$TSYNC" --tsync ptp
( sleep 1; kill -KILL $(process_tree "$AGENT_PID") ) &
killer=$!
record "$TSYNC" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
	--tsync-interval 50 -A 127.0.0.1:$AGENT_PORT -e sched sleep 2 &
rec=$!
for i in $(seq 300); do
	kill -0 $rec 2>/dev/null || break
	sleep 0.1
done
hung=0
if kill -0 $rec 2>/dev/null; then
	hung=1
	pkill -KILL -f "trace-cmd record -d --no-filter .*-A 127.0.0.1.$AGENT_PORT"
fi
wait $rec $killer
AGENT_PID=
check "agent killed: record ended by itself within 30 s" test $hung = 0
check "agent killed: host trace readable" report_reads trace.dat
check "agent killed: the sync failure is named" \
	grep -q -E "tsync: error: tsync-ptp: probe [0-9]+ to guest [^ ]+: " "$WORK/record.log"
fault_row "the guest dies mid-sync (agent and its recorders killed)" \
    "\"tsync: error: tsync-ptp: probe N to guest ADDR:PORT: <cause>\"; record ends; host trace readable"
save agent-killed

echo "trace-cmd dies at the end of the trace: the guest's file no longer a trace file"
# record reads the guest's metadata into its file at the start; one it
# cannot open as a trace at the end makes it die ("cannot create output
# handle"), and its die() deletes the recorders' files, the host's trace
# too.  Events enough that the recorders have written pages by then.
agent_up "$TSYNC" --tsync ptp
( for i in $(seq 200); do [ -s "$WORK/$GUEST_DAT" ] && ! guest_file_open && break; sleep 0.05; done
  sleep 0.3; : > "$WORK/$GUEST_DAT" ) &
spoiler=$!
record "$TSYNC" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
	-A 127.0.0.1:$AGENT_PORT -e sched \
	sh -c 'sleep 1; i=0; while [ $i -lt 1500 ]; do /bin/true; i=$((i + 1)); done'
wait $spoiler
check "record died (status $RECORD_STATUS)" test "$RECORD_STATUS" != 0 -a "$RECORD_STATUS" != 124
check "died: trace-cmd's own reason" grep -q "cannot create output handle" "$WORK/record.log"
check "died: the recorders' files kept" \
	grep -q "tsync: error: trace-cmd is ending on an error: trace.dat.$HOST_BUFFER.cpu0 is kept" \
		"$WORK/record.log"
check "died: the launcher rebuilt the host's trace" \
	grep -q "the host's trace was rebuilt into ./trace-$HOST_BUFFER.dat" "$WORK/record.log"
check "died: the host's trace has the traced command" bash -c "
	trace-cmd report -i '$WORK/trace-$HOST_BUFFER.dat' 2> /dev/null |
	grep -q 'sched_process_exec:.*filename=/bin/true'"
check "died: no per-CPU file of the host left" test -z "$(ls "$WORK"/trace.dat.*cpu* 2> /dev/null)"
fault_row "trace-cmd dies at the end (a guest file it cannot open as a trace)" \
    "trace-cmd's \"cannot create output handle\"; its recorders' files kept; the host's trace rebuilt, readable"
save died

fault_rows_end
finish
