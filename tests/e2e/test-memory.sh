#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Memory errors and undefined behaviour: the unit tests under ASan and
# UBSan and under valgrind memcheck, and real host+guest sessions (tsync-ptp
# directly and through trace markers, tsync-kvm with a real VM) with the
# plugin built with ASan and UBSan inside trace-cmd.  trace-cmd itself is
# not instrumented: leak detection is off there.  Needs root, tracefs,
# debugfs, /dev/kvm and valgrind.
. "$(dirname "$0")/lib.sh"

require_tracefs
command -v valgrind > /dev/null || skip "needs valgrind (make deps)"
PLUGIN_ASAN=$TOP/build/asan/tsync.so
[ -f "$PLUGIN_ASAN" ] && [ -x "$TOP/build/tests/unit-tests-asan" ] || skip "needs a build (make)"

check "unit tests under ASan and UBSan" \
	bash -c "'$TOP/build/tests/unit-tests-asan' > '$WORK/unit-asan.log' 2>&1"
valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	"$TOP/build/tests/unit-tests" > "$WORK/unit-valgrind.log" 2>&1
check "unit tests under valgrind: no invalid access, no leak" test $? = 0

require_netns
libasan=$(gcc -print-file-name=libasan.so)
export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:log_path=$WORK/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$WORK/ubsan"

# sanitized_session NAME TSYNC-OPTIONS... -- RECORD-ARGS...
sanitized_session() {
	local name=$1 opts=()

	shift
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	agent_up env TSYNC_PLUGIN="$PLUGIN_ASAN" LD_PRELOAD="$libasan:$EPERM_SHIM" \
		"$TSYNC" "${opts[@]}"
	record env TSYNC_PLUGIN="$PLUGIN_ASAN" LD_PRELOAD="$libasan:$EPERM_SHIM" \
		"$TSYNC" "${opts[@]}" -- "$@" -A 127.0.0.1:$AGENT_PORT -e sched_switch sleep 0.5
	stop_agent
	check "$name: negotiated under ASan" grep -q "Negotiated tsync-" "$WORK/record.log"
	check "$name: TIME_SHIFT written" test -n "$(time_shift_flags $GUEST_DAT)"
	mv "$WORK/record.log" "$WORK/$name.log"
	mv "$WORK/agent.log" "$WORK/$name-agent.log"
	rm -f "$WORK"/*.dat
	reset_tracefs
}

sanitized_session ptp-tsc --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched_switch
sanitized_session ptp-local --tsync ptp -- -C local -B $HOST_BUFFER -C local -e sched_switch
if [ -c /dev/kvm ] && mount_debugfs; then
	start_test_vm -n "$(nproc)"
	sanitized_session kvm --tsync kvm --tsync-vm "$VM_PID" -- \
		-C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched_switch
else
	fail "kvm session: needs /dev/kvm and debugfs"
fi
reports=$(ls "$WORK"/asan.* "$WORK"/ubsan.* 2>/dev/null)
[ -n "$reports" ] && head -30 $reports
check "no ASan or UBSan report from any process" test -z "$reports"
check "no sanitizer report in the sessions' output" \
	bash -c "! grep -h -E 'runtime error|ERROR: AddressSanitizer' '$WORK'/*.log"

finish
