#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# What a sync point costs against a guest's vCPU count, trace-cmd's
# built-in ptp beside tsync-ptp, from one run against real Linux guests
# under QEMU (TCG; scripts/lib/guest-lib.sh), one boot per count.  trace-cmd
# syncs a guest's vCPUs one after the other within each sync point, so its
# time grows with the count.  For each count, sessions of SECONDS at
# trace-cmd's default sync points (one at the start, one at the end), with
# x86-tsc, REPEAT of each taking turns after one uncounted session: no
# time sync (--tsync-interval -1), the built-in, tsync-ptp; a session that
# fails (a guest late to answer, trace-cmd's "reading client -110") is run
# once more; a count with a session that fails twice is named, not
# measured.  A tracefs instance of the bench's own sees the host's sync
# thread run (scripts/lib/runs-lib.sh).  Per count and protocol:
#   session    median wall time of a whole record
#   sync point median wall time of a sync point, all sessions' together:
#              from the start of the host sync thread's first run in it to
#              the end of its last
#   inside     the share of guest events inside a run of their vCPU thread,
#              all sessions together (scripts/dev/bench-alignment.sh's measure)
#   cpu        the CPU time of the host's sync thread per vCPU and sync
#              point (median session / 2 / vCPUs)
# then a line through each protocol's sync point times (least squares) and
# what it predicts for 64 vCPUs, labelled a prediction.  This machine has
# 2 cores: from 2 vCPUs on, TCG's vCPU threads compete with each other and
# with the sync threads; that shapes the figures too.
#
# usage: scripts/dev/bench-vcpus.sh [SECONDS [REPEAT [VCPUS...]]]
#	(root; default 2 s, 2 sessions each, 1 2 4 8 vCPUs)

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/session-lib.sh"
. "$(dirname "$0")/../lib/guest-lib.sh"
. "$(dirname "$0")/../lib/runs-lib.sh"

