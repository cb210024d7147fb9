# SPDX-License-Identifier: LGPL-2.1
#
# Shared by the end-to-end tests: assertions around scripts/lib/session-lib.sh.
#
# Exit codes of a test: 0 passed, 1 failed, 77 skipped (a missing
# requirement; the runner counts a skip as a failure in CI).

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/session-lib.sh"

E2E_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/tsync-$E2E_NAME.XXXXXX")
NETNS=tsync-$$
FAILED=0
trap session_cleanup EXIT

skip() {
	echo "SKIP $E2E_NAME: $*"
	exit 77
}

fail() {
	echo "FAIL $E2E_NAME: $*"
	FAILED=1
}

# check DESCRIPTION COMMAND...: a named assertion
check() {
	local what=$1

	shift
	if "$@"; then
		echo "  ok: $what"
	else
		fail "$what"
	fi
}

finish() {
	if [ $FAILED = 0 ]; then
		echo "PASS $E2E_NAME"
		rm -rf "$WORK"
		exit 0
	fi
	echo "  (files kept in $WORK)"
	exit 1
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

require_tracefs() {
	require_root
	mount_tracefs || skip "needs tracefs at $TRACEFS"
	command -v trace-cmd >/dev/null || skip "needs trace-cmd (make deps)"
	[ -f "$PLUGIN" ] && [ -f "$EPERM_SHIM" ] || skip "needs a build (make)"
}

require_debugfs() {
	require_root
	mount_debugfs || skip "needs debugfs with kvm/ at $DEBUGFS"
}

require_kvm() {
	[ -c /dev/kvm ] || skip "needs /dev/kvm"
	[ -x "$KVM_TEST_VM" ] || skip "needs a build (make)"
}

require_netns() {
	netns_create || skip "cannot create network namespace $NETNS (iproute2, root)"
}

# A tsync-kvm session with the test VM and an agent on loopback
require_kvm_session() {
	require_tracefs
	require_debugfs
	require_kvm
	require_netns
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
}

# process_tree PID: PID and every process below it
process_tree() {
	local child

	echo "$1"
	for child in $(pgrep -P "$1"); do
		process_tree "$child"
	done
}

# Guest agent started, or the test ends here
agent_up() {
	start_agent "$@" && return 0
	fail "agent did not listen on port $AGENT_PORT: $(cat "$WORK/agent.log")"
	finish
}

# record_file FILE ARGS... [-- COMMAND...]: a short trace of this machine
# with the x86-tsc clock, of COMMAND (sleep 0.2), for the offline tool's tests
record_file() {
	local out=$1 args=()

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- sleep 0.2
	(cd "$WORK" && env LD_PRELOAD="$EPERM_SHIM" trace-cmd record -d --no-filter -C x86-tsc \
		-e sched:sched_switch "${args[@]}" -o "$out" "$@") > "$WORK/$out.log" 2>&1
	check "recorded $out" test -s "$WORK/$out"
}

# trace-cmd report reads FILE from end to end
# guest_file_open: whether a process holds $GUEST_DAT open, as record does
# while it reads the guest's metadata into it
guest_file_open() {
	find /proc/[0-9]*/fd -lname "$WORK/$GUEST_DAT" 2> /dev/null | grep -q .
}

report_reads() {
	trace-cmd report -i "$WORK/$1" > /dev/null 2>&1
}

# check_ptp_session LABEL: record negotiated tsync-ptp, the host's file
# reads, and tsync-ptp wrote the guest file's TIME_SHIFT option
check_ptp_session() {
	local flags

	check "$1: record negotiated tsync-ptp.2" \
		grep -q "Negotiated tsync-ptp.2 time sync protocol with guest 127.0.0.1" \
		"$WORK/record.log"
	check "$1: host file readable" report_reads trace.dat
	flags=$(time_shift_flags $GUEST_DAT)
	check "$1: TIME_SHIFT written by tsync-ptp (flags $flags)" test "$flags" = 0x82000001
}

# check_sync_records LABEL: tsync-ptp's sync records in the guest's trace
# against its TIME_SHIFT samples, and as inspect counts them.
# The first sync points run before the guest's trace starts and the last
# after it stops: only theirs may be missing, none in between.
check_sync_records() {
	local label=$1

	time_shift_by_cpu $GUEST_DAT > "$WORK/samples-$label"
	sync_records $GUEST_DAT > "$WORK/records-$label"
	check "$label: sync records in the guest's trace for each CPU" \
		test "$(cut -d' ' -f1 "$WORK/records-$label" | sort -u | wc -l)" = "$(nproc)"
	check "$label: each record is a TIME_SHIFT sample of its CPU, once" \
		awk 'FNR == NR { sample[$1, $3, $4] = 1; next }
		     !sample[$1, $2, $3] || seen[$1, $2]++ { print "    stray:", $0; bad = 1 }
		     END { exit bad }' "$WORK/samples-$label" "$WORK/records-$label"
	check "$label: a record for every sample while the guest traced" \
		awk 'FNR == NR { kept[$1, $2] = 1; n[$1]++
				 if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2
				 if (!($1 in hi) || $2 > hi[$1]) hi[$1] = $2; next }
		     $3 >= lo[$1] && $3 <= hi[$1] && !kept[$1, $3] {
			print "    no record:", $0; bad = 1
		     }
		     { total[$1]++ }
		     END { for (c in total) if (n[c] < total[c] - 4) bad = 1; exit bad }' \
		"$WORK/records-$label" "$WORK/samples-$label"
	# one kernel: the true offset is 0, so every proven bound must cover it
	check "$label: every bound proven and covering the true offset 0" \
		awk '{ o = $3 < 0 ? -$3 : $3; if ($4 < 0 || o > $4) bad = 1 } END { exit bad }' \
		"$WORK/records-$label"
	# and trace-cmd-tsync inspect reads the host's copy of them all, those of
	# the sync points before and after the guest's trace too
	"$TSYNC" inspect "$WORK/$GUEST_DAT" > "$WORK/inspect-$label"
	check "$label: inspect counts a proven bound for every sample, kept by record" \
		awk 'FNR == NR { n[$1]++; next }
		     /error bound: / { seen[$2 + 0] = $5 == n[$2 + 0] && $8 == n[$2 + 0] }
		     /sync records, every sync point.s, kept in the file/ { kept = 1 }
		     END { for (c in n) if (!seen[c]) bad = 1; exit bad || !kept }' \
		"$WORK/samples-$label" "$WORK/inspect-$label"
}

