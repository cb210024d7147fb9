#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# A broken or hostile peer, both ways, for tsync-ptp and tsync-kvm: one side
# runs build/tests/tsync-hostile.so, which corrupts what it sends as
# TSYNC_FAULT says (tests/helpers/hostile-peer.c); the other runs the plugin
# built with ASan and UBSan.  For each fault: the receiver names the cause,
# trace-cmd record ends normally, the host trace and the guest file are
# complete and readable, the TIME_SHIFT samples taken before the fault are
# kept, and nothing crashed.  Adds a row per fault to the fault table.
# Needs root, tracefs, debugfs and /dev/kvm.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_debugfs
require_kvm
HOSTILE=$TOP/build/tests/tsync-hostile.so
PLUGIN_ASAN=$TOP/build/asan/tsync.so
[ -f "$HOSTILE" ] && [ -f "$PLUGIN_ASAN" ] || skip "needs a build (make)"
require_netns
fault_rows_begin

libasan=$(gcc -print-file-name=libasan.so)
export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:log_path=$WORK/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$WORK/ubsan"
start_test_vm -n "$(nproc)"

# Sessions of each protocol: its clock, and the host's option for it
declare -A CLOCK=([ptp]=x86-tsc [ptp-markers]=local [kvm]=x86-tsc)
declare -A PROTO=([ptp]=ptp [ptp-markers]=ptp [kvm]=kvm)

