#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# The mirror case of test-hang.sh: the host dies in the middle of a session
# (SIGKILL to trace-cmd record and its recorders) or stops answering
# (SIGSTOP, then killed).  The guest's agent is left ready: a second
# session against the same agent records, syncs with tsync-ptp and saves
# its files.  Prints how long the agent took to be ready.  Needs root and
# tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns

# doomed_record SIGNAL: a record of 30 s whose processes get SIGNAL 2 s in,
# then SIGKILL
doomed_record() {
	local pid

	(cd "$WORK" && exec setsid env LD_PRELOAD="$EPERM_SHIM" \
		nsenter --net=/var/run/netns/"$NETNS" "$TSYNC" --tsync ptp record -d --no-filter \
		-C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
		-A 127.0.0.1:$AGENT_PORT -e sched sleep 30) > "$WORK/doomed.log" 2>&1 < /dev/null &
	pid=$!
	sleep 2
	kill -"$1" $(process_tree $pid) 2> /dev/null
	sleep 1
	kill -KILL $(process_tree $pid) 2> /dev/null
	wait $pid 2> /dev/null
	rm -f "$WORK"/*.dat "$WORK"/*.cpu*
	reset_tracefs
}

# next_session LABEL: a whole session against the same agent
next_session() {
	local start flags events

	start=$(date +%s%N)
	record "$TSYNC" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
		-A 127.0.0.1:$AGENT_PORT -e sched sleep 1
	READY_MS=$((($(date +%s%N) - start) / 1000000))
	check "$1: the next session exits 0 ($RECORD_STATUS) after $READY_MS ms" \
		test "$RECORD_STATUS" = 0
	check_ptp_session "$1"
	events=$(trace-cmd report -i "$WORK/$GUEST_DAT" 2> /dev/null | grep -c ': sched_')
	check "$1: the next session's guest events ($events)" test "$events" -gt 0
	check "$1: the agent still listens" \
		bash -c "nsenter --net=/var/run/netns/$NETNS ss -ltn | grep -q ':$AGENT_PORT '"
	rm -f "$WORK"/*.dat
	reset_tracefs
}

for sig in KILL STOP; do
	echo "the host's record gets SIG$sig in the middle of its session"
	agent_up "$TSYNC" --tsync ptp
	doomed_record $sig
	next_session "host SIG$sig"
	echo "  host SIG$sig: the next session took $READY_MS ms (a session of 1 s)"
	stop_agent
done

finish
