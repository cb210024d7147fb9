# SPDX-License-Identifier: LGPL-2.1
#
# What trace-cmd's threads ran during a session, as a tracefs instance of
# the benchmark's own sees it (sched_stat_runtime and sched_process_fork of
# "trace-cmd" tasks, on the mono clock that all CPUs share): the sync
# points' wall time and the sync threads' CPU time, measured alike for
# every protocol and without touching trace-cmd.  Sourced after
# session-lib.sh (TRACEFS, die).

RUNS=

# runs_create: the instance, not yet tracing
runs_create() {
	local sched

	RUNS=$TRACEFS/instances/bench-runs-$$
	mkdir "$RUNS" || { RUNS=; die "cannot make a tracefs instance"; }
	sched=$RUNS/events/sched
	echo mono > "$RUNS/trace_clock" &&
		echo 4096 > "$RUNS/buffer_size_kb" &&
		echo 'comm == "trace-cmd"' > "$sched/sched_stat_runtime/filter" &&
		echo 'parent_comm == "trace-cmd"' > "$sched/sched_process_fork/filter" &&
		echo 1 > "$sched/sched_stat_runtime/enable" &&
		echo 1 > "$sched/sched_process_fork/enable" &&
		echo 0 > "$RUNS/tracing_on" || die "cannot trace sched_stat_runtime"
}

runs_remove() {
	[ -n "$RUNS" ] || return
	echo 0 > "$RUNS/tracing_on"
	rmdir "$RUNS" || echo "$(basename "$0"): tracefs instance $RUNS left behind" >&2
	RUNS=
}

# runs_start: an empty buffer, tracing
runs_start() {
	: > "$RUNS/trace"
	echo 1 > "$RUNS/tracing_on"
}

runs_stop() {
	echo 0 > "$RUNS/tracing_on"
}

# runs_save FILE: what the instance saw since runs_start, unless it lost some
runs_save() {
	runs_stop
	grep -q '^# entries-in-buffer/entries-written: \([0-9]*\)/\1 ' "$RUNS/trace" ||
		die "the runs of trace-cmd's threads did not fit the trace buffer"
	cp "$RUNS/trace" "$1"
}

# thread_runs THREADS-FILE RUNS-FILE: "end-us tid runtime-us" for each run
# of a thread that THREADS-FILE names (first column), or that one of those
# started (the guest's CPU peers)
thread_runs() {
	awk 'FNR == NR { tid[$1] = 1; next }
	function field(name,	v) {
		v = $0; sub(".* " name "=", "", v); sub(/ .*/, "", v)
		return v
	}
	/sched_process_fork:/ { if (field("pid") in tid) tid[field("child_pid")] = 1; next }
	/sched_stat_runtime:/ {
		if (!(field("pid") in tid))
			next
		t = $0; sub(/: sched_stat_runtime:.*/, "", t); sub(/.* /, "", t)
		printf "%.3f %s %.3f\n", t * 1e6, field("pid"), field("runtime") / 1000
	}' "$1" "$2"
}

# sync_thread THREADS-FILE RUNS-FILE: the sync thread's id.  Of the threads
# that THREADS-FILE names (and those they started), it runs longest; the
# others are no sync's: on the host, tsync's guest watcher, which both
# protocols' sessions run (it looks at the guests' connections every
# 250 ms, some 100 us of CPU each time).
sync_thread() {
	thread_runs "$1" "$2" | awk '{ cpu[$2] += $3 }
	END {
		for (id in cpu)
			if (cpu[id] > most) { most = cpu[id]; sync = id }
		print sync
	}'
}

# sync_points THREADS-FILE RUNS-FILE MIN-PAUSE-US: the wall time, in
# microseconds, of each of the two sync points of trace-cmd's defaults (one
# at the start, one at the end): from the start of the sync thread's first
# run in the sync point to the end of its last, the two apart at its
# longest pause (the session's run, however long one sync point waits for
# its guest).  Nothing when that pause is shorter than MIN-PAUSE-US: then
# it is no session's run, and the sync points are not known.
sync_points() {
	thread_runs "$1" "$2" | awk -v sync="$(sync_thread "$1" "$2")" -v min="$3" '
	$2 == sync { n++; end[n] = $1; from[n] = $1 - $3 }
	END {
		for (k = 2; k <= n; k++)
			if (from[k] - end[k - 1] > pause) { pause = from[k] - end[k - 1]; cut = k - 1 }
		if (pause < min)
			exit
		printf "%.0f\n%.0f\n", end[cut] - from[1], end[n] - from[cut + 1]
	}'
}

# threads_cpu THREADS-FILE RUNS-FILE: the CPU time of the sync thread and of
# the threads it started (the guest's CPU peers), in microseconds
threads_cpu() {
	thread_runs <(sync_thread "$1" "$2") "$2" | awk '{ cpu += $3 } END { printf "%.0f\n", cpu }'
}