DURATION=${1:-2}
REPEAT=${2:-2}
[ $# -gt 2 ] && shift 2 || set --
COUNTS=${*:-1 2 4 8}
for n in $DURATION $REPEAT $COUNTS; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench-vcpus: not a positive number: $n" >&2; exit 2; }
done
CLOCK=x86-tsc
# the runs give the CPU time; the record's threads are looked at only for
# their ids, seldom, so that the looks do not compete with the guest
WATCH_EVERY=0.5
WORK=$(mktemp -d /tmp/tsync-bench-vcpus.XXXXXX)
NETNS=tsync-bvcpus-$$
trap 'guest_stop "$WORK/guest"; runs_remove; session_cleanup' EXIT

session_prepare bench-vcpus
[ -x "$TOP/build/tools/vcpu-align" ] || die "build first: make"
guest_build || die "cannot build the guest image"

# session_discard: a failed session's traces gone, tracefs as it was
session_discard() {
	rm -f "$WORK"/trace*.dat*
	reset_tracefs
}

# session COUNT NAME K TSYNC-OPTIONS...: one session's wall time in ms, on
# stdout; its sync points' wall times and its sync thread's CPU time, in
# microseconds, added to COUNT-NAME.points and COUNT-NAME.cpu
session() {
	local count=$1 name=$2 k=$3 start ms interval=()

	shift 3
	[ "$name" = none ] && interval=(--tsync-interval -1)
	: > "$WORK/threads"
	runs_start
	start=$(date +%s%N)
	RECORD_CPU=$WORK/threads record "$TSYNC" "$@" -- -C $CLOCK "${interval[@]}" -e sched \
		-A 127.0.0.1:$GUEST_AGENT_PORT -e sched sleep "$DURATION"
	ms=$((($(date +%s%N) - start) / 1000000))
	runs_stop
	if [ "$RECORD_STATUS" != 0 ] ||
	   { [ "$name" != none ] && ! grep -q "Negotiated" "$WORK/record.log"; }; then
		echo "bench-vcpus: $count vCPUs, $name: record failed (status $RECORD_STATUS):" \
		     "$(grep -v "Message: cmd=3\|Invalid argument" "$WORK/record.log" | head -2)" >&2
		mv "$WORK/record.log" "$(mktemp "$WORK/$count-$name-$k-failed.XXXXXX")"
		session_discard
		return 1
	fi
	if [ "$name" != none ]; then
		runs_save "$WORK/runs"
		points=$(sync_points "$WORK/threads" "$WORK/runs")
		if [ ! -s "$WORK/threads" ] || [ "$(grep -c . <<< "$points")" != 2 ]; then
			echo "bench-vcpus: $count vCPUs, $name: the host's sync thread was not" \
			     "seen in two sync points" >&2
			session_discard
			return 1
		fi
		echo "$points" >> "$WORK/$count-$name.points"
		threads_cpu "$WORK/threads" "$WORK/runs" >> "$WORK/$count-$name.cpu"
		mv "$WORK/runs" "$WORK/$count-$name-$k.runs"
	fi
	mv "$WORK/record.log" "$WORK/$count-$name-$k.log"
	mv "$WORK/trace.dat" "$WORK/$count-$name-$k-host.dat"
	mv "$WORK/$GUEST_DAT" "$WORK/$count-$name-$k-guest.dat"
	reset_tracefs
	echo $ms
}

# inside COUNT NAME: the share of guest events inside their vCPU threads, all sessions
inside() {
	local k checked share all=0 in=0

	for k in $(seq 1 $REPEAT); do
		read -r checked share _ <<< "$(alignment_us "$WORK/guest" \
			"$WORK/$1-$2-$k-host.dat" "$WORK/$1-$2-$k-guest.dat" "$UNITS")"
		all=$((all + checked))
		in=$(awk -v a="$in" -v c="$checked" -v s="$share" 'BEGIN { printf "%d", a + c * s / 100 }')
	done
	awk -v a="$all" -v i="$in" 'BEGIN { printf "%.2f", a ? 100 * i / a : 0 }'
}

UNITS=$(units_per_us $CLOCK)
runs_create
: > "$WORK/table"
: > "$WORK/failed"
for count in $COUNTS; do
	GUEST_CPUS=$count
	guest_boot "$WORK/guest" "$NETNS" || die "the guest of $count vCPUs did not boot"
	echo "bench-vcpus: $count vCPUs, booted in $GUEST_BOOT_SECONDS s" >&2
	# the first session after a boot meets a guest still settling: not counted
	session $count none 0 --tsync builtin > /dev/null ||
		echo "bench-vcpus: $count vCPUs: the warm-up session failed" >&2
	failed=
	for k in $(seq 1 $REPEAT); do
		for name in none builtin ptp; do
			opt=$name
			[ $name = none ] && opt=builtin
			# a session that fails (the guest late to answer) is tried once more
			session $count $name $k --tsync $opt >> "$WORK/$count-$name.ms" ||
			session $count $name $k --tsync $opt >> "$WORK/$count-$name.ms" ||
				{ failed=$name; break 2; }
		done
	done
	guest_stop "$WORK/guest"
	if [ -n "$failed" ]; then
		# the overcommitted guest, not a protocol: no count is left half measured
		echo "$count vCPUs: sessions of $failed failed twice $(guest_stalled "$WORK/guest")" \
			>> "$WORK/failed"
		continue
	fi
	read -r none _ < <(quantiles < "$WORK/$count-none.ms")
	read -r b _ < <(quantiles < "$WORK/$count-builtin.ms")
	read -r p _ < <(quantiles < "$WORK/$count-ptp.ms")
	read -r bc _ < <(quantiles < "$WORK/$count-builtin.cpu")
	read -r pc _ < <(quantiles < "$WORK/$count-ptp.cpu")
	read -r bp _ < <(quantiles < "$WORK/$count-builtin.points")
	read -r pp _ < <(quantiles < "$WORK/$count-ptp.points")
	echo "$count $none $b $p $(inside $count builtin) $(inside $count ptp) $bc $pc $bp $pp" \
		>> "$WORK/table"
done

[ -s "$WORK/table" ] || die "no vCPU count measured: $(cat "$WORK/failed")"
echo
echo "bench-vcpus: Debian's $(guest_kernel_package) under QEMU TCG, $CLOCK, $DURATION s" \
     "sessions at trace-cmd's default sync points, median of $REPEAT each"
awk '
function fit(name, col,    i, sx, sy, sxx, sxy, n, slope, icept) {
	for (i = 1; i <= rows; i++) {
		sx += c[i]; sy += v[i, col]; sxx += c[i] * c[i]; sxy += c[i] * v[i, col]; n++
	}
	slope = n > 1 && n * sxx != sx * sx ? (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0
	icept = (sy - slope * sx) / n
	printf "%-14s sync point = %.1f ms + %.2f ms per vCPU; prediction for 64 vCPUs: %.0f ms\n",
	       name, icept, slope, icept + 64 * slope
}
{
	rows++; c[rows] = $1
	v[rows, 1] = $9 / 1000; v[rows, 2] = $10 / 1000
	# CPU time of the host sync threads per vCPU and sync point, in ms
	cb = $7 / 1000 / 2 / $1; cp = $8 / 1000 / 2 / $1
	line[rows] = sprintf("%5d %9d %9d %9d %12.1f %12.1f %7.2f %8.2f%% %8.2f%% %9.2f %9.2f %7.2f",
			     $1, $2, $3, $4, v[rows, 1], v[rows, 2],
			     v[rows, 2] > 0 ? v[rows, 1] / v[rows, 2] : 0, $5, $6,
			     cb, cp, cp > 0 ? cb / cp : 0)
}
END {
	printf "%5s %9s %9s %9s %12s %12s %7s %9s %9s %9s %9s %7s\n", "vCPUs", "none ms",
	       "built-in", "tsync-ptp", "sync pt b-in", "sync pt ptp", "ratio", "in b-in", "in ptp",
	       "cpu b-in", "cpu ptp", "ratio"
	for (i = 1; i <= rows; i++)
		print line[i]
	print ""
	fit("trace-cmd ptp", 1)
	fit("tsync-ptp", 2)
}' "$WORK/table"
[ -s "$WORK/failed" ] && echo "not measured:" && cat "$WORK/failed"
echo "(session and sync point times in ms; cpu: the host sync thread's CPU time per vCPU and sync" \
     "point, in ms; ratios: built-in/tsync-ptp; files in $WORK)"