# hostile SIDE SESSION WHAT FAULT EXPECT: a session in which SIDE (guest
# or host) sends what TSYNC_FAULT=FAULT makes of its messages (WHAT, in
# words); the other side must print a line matching the extended regexp
# EXPECT.  Faults start after the first sync points, whose samples stay:
# tsync-ptp.2 probes CPU 0 only, at most 512 times at the first sync point
# and at least 32 times at each of the 20 or so of a 2 s session.
hostile() {
	local side=$1 kind=$2 what=$3 fault=$4 expect=$5
	local bad=(env TSYNC_PLUGIN="$HOSTILE" TSYNC_FAULT="$fault" "$TSYNC" --tsync ${PROTO[$kind]})
	local good=(env TSYNC_PLUGIN="$PLUGIN_ASAN" LD_PRELOAD="$libasan:$EPERM_SHIM" "$TSYNC"
		    --tsync ${PROTO[$kind]} --tsync-verbose)
	local guest=("${good[@]}") host=("${bad[@]}") victim=agent.log clock=${CLOCK[$kind]}
	local name="$side sends $what ($kind)" observed shift status outcome

	if [ "$side" = guest ]; then
		guest=("${bad[@]}")
		host=("${good[@]}")
		victim=record.log
	fi
	[ "$kind" = kvm ] && host+=(--tsync-vm "$VM_PID")
	echo "$name: TSYNC_FAULT=$fault"
	agent_up "${guest[@]}"
	record "${host[@]}" -- -C $clock -B $HOST_BUFFER -C $clock -e sched \
		--tsync-interval 100 -A 127.0.0.1:$AGENT_PORT -e sched sleep 2
	status=$RECORD_STATUS
	stop_agent
	reset_tracefs

	observed=$(grep -m 1 -E "$expect" "$WORK/$victim")
	shift=$(time_shift_samples $GUEST_DAT | wc -l)
	check "$name: the fault was injected" \
		grep -q "tsync: injected fault $fault" "$WORK/agent.log" "$WORK/record.log"
	check "$name: the $([ $side = guest ] && echo host || echo guest) names it" \
		test -n "$observed"
	check "$name: record exits 0 (status $status)" test "$status" = 0
	check "$name: host trace complete" host_trace_complete
	check "$name: guest events kept" guest_events_kept
	check "$name: TIME_SHIFT of the first sync points kept ($shift samples)" \
		test "$shift" -ge "$(nproc)"
	check "$name: nothing crashed, no sanitizer report" no_crash
	observed=${observed#tsync: }
	outcome="\"${observed#error: }\"; record exits $status; host trace readable;"
	fault_row "$name: \`$fault\`" "$outcome guest events kept; $shift TIME_SHIFT samples"
	mkdir -p "$WORK/$side-$kind-$fault"
	mv "$WORK"/*.dat "$WORK"/*.log "$WORK/$side-$kind-$fault/"
}

# The host's own events, from before tracing ended
host_trace_complete() {
	trace-cmd report -i "$WORK/trace.dat" 2> /dev/null | grep -q "sched_switch"
}

guest_events_kept() {
	trace-cmd report -i "$WORK/$GUEST_DAT" 2> /dev/null | grep -q "sched_switch" &&
		trace-cmd report -i "$WORK/trace.dat" -i "$WORK/$GUEST_DAT" 2> /dev/null |
		grep -q "^$GUEST_DAT:.*sched_switch"
}

no_crash() {
	! ls "$WORK"/asan.* "$WORK"/ubsan.* > /dev/null 2>&1 &&
		! grep -q -E "runtime error|AddressSanitizer|Segmentation fault|core dumped|Aborted" \
			"$WORK/agent.log" "$WORK/record.log"
}

P='tsync: error: tsync-ptp(\.2)?: '
K='tsync: error: tsync-kvm(\.2)?: '
M='malformed message from the'
APIC="the guest's APIC ids are not .* guest CPUs map to vCPUs by rank"

echo "tsync-ptp, the guest's replies to probes (seq u32, reserved u32, t2 u64, t3 u64)"
hostile guest ptp "a truncated reply" tsync-ptp.2:1:size=23:600 \
	"${P}malformed reply to probe [0-9]+ \(command 1, 23 bytes"
hostile guest ptp "an oversized reply" tsync-ptp.2:1:size=4000:600 \
	"${P}the peer sent 4000 bytes where 24 at most fit"
hostile guest ptp "a reply beyond trace-cmd's 8 KiB" tsync-ptp.2:1:size=12000:600 \
	"${P}the peer's message is larger than trace-cmd's 8192 bytes"
hostile guest ptp "a reply to another probe" tsync-ptp.2:1:be32@0=7:600 \
	"${P}malformed reply to probe [0-9]+ .*seq 7\)"
hostile guest ptp "a reply of an unknown command" tsync-ptp.2:1:cmd=9:600 \
	"${P}malformed reply to probe [0-9]+ \(command 9,"
hostile guest ptp "t2 after t3, at the clock's end" tsync-ptp.2:1:be64@8=0x7fffffffffffffff:600 \
	"${P}CPU [0-9]+: none of [0-9]+ probes is causal"
hostile guest ptp "a negative t3" tsync-ptp.2:1:be64@16=-1:600 \
	"${P}CPU [0-9]+: none of [0-9]+ probes is causal"
hostile guest ptp "zero time stamps: its clock goes back" tsync-ptp.2:1:be64@8=0+be64@16=0:600 \
	"${P}CPU [0-9]+: the guest's time [0-9]+ is before its last sample's: its clock went back"

echo "tsync-ptp with trace markers: RESULTS (first u32, count u32, (t2 u64, t3 u64)...)"
hostile guest ptp-markers "a RESULTS count beyond the round" tsync-ptp.2:4:be32@4=100000:10 \
	"${P}malformed time stamps from the guest \(command 4, [0-9]+ bytes\)"
hostile guest ptp-markers "a negative RESULTS count" tsync-ptp.2:4:be32@4=-1:10 \
	"${P}malformed time stamps from the guest \(command 4, [0-9]+ bytes\)"
hostile guest ptp-markers "an empty RESULTS" tsync-ptp.2:4:be32@4=0+size=8:10 \
	"${P}malformed time stamps from the guest \(command 4, 8 bytes\)"
hostile guest ptp-markers "RESULTS that do not start where the last ended" \
	tsync-ptp.2:4:be32@0=5:10 "${P}malformed time stamps from the guest \(command 4, [0-9]+ bytes\)"
hostile guest ptp-markers "truncated RESULTS" tsync-ptp.2:4:size=100:10 \
	"${P}malformed time stamps from the guest \(command 4, 100 bytes\)"

echo "tsync-ptp.2, the guest's gaps (first u32, count u32, (lower s64, upper s64)...)"
hostile guest ptp "a SPREAD count beyond the CPUs" tsync-ptp.2:6:be32@4=100000:2 \
	"${P}malformed CPU clocks' gaps from the guest \(command 6, [0-9]+ bytes\)"
hostile guest ptp "a truncated SPREAD" tsync-ptp.2:6:size=20:2 \
	"${P}malformed CPU clocks' gaps from the guest \(command 6, 20 bytes\)"
# a gap the guest says it could not measure is no error: that CPU is probed
hostile guest ptp "CPU 1's gap unmeasured" tsync-ptp.2:6:be64@24=0x7fffffffffffffff:2 \
	"tsync: tsync-ptp: the guest measured 0 of its [0-9]+ other CPUs' clocks"

echo "tsync-kvm, the guest's INFO (cpu u32, nr_apic u32, tsc u64, apic u32...)"
hostile guest kvm "a truncated INFO" tsync-kvm.2:1:size=8:4 "${K}$M guest \(command 1, 8 bytes\)"
hostile guest kvm "an INFO longer than its count says" tsync-kvm.2:1:size=4000:4 \
	"${K}$M guest \(command 1, 4000 bytes\)"
hostile guest kvm "an INFO beyond trace-cmd's 8 KiB" tsync-kvm.2:1:size=20000:4 \
	"${K}the peer's message is larger than trace-cmd's 8192 bytes"
hostile guest kvm "a CPU index beyond the count" tsync-kvm.2:1:be32@0=4096:4 \
	"${K}$M guest \(command 1, [0-9]+ bytes\)"
hostile guest kvm "an APIC id count beyond the buffer" tsync-kvm.2:1:be32@4=5000:4 \
	"${K}$M guest \(command 1, [0-9]+ bytes\)"
hostile guest kvm "a negative APIC id count" tsync-kvm.2:1:be32@4=-1:4 \
	"${K}$M guest \(command 1, [0-9]+ bytes\)"
# a guest that names no APIC ids is no error: the debug line says what happened
hostile guest kvm "no APIC ids" tsync-kvm.2:1:be32@4=0+size=16 \
	"tsync: tsync-kvm: guest CPUs map to vCPUs by rank"
hostile guest kvm "an APIC id no vCPU has" tsync-kvm.2:1:be32@16=9999 "${K}$APIC"
hostile guest kvm "one APIC id for two CPUs" tsync-kvm.2:1:be32@20=0 "${K}$APIC"
hostile guest kvm "an absurd TSC" tsync-kvm.2:1:be64@8=-1 \
	"${K}the guest's TSC is -?[0-9]+ cycles from .*the right VM"

echo "the host's messages to the guest"
hostile host ptp "a truncated probe" tsync-ptp.2:1:size=2:600 "${P}$M host \(command 1, 2 bytes\)"
hostile host ptp-markers "a probe out of sequence" tsync-ptp.2:1:be32@0=77:600 \
	"${P}$M host \(command 1, 4 bytes\)"
hostile host ptp-markers "a COLLECT count beyond the round" tsync-ptp.2:3:be32@0=1000000:8 \
	"${P}the peer sent a message of protocol 'none'"
hostile host ptp "an END with a payload" tsync-ptp.2:2:size=64:10 \
	"${P}the peer sent 64 bytes where 28 at most fit"
hostile host ptp "an END whose record names another CPU" tsync-ptp.2:2:be32@0=9999:10 \
	"${P}malformed end of the sync point of CPU [0-9]+ \(28 bytes\)"
hostile host ptp "an END whose bound is below -1" tsync-ptp.2:2:be64@20=-5:10 \
	"${P}malformed end of the sync point of CPU [0-9]+ \(28 bytes\)"
hostile host ptp "a SPREAD for no CPU" tsync-ptp.2:6:be32@0=0:2 "${P}$M host \(command 6, 4 bytes\)"
hostile host ptp "a SPREAD for more CPUs than any VM has" tsync-ptp.2:6:be32@0=70000:2 \
	"${P}$M host \(command 6, 4 bytes\)"
hostile host kvm "a DONE with a payload" tsync-kvm.2:2:size=64:4 \
	"${K}the peer sent 64 bytes where 0 at most fit"
hostile host kvm "a DONE of an unknown command" tsync-kvm.2:2:cmd=7:4 "${K}$M host \(command 7\)"
hostile host kvm "a PTP with a payload" tsync-kvm.2:2:cmd=3+size=8:4 \
	"${K}the peer sent 8 bytes where 0 at most fit"

fault_rows_end
finish