# Timestamps never go backwards, and the stream switches between host and
# guest at least MIN times
check_merged_order() {
	local min=$1

	merged_timeline | awk -v min="$min" -v guest="$GUEST_DAT:" '
		{ g = ($1 == guest) }
		NR > 1 && $2 + 0 < last + 0 { bad++ }
		NR > 1 && g != lastg { switches++ }
		{ last = $2; lastg = g; n[g]++ }
		END {
			printf "  merged: %d host and %d guest events, %d switches, %d out of order\n",
			       n[0], n[1], switches, bad
			exit !(bad == 0 && n[0] > 0 && n[1] > 0 && switches >= min)
		}'
}

# start_test_vm ARGS...: a real KVM VM (scripts/tools/kvm-test-vm.c) that
# takes commands through vm_cmd, from any subshell; sets VM_PID, VM_DEBUGFS.
# It ends with the test: its input closes.
start_test_vm() {
	local ready i

	# a VM before this one must not inherit the fifo: it would never end
	exec 7>&-
	rm -f "$WORK/vm.in" "$WORK/vm.out"
	mkfifo "$WORK/vm.in"
	"$KVM_TEST_VM" "$@" < "$WORK/vm.in" > "$WORK/vm.out" 2>&1 &
	exec 7> "$WORK/vm.in"
	for i in $(seq 100); do
		ready=$(head -n 1 "$WORK/vm.out")
		[ -n "$ready" ] && break
		sleep 0.05
	done
	case "$ready" in
	READY*)	;;
	*)	fail "test VM did not start: $ready"; finish ;;
	esac
	VM_PID=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' <<< "$ready")
	VM_DEBUGFS=$(sed -n 's/.* debugfs=\([^ ]*\).*/\1/p' <<< "$ready")
	echo "  test VM: $ready"
}

# vm_cmd LINE: send a command to the test VM, print its answer
vm_cmd() {
	local lines i

	lines=$(wc -l < "$WORK/vm.out")
	echo "$1" >&7
	for i in $(seq 100); do
		[ "$(wc -l < "$WORK/vm.out")" -gt "$lines" ] && break
		sleep 0.02
	done
	tail -n 1 "$WORK/vm.out"
}


# The fault table, build/fault-table.md: each test of faults writes its own
# rows (build/fault-table/TEST.md), and the table is every test's rows.
# make fault-table runs those tests and says where the table is.
FAULT_TABLE=$TOP/build/fault-table.md
FAULT_ROWS=()

fault_rows_begin() {
	mkdir -p "$TOP/build/fault-table"
	rm -f "$TOP/build/fault-table/$E2E_NAME.md"
}

# fault_row FAULT OUTCOME: a row of the table, with what the test observed
fault_row() {
	FAULT_ROWS+=("| $1 | $2 |")
}

fault_rows_end() {
	local rows

	printf '%s\n' "${FAULT_ROWS[@]}" > "$TOP/build/fault-table/$E2E_NAME.md"
	{
		cat <<-EOF
		# Faults tried and outcomes

		Written by the end-to-end tests of faults (\`tests/e2e/test-faults.sh\`,
		\`test-hostile-peer.sh\`, \`test-disk-full.sh\`) into \`build/fault-table.md\`
		(\`make fault-table\` runs them).  Every outcome is asserted
		by its test: trace-cmd goes on or stops with the message shown, the host trace is
		complete and readable by \`trace-cmd report\`, what the guest sent is kept, and
		nothing crashed.  A hostile peer is \`build/tests/tsync-hostile.so\`, the plugin
		with \`TSYNC_FAULT=PROTO:CMD:ACTION[+ACTION][:FROM]\` corrupting what it sends
		(\`tests/helpers/hostile-peer.c\`); the side it talks to runs the plugin under ASan
		and UBSan.  The decoders of peer and debugfs data are also fuzzed (\`tests/fuzz/\`).

		EOF
		echo "| test | fault | outcome observed |"
		echo "| --- | --- | --- |"
		for rows in "$TOP"/build/fault-table/*.md; do
			sed "s/^| /| $(basename "$rows" .md) | /" "$rows"
		done
	} > "$FAULT_TABLE"
	cat "$TOP/build/fault-table/$E2E_NAME.md"
}
