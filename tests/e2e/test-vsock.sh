#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# The vsock path, "trace-cmd-tsync record -A NAME@CID", through trace-cmd's
# own vsock code, guest lookup and HOST and GUEST roles.  This machine has
# no vsock loopback: build/tests/vsock-shim.so carries AF_VSOCK over AF_UNIX
# sockets (the agent is CID 3, the host CID 2).  A real KVM VM
# (kvm-test-vm) is the guest's VM, its TSC offsets 0 as this KVM keeps
# them, so every guest event's host time is exactly its raw timestamp.
#  a. --tsync kvm|ptp|auto against trace-cmd-tsync agent: the protocol
#     asked for (auto: tsync-kvm, a VM being there), its TIME_SHIFT, and
#     for tsync-kvm every guest event at exactly its TSC;
#  b. the GUEST option in the host's file, and trace-cmd's guest lookup:
#     its connect to the guest's CID wakes the VM's vCPU threads, whose
#     kvm_exit names the VM's pid where KVM fires it (this machine's does
#     not: the pid is -1 then, and tsync-kvm takes the only VM);
#  c. against a stock trace-cmd agent: what a stock guest gets on vsock;
#  d. the pid that find_pid_by_cid finds where KVM fires kvm_exit, given to
#     libtracecmd's own sync functions (build/tests/tsync-session): used
#     by tsync-kvm, checked against --tsync-vm, and the pid -1 of this
#     machine with two VMs refused with the reason.
# Needs root, tracefs, debugfs and /dev/kvm.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_debugfs
require_kvm
require_netns
[ -f "$VSOCK_SHIM" ] && [ -x "$TOP/build/tests/tsync-session" ] || skip "needs a build (make)"

GUEST_CID=3
GUEST_NAME=guest
GUEST_DAT=trace-$GUEST_NAME.dat
VSOCK_DIR=$WORK/vsock
mkdir "$VSOCK_DIR"

# the VM's vCPU threads wake when the host connects to its CID
start_test_vm -n "$(nproc)" -k "$VSOCK_DIR/$GUEST_CID.kick"

# Whether this KVM fires kvm_entry and kvm_exit, which trace-cmd's guest
# lookup needs (find_pid_by_cid, and its vCPU to thread map)
kvm_exits_fire() {
	local inst=$TRACEFS/instances/tsync-kvm-exits fired=no

	mkdir "$inst" || { echo unknown; return; }
	echo 1 > "$inst/events/kvm/kvm_entry/enable" &&
	echo 1 > "$inst/events/kvm/kvm_exit/enable" && sleep 0.2 &&
	grep -q " kvm_e\(ntry\|xit\):" "$inst/trace" && fired=yes
	echo 0 > "$inst/events/enable"
	rmdir "$inst"
	echo $fired
}
KVM_EXITS_FIRE=$(kvm_exits_fire)
check "kvm_entry and kvm_exit fire on this KVM: $KVM_EXITS_FIRE" test $KVM_EXITS_FIRE != unknown
found_by="the only VM of this host"
[ $KVM_EXITS_FIRE = yes ] && found_by="trace-cmd's pid of the guest"

