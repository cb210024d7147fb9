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

# One session on the kernel's tracefs at a time, machine-wide: whoever
# sources this runs under a lock that its lingering children do not hold.
# The lock lives in a directory of root's that no one else can enter: a
# lock that any user could open, any user could hold for ever.
TSYNC_RUN_DIR=/run/tsync
if [ -z "$TSYNC_TRACEFS_LOCKED" ] && [ "$(id -u)" = 0 ]; then
	mkdir -p -m 0700 "$TSYNC_RUN_DIR" && [ ! -L "$TSYNC_RUN_DIR" ] &&
	[ "$(stat -c %u "$TSYNC_RUN_DIR")" = 0 ] && chmod 0700 "$TSYNC_RUN_DIR" || {
		echo "tsync: $TSYNC_RUN_DIR: not a directory of root's only" >&2
		exit 1
	}
	exec env TSYNC_TRACEFS_LOCKED=1 flock -o "$TSYNC_RUN_DIR/tracefs.lock" bash "$0" "$@"
fi

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TSYNC=$TOP/scripts/trace-cmd-tsync
PLUGIN=$TOP/build/tsync.so
# This machine's kernel refuses the function tracer's files even to root
EPERM_SHIM=$TOP/build/tools/ftrace-eperm-shim.so
KVM_TEST_VM=$TOP/build/tools/kvm-test-vm
# AF_VSOCK over AF_UNIX sockets, for vsock sessions on this machine (test-only)
VSOCK_SHIM=$TOP/build/tests/vsock-shim.so
TRACEFS=/sys/kernel/tracing
DEBUGFS=/sys/kernel/debug
HOST_BUFFER=tsynchost
# Where the guest listens and whom it accepts; netns_pair_create() moves
# the guest to a namespace of its own across a veth pair
HOST_ADDR=127.0.0.1
GUEST_ADDR=127.0.0.1
GUEST_NETNS=
GUEST_DAT=trace-$GUEST_ADDR.dat
AGENT_PORT=8822
AGENT_PID=

# die MESSAGE: for the scripts; $SESSION_PROG names them
die() {
	echo "${SESSION_PROG:-tsync}: $*" >&2
	exit 1
}

# session_prepare PROG: root, tracefs, a build and the network namespace,
# or exit naming what is missing
session_prepare() {
	SESSION_PROG=$1
	[ "$(id -u)" = 0 ] || die "run as root: tracing needs it"
	mount_tracefs || die "no tracefs at $TRACEFS"
	[ -f "$PLUGIN" ] && [ -f "$EPERM_SHIM" ] || die "build first: make"
	netns_create || die "cannot create network namespace $NETNS"
}

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
	# a record of its own process group, if the script was stopped in it
	[ -n "$RECORD_PID" ] && kill -KILL -- -"$RECORD_PID" 2>/dev/null
	stop_agent
	ip netns del "$NETNS" 2>/dev/null
	[ -n "$GUEST_NETNS" ] && ip netns del "$GUEST_NETNS" 2>/dev/null
	reset_tracefs
}

in_netns() {
	nsenter --net=/var/run/netns/"$NETNS" "$@"
}

netns_create() {
	ip netns add "$NETNS" && ip -n "$NETNS" link set lo up
}

# The guest in a namespace of its own, linked to the host's by a veth pair
# with addresses of these two namespaces only
netns_pair_create() {
	local veth=tsv$$

	GUEST_NETNS=$NETNS-g
	HOST_ADDR=10.199.0.1
	GUEST_ADDR=10.199.0.2
	GUEST_DAT=trace-$GUEST_ADDR.dat
	ip netns add "$GUEST_NETNS" && ip -n "$GUEST_NETNS" link set lo up &&
	ip link add "${veth}h" netns "$NETNS" type veth peer name "${veth}g" netns "$GUEST_NETNS" &&
	ip -n "$NETNS" addr add $HOST_ADDR/30 dev "${veth}h" &&
	ip -n "$GUEST_NETNS" addr add $GUEST_ADDR/30 dev "${veth}g" &&
	ip -n "$NETNS" link set "${veth}h" up && ip -n "$GUEST_NETNS" link set "${veth}g" up
}

