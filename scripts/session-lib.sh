# SPDX-License-Identifier: LGPL-2.1
#
# A host and a guest tracing session on this one machine, for the demo,
# the benchmarks and the end-to-end tests.  Source it, set WORK (a
# directory) and NETNS (a name), then:
#
#	netns_create; start_agent TRACE-CMD...; record TRACE-CMD... -- ARGS...
#
# The guest is "trace-cmd agent" and the host "trace-cmd record -A
# 127.0.0.1:PORT", inside a network namespace of their own, so that ports
# never clash and no traffic leaves the machine.  Host and guest share one
# kernel: the true offset is 0, and the agent records the top instance, so
# the host's own events go to the -B buffer $HOST_BUFFER.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TSYNC=$TOP/scripts/trace-cmd-tsync
PLUGIN=$TOP/build/tsync.so
# This machine's kernel refuses the function tracer's files even to root
EPERM_SHIM=$TOP/build/tests/ftrace-eperm-shim.so
KVM_TEST_VM=$TOP/build/tests/kvm-test-vm
TRACEFS=/sys/kernel/tracing
DEBUGFS=/sys/kernel/debug
HOST_BUFFER=tsynchost
GUEST_DAT=trace-127.0.0.1.dat
AGENT_PORT=8822
AGENT_PID=

mount_tracefs() {
	[ -f $TRACEFS/trace_clock ] || mount -t tracefs nodev $TRACEFS 2>/dev/null
	[ -f $TRACEFS/trace_clock ]
}

mount_debugfs() {
	[ -d $DEBUGFS/kvm ] || mount -t debugfs nodev $DEBUGFS 2>/dev/null
	[ -d $DEBUGFS/kvm ]
}

# Leave tracefs as we found it: trace-cmd 3.1.6 leaks its instances
reset_tracefs() {
	local dir

	for dir in $TRACEFS/instances/clock_synch-* $TRACEFS/instances/$HOST_BUFFER \
		   $TRACEFS/instances/tsync-*; do
		[ -d "$dir" ] && rmdir "$dir" 2>/dev/null
	done
	echo 0 > $TRACEFS/events/enable 2>/dev/null
	echo 1 > $TRACEFS/tracing_on 2>/dev/null
}

stop_agent() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}

session_cleanup() {
	stop_agent
	ip netns del "$NETNS" 2>/dev/null
	reset_tracefs
}

in_netns() {
	nsenter --net=/var/run/netns/"$NETNS" "$@"
}

netns_create() {
	ip netns add "$NETNS" && ip -n "$NETNS" link set lo up
}

# start_agent TRACE-CMD...: a guest agent in the namespace; log in agent.log
start_agent() {
	local i

	# trace-cmd's agent sets no SO_REUSEADDR: a new port for each session
	AGENT_PORT=$((AGENT_PORT + 1))
	(cd "$WORK" && exec env LD_PRELOAD="$EPERM_SHIM" \
		nsenter --net=/var/run/netns/"$NETNS" "$@" agent -N 127.0.0.1 -p $AGENT_PORT) \
		> "$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	for i in $(seq 100); do
		in_netns ss -ltn 2>/dev/null | grep -q ":$AGENT_PORT " && return 0
		sleep 0.05
	done
	return 1
}

# record TRACE-CMD... -- RECORD-ARGS...: the host side, in $WORK; log in
# record.log, exit status in RECORD_STATUS
record() {
	local cmd=()

	while [ "$1" != -- ]; do
		cmd+=("$1")
		shift
	done
	shift
	(cd "$WORK" && env LD_PRELOAD="$EPERM_SHIM" nsenter --net=/var/run/netns/"$NETNS" \
		"${cmd[@]}" record -d --no-filter "$@") > "$WORK/record.log" 2>&1
	RECORD_STATUS=$?
}

# The TIME_SHIFT option's flags word of FILE, as trace-cmd dump prints it
time_shift_flags() {
	trace-cmd dump --options -i "$WORK/$1" 2>/dev/null |
		sed -n 's/^\(0x[0-9A-Fa-f]*\) \[peer.s protocol flags\]/\1/p'
}

# "offset scaling frac time" lines of FILE's TIME_SHIFT option
time_shift_samples() {
	trace-cmd dump --options -i "$WORK/$1" 2>/dev/null |
		sed -n 's/^\t\(-\?[0-9]* [0-9]* [0-9]* [0-9]*\)\[offset.*/\1/p'
}

# Merged report of trace.dat and the guest file: "SOURCE TIMESTAMP" per event
merged_timeline() {
	trace-cmd report -i "$WORK/trace.dat" -i "$WORK/$GUEST_DAT" 2>/dev/null |
		awk '/\[[0-9]+\] *[0-9.]+:/ {
			match($0, /\] *[0-9.]+:/)
			ts = substr($0, RSTART + 1, RLENGTH - 2)
			gsub(/ /, "", ts)
			print $1, ts
		}'
}
