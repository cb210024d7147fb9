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

# sync_points THREADS-FILE RUNS-FILE: the wall time, in microseconds, of
# each of the two sync points of trace-cmd's defaults (one at the start,
# one at the end): from the start of the sync thread's first run in the
# sync point to the end of its last.  trace-cmd starts its recorders once
# the first sync point is done, and its sync thread then sleeps until the
# last: the first fork of the thread that started the sync thread, after
# it, parts the two, however long either waits for its guest.  Nothing
# unless both were seen.
sync_points() {
	awk -v sync="$(sync_thread "$1" "$2")" '
	function field(name,	v) {
		v = $0; sub(".* " name "=", "", v); sub(/ .*/, "", v)
		return v
	}
	/sched_process_fork:/ {
		if (field("child_pid") == sync)
			main = field("pid")
		else if (main != "" && field("pid") == main)
			started = 1
		next
	}
	/sched_stat_runtime:/ && field("pid") == sync {
		t = $0; sub(/: sched_stat_runtime:.*/, "", t); sub(/.* /, "", t)
		end = t * 1e6; from = end - field("runtime") / 1000
		k = started ? 2 : 1
		if (!(k in first))
			first[k] = from
		last[k] = end
	}
	END {
		if ((1 in first) && (2 in first))
			printf "%.0f\n%.0f\n", last[1] - first[1], last[2] - first[2]
	}' "$2"
}

# threads_cpu THREADS-FILE RUNS-FILE: the CPU time of the sync thread and of
# the threads it started (the guest's CPU peers), in microseconds
threads_cpu() {
	thread_runs <(sync_thread "$1" "$2") "$2" | awk '{ cpu += $3 } END { printf "%.0f\n", cpu }'
}