# start_agent TRACE-CMD...: a guest agent in the namespace; log in agent.log
start_agent() {
	local i

	# trace-cmd's agent sets no SO_REUSEADDR: a new port for each session
	AGENT_PORT=$((AGENT_PORT + 1))
	(cd "$WORK" && exec env LD_PRELOAD="$EPERM_SHIM" \
		nsenter --net=/var/run/netns/"${GUEST_NETNS:-$NETNS}" "$@" agent -N $HOST_ADDR \
		-p $AGENT_PORT) > "$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	for i in $(seq 100); do
		nsenter --net=/var/run/netns/"${GUEST_NETNS:-$NETNS}" ss -ltn 2>/dev/null |
			grep -q ":$AGENT_PORT " && return 0
		sleep 0.05
	done
	return 1
}

# start_vsock_agent CID TRACE-CMD...: a guest agent on vsock port
# $AGENT_PORT of CID, through build/tests/vsock-shim.so with its sockets in
# $VSOCK_DIR (the host's record uses the shim too: vsock_record); log in
# agent.log
start_vsock_agent() {
	local cid=$1 i

	shift
	AGENT_PORT=$((AGENT_PORT + 1))
	(cd "$WORK" && exec env LD_PRELOAD="$EPERM_SHIM:$VSOCK_SHIM" TSYNC_VSOCK_DIR="$VSOCK_DIR" \
		TSYNC_VSOCK_CID="$cid" "$@" agent -p $AGENT_PORT) > "$WORK/agent.log" 2>&1 &
	AGENT_PID=$!
	for i in $(seq 100); do
		[ -S "$VSOCK_DIR/$cid.$AGENT_PORT" ] && return 0
		sleep 0.05
	done
	return 1
}

# The non-main threads of a process tree: the sync threads (trace-cmd's
# recorders are processes).  Prints "tid ns" lines.
sync_threads() {
	local pid tid

	for pid in "$@" $(pgrep -P "$1" 2>/dev/null); do
		for tid in $(ls /proc/"$pid"/task 2>/dev/null); do
			[ "$tid" = "$pid" ] && continue
			read -r ns _ 2>/dev/null < /proc/"$pid"/task/"$tid"/schedstat &&
				echo "$tid $ns"
		done
	done
}

# watch PID OUT: keep the last CPU time seen of each sync thread of PID,
# every WATCH_EVERY seconds (each look forks; a bench that needs only the
# threads' ids looks less often)
WATCH_EVERY=${WATCH_EVERY:-0.01}
watch_cpu() {
	local pid=$1 out=$2

	while kill -0 "$pid" 2>/dev/null; do
		sync_threads "$pid" >> "$out"
		sleep "$WATCH_EVERY"
	done
}

# Sum over threads of their last CPU time, in microseconds
cpu_us() {
	awk '{ last[$1] = $2 } END { for (t in last) s += last[t]; printf "%.0f\n", s / 1000 }' "$1"
}

# vsock_record TRACE-CMD... -- RECORD-ARGS...: record (below) as the host,
# CID 2, of a vsock guest started by start_vsock_agent
vsock_record() {
	local cmd=()

	while [ "$1" != -- ]; do
		cmd+=("$1")
		shift
	done
	record env LD_PRELOAD="$EPERM_SHIM:$VSOCK_SHIM" TSYNC_VSOCK_DIR="$VSOCK_DIR" \
		TSYNC_VSOCK_CID=2 "${cmd[@]}" "$@"
}

# record TRACE-CMD... -- RECORD-ARGS...: the host side, in $WORK; log in
# record.log, exit status in RECORD_STATUS.  A guest that hangs (a QEMU
# guest's kernel stalled so, twice) leaves trace-cmd waiting for its data
# for ever, the host's recorders still writing: after RECORD_LIMIT seconds
# the whole process group is interrupted, then killed, with status 124.
# With RECORD_CPU=FILE, the sync threads' CPU time goes into FILE as it
# grows (watch_cpu; cpu_us sums it).
RECORD_LIMIT=${RECORD_LIMIT:-300}
record() {
	local cmd=() pid waited=0 watcher

