#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# A real guest frozen in the middle of "record -A": the QEMU monitor's
# "stop" halts its vCPUs, its kernel and agent with them
# (scripts/lib/guest-lib.sh).  The record ends within --tsync-timeout of
# the traced command's end and names the guest and what it stopped doing;
# the host's trace is complete, the guest's file and the TIME_SHIFT samples
# taken before the freeze are kept and read.  After "cont" the guest's agent serves the next
# session.  Prints the time to end.  Needs root, tracefs and
# qemu-system-x86 (make deps).
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib/guest-lib.sh"

BOUND=5
CMD_SECONDS=4

require_tracefs
command -v qemu-system-x86_64 > /dev/null || skip "needs qemu-system-x86 (make deps)"
require_netns
trap 'guest_stop "$WORK/guest"; session_cleanup' EXIT

guest_build 2>&1 || { fail "guest image build"; finish; }
guest_boot "$WORK/guest" "$NETNS" || { fail "guest boot"; finish; }
echo "  guest booted in $GUEST_BOOT_SECONDS s"
GUEST_DAT=trace-127.0.0.1.dat

echo "the guest frozen by the QEMU monitor's stop while the traced command runs"
RECORD_LIMIT=120
rm -f "$WORK/cmd-start" "$WORK/cmd-end"
# the session's start takes a TCG guest a few seconds: freeze it once traced
# and once record has read the guest's metadata into its file and closed
# it: trace-cmd 3.1.6 gives up on metadata that stops for 5 s, then dies
# (host_tsync_complete: "cannot create output handle"), and its die()
# deletes the host's trace too.  The traced command waits for the freeze:
# however slow the guest's start, it freezes while the command runs, not
# in the session's teardown
rm -f "$WORK/frozen"
(for i in $(seq 600); do [ -e "$WORK/cmd-start" ] && break; sleep 0.1; done
 for i in $(seq 300); do [ -s "$WORK/$GUEST_DAT" ] && ! guest_file_open && break; sleep 0.1; done
 sleep 1.5; guest_monitor "$WORK/guest" stop; touch "$WORK/frozen") &
freezer=$!
record "$TSYNC" --tsync ptp --tsync-timeout $BOUND -- -C x86-tsc -e sched \
	--tsync-interval 250 -A 127.0.0.1:$GUEST_AGENT_PORT -e sched \
	sh -c "touch '$WORK/cmd-start'
	       for i in \$(seq 900); do [ -e '$WORK/frozen' ] && break; sleep 0.1; done
	       sleep $CMD_SECONDS; date +%s%N > '$WORK/cmd-end'"
end_rec=$(date +%s%N)
wait $freezer
cp "$WORK/record.log" "$WORK/record-frozen.log"
after_ms=$(((end_rec - $(cat "$WORK/cmd-end" 2> /dev/null || echo 0)) / 1000000))
grep "tsync: error: guest" "$WORK/record.log" | sed 's/^/    /'

check "record ended by itself (status $RECORD_STATUS)" test "$RECORD_STATUS" != 124
check "record ended $after_ms ms after the command, within the bound and 3 s" \
	test $after_ms -ge $((BOUND * 1000 - 500)) -a $after_ms -le $((BOUND * 1000 + 3000))
# QEMU's user-mode network goes on while the vCPUs stop: its sockets on the
# host acknowledge, and the message can only say the agent stopped
check "the frozen guest is named" grep -q \
	"tsync: error: guest 127.0.0.1:$GUEST_AGENT_PORT stopped answering the host's request to end its trace" \
	"$WORK/record.log"
check "host trace complete and readable" bash -c "
	trace-cmd report -i '$WORK/trace.dat' 2> /dev/null > '$WORK/host.txt' &&
	grep -q 'sched_process_exec:.*filename=/usr/bin/sleep' '$WORK/host.txt' &&
	grep -q 'sched_process_exit:.*comm=sleep' '$WORK/host.txt'"
check "guest file readable" report_reads $GUEST_DAT
flags=$(time_shift_flags $GUEST_DAT)
samples=$(time_shift_samples $GUEST_DAT | wc -l)
events=$(trace-cmd report -i "$WORK/$GUEST_DAT" 2> /dev/null | grep -c ': sched_')
check "TIME_SHIFT of tsync-ptp (flags $flags) keeps the samples before the freeze ($samples)" \
	test "$flags" = 0x82000001 -a "$samples" -ge 2
echo "  QEMU stop: ended $after_ms ms after the traced command (bound $BOUND s);" \
     "host trace complete; guest file readable, $events guest events; $samples TIME_SHIFT samples"

# trace-cmd 3.1.6's agent serves one session at a time and turns others
# away until its last one ended: the guest, continued, ends the cut session
echo "the guest continued: its agent serves the next session"
guest_monitor "$WORK/guest" cont
start=$(date +%s%N)
for try in 1 2 3 4 5 6; do
	rm -f "$WORK"/*.dat
	reset_tracefs
	record "$TSYNC" --tsync ptp -- -C x86-tsc -e sched -A 127.0.0.1:$GUEST_AGENT_PORT \
		-e sched sleep 1
	[ "$RECORD_STATUS" = 0 ] && break
	sleep 2
done
ready_ms=$((($(date +%s%N) - start) / 1000000))
check "next session exits 0 ($RECORD_STATUS), try $try, $ready_ms ms after cont" \
	test "$RECORD_STATUS" = 0
check "next session: TIME_SHIFT of tsync-ptp" test "$(time_shift_flags $GUEST_DAT)" = 0x82000001

finish