# session AGENT-COMMAND... -- LAUNCHER-OPTIONS...: one vsock session of about
# a second, of the guest $GUEST_SPEC (NAME@CID, or NAME for virsh to find)
GUEST_SPEC=$GUEST_NAME@$GUEST_CID
SESSIONS=0
session() {
	local agent=()

	while [ "$1" != -- ]; do
		agent+=("$1")
		shift
	done
	shift
	reset_tracefs
	rm -f "$WORK"/*.dat
	start_vsock_agent $GUEST_CID "${agent[@]}" ||
		{ fail "agent did not listen on vsock port $AGENT_PORT: $(cat "$WORK/agent.log")"; finish; }
	vsock_record env PATH="$WORK/bin:$PATH" "$TSYNC" "$@" --tsync-verbose -- -B $HOST_BUFFER \
		-e sched -A $GUEST_SPEC:$AGENT_PORT -e sched sleep 1
	stop_agent
	SESSIONS=$((SESSIONS + 1))
}

# trace-cmd finds a guest's CID by its name with libvirt's virsh: a stand-in
# that knows the one guest
mkdir "$WORK/bin"
cat > "$WORK/bin/virsh" <<EOF
#!/bin/sh
case "\$*" in
"list --name")		echo $GUEST_NAME ;;
"dumpxml $GUEST_NAME")	echo "<domain><devices><vsock model='virtio'>"
			echo "  <cid auto='no' address='$GUEST_CID'/>"
			echo "</vsock></devices></domain>" ;;
*)			exit 1 ;;
esac
EOF
chmod +x "$WORK/bin/virsh"

negotiated() {
	grep -q "Negotiated $1 time sync protocol with guest $GUEST_NAME" "$WORK/record.log"
}

echo "a. trace-cmd-tsync agent"
for proto in kvm ptp auto; do
	session "$TSYNC" --tsync "$proto" -- --tsync "$proto"
	check "$proto: record succeeded (status $RECORD_STATUS)" test "$RECORD_STATUS" = 0
	check "$proto: the agent listened on vsock" grep -q "listening on @$GUEST_CID:" \
		"$WORK/agent.log"
	want=tsync-kvm.2 flags=0x81000001
	[ $proto = ptp ] && want=tsync-ptp.2 flags=0x82000001
	check "$proto: record negotiated $want" negotiated $want
	check "$proto: TIME_SHIFT written by $want" test "$(time_shift_flags $GUEST_DAT)" = $flags
	if [ $want = tsync-kvm.2 ]; then
		check "$proto: tsync-kvm syncs with the test VM, $found_by" \
			grep -q "tsync: tsync-kvm: syncing .* $VM_DEBUGFS (.*, $found_by)" \
			"$WORK/record.log"
		check "$proto: every guest event at exactly its TSC" guest_times_match "raw"
	else
		check "$proto: host file readable" report_reads trace.dat
		# the true offset is 0 here: how far tsync-ptp is from it, in cycles
		echo "  $proto: |offset| median, p99, max: $(time_shift_samples $GUEST_DAT |
			awk '{ print ($1 < 0 ? -$1 : $1) }' | quantiles) cycles"
	fi
done

# guest_option FIELD: a field of the GUEST option in the host's file
guest_option() {
	trace-cmd dump --options -i "$WORK/trace.dat" 2>/dev/null |
		sed -n "/Option GUEST/,/Guest CPUs/s/^\(.*\) \[$1\]\$/\1/p"
}

echo "a. the guest by its name alone, its CID from virsh"
GUEST_SPEC=$GUEST_NAME
session "$TSYNC" --tsync kvm -- --tsync kvm
check "by name: record negotiated tsync-kvm.2" negotiated tsync-kvm.2
check "by name: every guest event at exactly its TSC" guest_times_match "raw"
GUEST_SPEC=$GUEST_NAME@$GUEST_CID

echo "b. the GUEST option of the last session"
trace_id=$(trace-cmd dump --options -i "$WORK/$GUEST_DAT" 2>/dev/null | sed -n '/Option TRACEID/{n;p}')
check "GUEST option names the guest" test "$(guest_option "Guest name")" = $GUEST_NAME
check "GUEST option has the guest file's trace id ($trace_id)" \
	test -n "$trace_id" -a "$(guest_option "trace id")" = "$trace_id"
# trace-cmd maps vCPUs to threads from kvm_entry, which this KVM never fires
cpus=$(guest_option "Guest CPUs")
check "GUEST option: $cpus vCPU threads (kvm_entry fires here: $KVM_EXITS_FIRE)" \
	test "$cpus" = "$([ $KVM_EXITS_FIRE = yes ] && nproc || echo 0)"
if [ $KVM_EXITS_FIRE = yes ]; then
	threads=$(ps -L -o tid= -o comm= -p $VM_PID | awk '/CPU [0-9]+\/KVM/ { print $1 }' | sort)
	check "GUEST option: the VM's vCPU threads ($threads)" test "$(trace-cmd dump --options \
		-i "$WORK/trace.dat" 2>/dev/null | sed -n 's/^ *[0-9]* \([0-9]*\) \[guest cpu, host pid\]/\1/p' |
		sort)" = "$threads"
fi
# trace-cmd's lookup connected to (CID, -1): the double woke the VM of that CID
kicks=$(vm_cmd kicks | sed -n 's/^OK kicks //p')
check "trace-cmd's guest lookup reached the VM of CID $GUEST_CID once a session ($kicks)" \
	test "$kicks" = $SESSIONS

echo "c. a stock trace-cmd agent"
session trace-cmd -- --tsync auto
check "stock agent: record succeeded (status $RECORD_STATUS)" test "$RECORD_STATUS" = 0
check "stock agent: trace-cmd's kvm negotiated, on vsock" negotiated kvm
check "stock agent: guest file readable" report_reads $GUEST_DAT
# trace-cmd's kvm finds the VM by the pid of find_pid_by_cid (none where
# kvm_exit never fires) and drops offsets of 0, as this KVM's are
check "stock agent: no TIME_SHIFT from trace-cmd's kvm here" \
	test -z "$(time_shift_flags $GUEST_DAT)"

echo "d. trace-cmd's pid of the guest, through libtracecmd's sync functions"
# pid_session PID [TSYNC-VM]: tsync-kvm's session of a vsock host given PID
pid_session() {
	env LD_PRELOAD="$PLUGIN" TSYNC_PROTO=kvm TSYNC_VM="$2" TSYNC_TRACECMD_VERSION="$(
		trace-cmd --version 2>/dev/null | sed -n 's/.*version \([0-9.]*\).*/\1/p')" \
		"$TOP/build/tests/tsync-session" tsync-kvm "$1" "$(nproc)" > "$WORK/pid.log" 2>&1
	{ echo "== pid $1, --tsync-vm $2"; cat "$WORK/pid.log"; } >> "$WORK/pid-sessions.log"
}