	while [ "$1" != -- ]; do
		cmd+=("$1")
		shift
	done
	shift
	(cd "$WORK" && exec setsid env LD_PRELOAD="$EPERM_SHIM" \
		nsenter --net=/var/run/netns/"$NETNS" "${cmd[@]}" record -d --no-filter "$@") \
		> "$WORK/record.log" 2>&1 < /dev/null &
	pid=$!
	RECORD_PID=$pid
	watcher=
	if [ -n "$RECORD_CPU" ]; then
		watch_cpu $pid "$RECORD_CPU" &
		watcher=$!
	fi
	while kill -0 $pid 2>/dev/null && [ $waited -lt $((RECORD_LIMIT * 10)) ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		kill -INT -- -$pid 2>/dev/null
		sleep 5
		kill -KILL -- -$pid 2>/dev/null
		wait $pid 2>/dev/null
		echo "record: still running after $RECORD_LIMIT s: interrupted" >> "$WORK/record.log"
		RECORD_STATUS=124
	else
		wait $pid
		RECORD_STATUS=$?
	fi
	# a trace-cmd that dies leaves its recorders reading the trace buffers,
	# which steals the events of every session after it
	if kill -0 -- -$pid 2>/dev/null; then
		echo "record: trace-cmd left processes of its group running: stopped" \
			>> "$WORK/record.log"
		kill -TERM -- -$pid 2>/dev/null
		sleep 1
		kill -KILL -- -$pid 2>/dev/null
	fi
	[ -n "$watcher" ] && wait "$watcher"
	RECORD_PID=
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

# "cpu k time offset" per TIME_SHIFT sample of FILE: the k-th sample of that
# guest CPU (trace-cmd dump lists the samples CPU after CPU)
time_shift_by_cpu() {
	trace-cmd dump --options -i "$WORK/$1" 2>/dev/null |
		awk '/samples count for CPU/ { count[ncpu++] = $1 }
		     /\[offset \* scaling/ {
			sub(/\[.*/, "")
			k = i++
			for (c = 0; c < ncpu && k >= count[c]; c++)
				k -= count[c]
			print c, k, $4, $1
		     }'
}

# "cpu time offset bound" per sync record that tsync-ptp kept in the trace
# of FILE (a guest's)
sync_records() {
	local n='-?[0-9]+'

	trace-cmd report -i "$WORK/$1" 2>/dev/null |
		awk -v re="tsync-sync: proto=tsync-ptp cpu=$n ts=$n offset=$n bound=$n\$" '
		match($0, re) {
			split(substr($0, RSTART), f, /[ =]/)
			print f[5], f[7], f[9], f[11]
		}'
}

# quantiles: "median p99 max" of the numbers on stdin
quantiles() {
	sort -n | awk '{ v[++n] = $1 }
		END { if (!n) { print "0 0 0"; exit }
		      printf "%d %d %d\n", v[int((n + 1) / 2)], v[int(n * 0.99 + 0.999)], v[n] }'
}

# without_latency: trace-cmd report's lines on stdin, less the latency field
# that releases after 3.1 print between the CPU and the timestamp, glued to
# it: libtraceevent's five characters, irq flags, preempt and migrate-disable
# depth ("d..2.")
without_latency() {
	awk '{
		if (match($0, /\[[0-9]+\] [^0-9 ]/))
			$0 = substr($0, 1, RSTART + RLENGTH - 3) substr($0, RSTART + RLENGTH + 4)
		print
	}'
}

# merged_timeline [HOST GUEST]: merged report of two files in $WORK (default
# trace.dat and the guest file), "SOURCE TIMESTAMP" per event
merged_timeline() {
	trace-cmd report -i "$WORK/${1:-trace.dat}" -i "$WORK/${2:-$GUEST_DAT}" 2>/dev/null |
		without_latency | awk '/\[[0-9]+\] *[0-9.]+:/ {
			match($0, /\] *[0-9.]+:/)
			ts = substr($0, RSTART + 1, RLENGTH - 2)
			gsub(/ /, "", ts)
			print $1, ts
		}'
}

# dropped_relabeled: trace-cmd report's merged lines on stdin, where the
# file's label went to a notice "FILE: CPU:n [N EVENTS DROPPED]" and the
# event after it has none: the label given back to that event
dropped_relabeled() {
	awk '/^[^ ]+: CPU:[0-9]+ \[[0-9]+ EVENTS DROPPED\]$/ { label = substr($0, 1, index($0, ":")); next }
	     label != "" { $0 = label $0; label = "" }
	     { print }'
}

# guest_times_match AWK-EXPR: every guest event of the merged report sits at
# exactly AWK-EXPR, computed from its raw timestamp "raw" and CPU "cpu"
# (--raw-ts gives the timestamps trace-cmd read from the guest file);
# within(X) in AWK-EXPR allows one cycle either side of X.
guest_times_match() {
	local expr=$1

	trace-cmd report --raw-ts -i "$WORK/$GUEST_DAT" 2>/dev/null | without_latency \
		> "$WORK/guest-raw.txt"
	trace-cmd report -i "$WORK/trace.dat" -i "$WORK/$GUEST_DAT" 2>/dev/null | dropped_relabeled |
		grep "^$GUEST_DAT:" | without_latency > "$WORK/guest-merged.txt"
	awk '
	function within(x) { tol = 1; return x }
	function parse(line) {
		if (!match(line, /\[[0-9]+\] *[0-9]+:/))
			return 0
		f = substr(line, RSTART + 1, RLENGTH - 2)
		split(f, p, "]")
		cpu = p[1] + 0
		ts = p[2]
		gsub(/ /, "", ts)
		rest = substr(line, RSTART + RLENGTH)
		return 1
	}
	FNR == NR { if (parse($0)) { n[cpu]++; rawts[cpu, n[cpu]] = ts; rawrest[cpu, n[cpu]] = rest }; next }
	{
		if (!parse($0))
			next
		m[cpu]++
		raw = rawts[cpu, m[cpu]] + 0
		want = '"$expr"'
		checked++
		if (rest != rawrest[cpu, m[cpu]] || ts - want > tol || want - ts > tol) {
			if (bad++ < 5)
				printf "    CPU %d event %d: at %s, raw %s, want %.0f\n",
				       cpu, m[cpu], ts, rawts[cpu, m[cpu]], want
		}
	}
	END {
		for (c in n) if (n[c] != m[c]) { printf "    CPU %d: %d raw events, %d merged\n", c, n[c], m[c]; bad++ }
		printf "  %d guest events checked, %d misplaced\n", checked, bad
		exit !(checked > 0 && bad == 0)
	}' "$WORK/guest-raw.txt" "$WORK/guest-merged.txt"
}

# The host TSC now, as the x86-tsc trace clock reads it
tsc_now() {
	local inst=$TRACEFS/instances/tsync-tsc-now

	mkdir -p "$inst" && echo x86-tsc > "$inst/trace_clock" && echo now > "$inst/trace_marker" &&
		sed -n 's/.* \([0-9][0-9]*\): tracing_mark_write: now$/\1/p' "$inst/trace"
	rmdir "$inst"
}

# units_per_us CLOCK: the trace clock's units in a microsecond, measured
# for x86-tsc (cycles); the other clocks count nanoseconds
units_per_us() {
	local t0 t1 s0 s1

	[ "$1" = x86-tsc ] || { echo 1000; return; }
	t0=$(tsc_now); s0=$(date +%s%N); sleep 0.2; t1=$(tsc_now); s1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" -v x="$s0" -v y="$s1" \
		'BEGIN { printf "%.3f", (b - a) / ((y - x) / 1000) }'
}