# every guest CPU synced, every offset that of the test VM, 0
synced_at_zero() {
	awk '/^sync: CPU/ { n++; if ($5 < 1) bad++; for (i = 8; i <= NF; i++) if ($i != 0) bad++ }
	     END { exit !(n == '"$(nproc)"' && !bad) }' "$WORK/pid.log"
}

pid_session $VM_PID
check "pid $VM_PID: tsync-kvm offered by both roles" grep -q "^host offers:.* tsync-kvm" "$WORK/pid.log"
check "pid $VM_PID: tsync-kvm takes trace-cmd's pid" \
	grep -q "tsync-kvm: syncing .* $VM_DEBUGFS (.*, trace-cmd's pid of the guest)" "$WORK/pid.log"
check "pid $VM_PID: every CPU synced, offsets 0" synced_at_zero
pid_session $VM_PID $VM_PID
check "--tsync-vm that agrees with the pid" synced_at_zero

# a second VM: --tsync-vm names it, and pid -1 no longer finds one VM
mkfifo "$WORK/vm2.in"
"$KVM_TEST_VM" -n "$(nproc)" < "$WORK/vm2.in" > "$WORK/vm2.out" 2>&1 &
VM2_PID=$!
exec 8> "$WORK/vm2.in"
for i in $(seq 100); do
	grep -q READY "$WORK/vm2.out" && break
	sleep 0.05
done
pid_session $VM_PID $VM2_PID
check "--tsync-vm $VM2_PID that disagrees with pid $VM_PID: no sync" grep -q "^no sync" "$WORK/pid.log"
check "--tsync-vm that disagrees: the reason" grep -q "tsync: error: --tsync-vm $VM2_PID is process \
$VM2_PID, but trace-cmd found the guest's VM in process $VM_PID" "$WORK/pid.log"
pid_session -1
check "pid -1 and two VMs: no sync" grep -q "^no sync" "$WORK/pid.log"
check "pid -1 and two VMs: the reason" grep -q "2 VMs and trace-cmd found no pid of the guest: \
name one with --tsync-vm" "$WORK/pid.log"
pid_session -1 $VM2_PID
check "pid -1, --tsync-vm names the VM" \
	grep -q "tsync-kvm: syncing .*/kvm/$VM2_PID-[0-9]* (.*, --tsync-vm)" "$WORK/pid.log"
pid_session $$
check "a pid that runs no VM: the reason" grep -q "process $$ has 0 VMs" "$WORK/pid.log"

echo "e. auto with two VMs and no pid of the guest: tsync-ptp in tsync-kvm's place"
if [ $KVM_EXITS_FIRE = no ]; then
	session "$TSYNC" --tsync auto -- --tsync auto
	check "fallback: record succeeded (status $RECORD_STATUS)" test "$RECORD_STATUS" = 0
	check "fallback: record negotiated tsync-kvm.2" negotiated tsync-kvm.2
	check "fallback: the reason" grep -q "tsync: error: .*2 VMs and trace-cmd found no pid of \
the guest" "$WORK/record.log"
	check "fallback: said once" test "$(grep -c "tsync: error: tsync-kvm cannot sync guest .*: \
tsync-ptp syncs it instead" "$WORK/record.log")" = 1
	check "fallback: TIME_SHIFT written by tsync-ptp" \
		test "$(time_shift_flags $GUEST_DAT)" = 0x82000001
	# sync points before and after the guest's trace: the host's copy of their records
	"$TSYNC" inspect "$WORK/$GUEST_DAT" > "$WORK/inspect-fallback"
	check "fallback: every CPU's sync points proven by a sync record" \
		test "$(grep -cE "^cpu [0-9]+: error bound: ([0-9]+) sync points, \1 proven" \
		"$WORK/inspect-fallback")" = "$(nproc)"
	check "fallback: the records kept in the guest file" \
		grep -q "sync records, every sync point.s, kept in the file" "$WORK/inspect-fallback"
	# the true offset is 0 here
	median=$(time_shift_samples $GUEST_DAT | awk '{ print ($1 < 0 ? -$1 : $1) }' | quantiles)
	echo "  fallback: |offset| median, p99, max: $median cycles"
	check "fallback: |offset| median under 10000 cycles" test "${median%% *}" -lt 10000
	session "$TSYNC" --tsync kvm -- --tsync kvm
	check "--tsync kvm, two VMs, no pid: no tsync-ptp in its place" \
		test -z "$(time_shift_flags $GUEST_DAT)"
	check "--tsync kvm, two VMs, no pid: the reason" grep -q "2 VMs and trace-cmd found no pid" \
		"$WORK/record.log"
	check "--tsync kvm, two VMs, no pid: the host's trace kept" report_reads trace.dat
else
	echo "  (kvm_exit fires: trace-cmd finds the pid, tsync-kvm syncs; see a.)"
fi
exec 8>&-
wait $VM2_PID

finish
