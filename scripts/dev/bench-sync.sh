#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Cost and accuracy of the time-sync protocols, side by side from one run:
# trace-cmd's built-in ptp (with TCP_NODELAY, as tsync gives it), tsync-ptp
# and tsync-kvm (against a real KVM VM made through /dev/kvm).  trace-cmd's
# built-in kvm cannot run here: it serves only vsock guests, and this
# machine has no vsock loopback.
#
# Host and guest share one kernel, so the true offset is 0.  Each path is
# the guest on loopback with the clocks x86-tsc (read directly), mono (read
# directly) and local (trace markers), then across a veth pair with
# x86-tsc.  A mode says how the sessions run:
#   interval  one session per protocol, a sync point every INTERVAL ms
#   default   trace-cmd's default sync points (one at the start, one at the
#             end: two samples per CPU), sessions of SECONDS taking turns
#             until each protocol has 40 samples or more
#   busy      as default, with every CPU busy running a competing task that
#             the benchmark starts and stops; sessions without time sync
#             take turns too, so that what a sync point costs the busy
#             task shows
# Per path and protocol it reports:
#   wall/sample   a sync point's wall time per guest CPU.  interval: the
#                 time between two of CPU 0's samples, less the interval
#                 trace-cmd waits after each sync point; default and busy:
#                 the median, over sync points, of the time from the start
#                 of the host sync thread's first run in the sync point to
#                 the end of its last
#   CPU/sample    CPU time of the host's and the guest's sync threads over
#                 the recording, per sample.  interval: /proc schedstat,
#                 polled, of every thread but the main one (tsync's guest
#                 watcher too); default and busy: the sum of their runs and
#                 of the runs of the threads they started (the guest's CPU
#                 peers), which polling every 10 ms misses, as it misses the
#                 end of a thread that exits right after its last sync point
#   |offset|      median, p99 and max of every sample's offset: the error
#   busy task     (busy) CPU time the competing task lost per sample,
#                 against the sessions without time sync
# (default and busy see the threads run through sched_stat_runtime, in a
# tracefs instance of the bench's own), then the ratios built-in/tsync, and MET or MISSED for each of tsync-ptp's
# targets: |offset| median at most a tenth of the built-in's; worst at most
# 1 us (a fifth of the built-in's when busy); wall and CPU per sample, host
# and guest, at most a tenth of the built-in's.  It exits non-zero if one
# is missed.
#
# usage: scripts/dev/bench-sync.sh [--mode interval|default|busy] [--veth]
#                                  [SECONDS [INTERVAL-MS [CLOCK]]]   (root)
#   SECONDS per session (interval: 15, else 1); CLOCK or --veth: that one
#   path only (--veth: x86-tsc unless CLOCK)

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/session-lib.sh"
. "$(dirname "$0")/../lib/runs-lib.sh"

usage() {
	echo "usage: bench-sync.sh [--mode interval|default|busy] [--veth]" \
	     "[SECONDS [INTERVAL-MS [CLOCK]]]" >&2
	exit 2
}

MODE=interval VETH=
while [ $# -gt 0 ]; do
	case $1 in
	--mode)		MODE=$2; shift 2 ;;
	--veth)		VETH=1; shift ;;
	-*)		echo "bench-sync: unknown option $1" >&2; usage ;;
	*)		break ;;
	esac
done
case $MODE in
interval)	DURATION=${1:-15} ;;
default|busy)	DURATION=${1:-1} ;;
*)		echo "bench-sync: --mode $MODE: interval, default or busy" >&2; usage ;;
esac
INTERVAL=${2:-20}
ONLY=$3
# default and busy: sessions until each protocol has this many samples
MIN_SAMPLES=40
WORK=$(mktemp -d /tmp/tsync-bench.XXXXXX)
NETNS=tsync-bench-$$
HOGS=()
# hogs_start: a competing task on every CPU, each a shell loop
hogs_start() {
	local i

	HOGS=()
	for ((i = 0; i < $(nproc); i++)); do
		bash -c 'while :; do :; done' &
		HOGS+=($!)
	done
}

hogs_stop() {
	[ ${#HOGS[@]} -gt 0 ] && kill "${HOGS[@]}" 2>/dev/null
	wait "${HOGS[@]}" 2>/dev/null
	HOGS=()
}

trap 'hogs_stop; runs_remove; session_cleanup; exec 7>&-' EXIT

session_prepare bench-sync

# The competing tasks' CPU time so far, in microseconds
hogs_us() {
	local pid ns sum=0

	for pid in "${HOGS[@]}"; do
		read -r ns _ 2>/dev/null < /proc/"$pid"/schedstat && sum=$((sum + ns / 1000))
	done
	echo $sum
}

# session NAME TSYNC-OPTIONS...: one measured session, whose samples, sync
# threads' CPU time and (busy) competing tasks' CPU time add to NAME's
SESSIONS=0
session() {
	local name=$1 rec hogs points interval=()

	shift
	SESSIONS=$((SESSIONS + 1))
	[ $MODE = interval ] && interval=(--tsync-interval "$INTERVAL")
	[ $name = none ] && interval=(--tsync-interval -1)
	: > "$WORK/$name.host-cpu"
	: > "$WORK/$name.guest-cpu"
	start_agent "$TSYNC" "$@" || die "agent: $(cat "$WORK/agent.log")"
	watch_cpu "$AGENT_PID" "$WORK/$name.guest-cpu" &
	watcher=$!
	[ -n "$RUNS" ] && runs_start
	hogs=$(hogs_us) started=$(date +%s%N)
	(cd "$WORK" && exec env LD_PRELOAD="$EPERM_SHIM" nsenter --net=/var/run/netns/"$NETNS" \
		"$TSYNC" "$@" record -d --no-filter -C "$CLOCK" -B $HOST_BUFFER -C "$CLOCK" \
		"${interval[@]}" -e sched_switch -A $GUEST_ADDR:$AGENT_PORT \
		-e sched_switch sleep "$DURATION") > "$WORK/$name.log" 2>&1 &
	rec=$!
	watch_cpu "$rec" "$WORK/$name.host-cpu"
	wait "$rec"
	hogs="$(($(hogs_us) - hogs)) $((($(date +%s%N) - started) / 1000))"
	stop_agent
	wait "$watcher"
	[ -n "$RUNS" ] && runs_save "$WORK/$name-$SESSIONS.runs"
	[ $name = none ] || grep -q "Negotiated" "$WORK/$name.log" ||
		die "$name: no protocol negotiated: $(tail -3 "$WORK/$name.log")"
	# "cpu k time |offset|" per sample, k counted across the sessions
	[ $name = none ] || time_shift_by_cpu "$GUEST_DAT" |
		awk -v s=$SESSIONS '{ print $1, s * 100000 + $2, $3, ($4 < 0 ? -$4 : $4) }' \
		> "$WORK/$name-$SESSIONS.samples"
	if [ $name != none ] && [ ! -s "$WORK/$name-$SESSIONS.samples" ]; then
		# trace-cmd's ptp now and then negotiates and then writes no sample
		echo "bench-sync: $name: session $SESSIONS wrote no time sync sample:" \
		     "it does not count" >&2
		mv "$WORK/$GUEST_DAT" "$WORK/$name-$SESSIONS-failed-guest.dat"
		rm -f "$WORK/trace.dat"
		reset_tracefs
		return 1
	fi
	echo "$hogs" >> "$WORK/$name.hogs"
	if [ -n "$RUNS" ] && [ $name != none ]; then
		points=$(sync_points "$WORK/$name.host-cpu" "$WORK/$name-$SESSIONS.runs")
		[ -n "$points" ] || die "$name: the host's sync thread was not seen in two sync points"
		echo "$points" >> "$WORK/$name.points"
	fi
	if [ -n "$RUNS" ]; then
		threads_cpu "$WORK/$name.host-cpu" "$WORK/$name-$SESSIONS.runs" \
			>> "$WORK/$name.host-us"
		threads_cpu "$WORK/$name.guest-cpu" "$WORK/$name-$SESSIONS.runs" \
			>> "$WORK/$name.guest-us"
	else
		cpu_us "$WORK/$name.host-cpu" >> "$WORK/$name.host-us"
		cpu_us "$WORK/$name.guest-cpu" >> "$WORK/$name.guest-us"
	fi
	[ $name = none ] || cat "$WORK/$name-$SESSIONS.samples" >> "$WORK/$name.samples"
	mv "$WORK/$GUEST_DAT" "$WORK/$name-$SESSIONS-guest.dat"
	rm -f "$WORK/trace.dat"
	reset_tracefs
}

# session_counted NAME TSYNC-OPTIONS...: a session of NAME that counts, in at
# most three tries
session_counted() {
	local try

	for try in 1 2 3; do
		session "$@" && return
	done
	die "$1: three sessions in a row wrote no time sync sample"
}

# sessions NAME...: the sessions of one path, taking turns in default and
# busy modes until each protocol has MIN_SAMPLES
sessions() {
	local name n

	for name in "$@"; do
		: > "$WORK/$name.samples"
		rm -f "$WORK/$name".{host-us,guest-us,hogs,points}
	done
	while :; do
		for name in "$@"; do
			session_counted $name --tsync "$([ $name = ptp ] && echo ptp || echo builtin)"
		done
		[ $MODE = interval ] && break
		n=$(wc -l < "$WORK/ptp.samples")
		[ "$n" -ge $MIN_SAMPLES ] && [ "$(wc -l < "$WORK/builtin.samples")" -ge $MIN_SAMPLES ] &&
			break
	done
}

# sum FILE: of its numbers
sum() {
	awk '{ s += $1 } END { printf "%.0f", s }' "$1"
}

# median FILE COLUMN: of that column's numbers
median() {
	awk -v c="$2" '{ print $c }' "$1" | quantiles | cut -d' ' -f1
}

# sync_point_wall NAME: a sync point's wall time per guest CPU, in clock
# units.  trace-cmd waits INTERVAL after each sync point, so with an
# interval the rest of the time between two of CPU 0's samples is the sync
# point's; at the default sync points, the median of the sync points'
# wall times (sync_points).
sync_point_wall() {
	local cpus

	cpus=$(awk '{ print $1 }' "$WORK/$1.samples" | sort -u | wc -l)
	if [ $MODE = interval ]; then
		awk -v iv="$INTERVAL" -v us="$cycles_per_us" -v cpus="$cpus" '
			$1 == 0 { if (!n++ || $3 < lo) lo = $3; if ($3 > hi) hi = $3 }
			END { w = n > 1 ? (hi - lo) / (n - 1) - iv * 1000 * us : 0
			      printf "%d\n", (w > 0 ? w : 0) / cpus }' "$WORK/$1.samples"
	else
		awk -v w="$(median "$WORK/$1.points" 1)" -v us="$cycles_per_us" -v cpus="$cpus" \
			'BEGIN { printf "%d\n", w * us / cpus }'
	fi
}

# figures NAME: "samples wall host_us guest_us median p99 max hog_us", the
# last three per sample (hog_us: the competing tasks' CPU lost, against
# the sessions without time sync)
figures() {
	local name=$1 n wall hog=0

	n=$(wc -l < "$WORK/$name.samples")
	wall=$(sync_point_wall "$name")
	# "task_us wall_us" per session: the task's CPU rate without time sync,
	# and what it lost in the sessions of NAME
	[ $MODE = busy ] && hog=$(awk -v n="$n" 'FNR == NR { task += $1; wall += $2; next }
		{ lost += $2 * task / wall - $1 } END { printf "%.1f", lost / n }' \
		"$WORK/none.hogs" "$WORK/$name.hogs")
	echo "$n $wall" \
	     "$(awk -v c="$(sum "$WORK/$name.host-us")" -v n="$n" 'BEGIN { printf "%.1f", c / n }')" \
	     "$(awk -v c="$(sum "$WORK/$name.guest-us")" -v n="$n" 'BEGIN { printf "%.1f", c / n }')" \
	     "$(awk '{ print $4 }' "$WORK/$name.samples" | quantiles)" "$hog"
}

# bench PATH-NAME CLOCK: every protocol on one path; F_<name> keep figures
bench() {
	local path=$1 name n wall host guest med p99 max hog label tag

	CLOCK=$2
	echo
	echo "== $path, clock $CLOCK"
	cycles_per_us=$(units_per_us "$CLOCK")
	[ $MODE = busy ] && hogs_start
	if [ $MODE = busy ]; then
		sessions none builtin ptp
	else
		sessions builtin ptp
	fi
	names="builtin ptp"
	if [ $MODE = interval ] && [ "$CLOCK" = x86-tsc ] && [ -z "$GUEST_NETNS" ] &&
	   [ -c /dev/kvm ] && [ -x "$KVM_TEST_VM" ] && mount_debugfs; then
		kvm_session
		names="$names kvm"
	fi
	hogs_stop

	printf "%-15s %8s %12s %14s %15s %10s %10s %10s%s\n" protocol samples "wall/sample" \
		"host CPU/smp" "guest CPU/smp" "|off| med" p99 max \
		"$([ $MODE = busy ] && printf " %14s" "busy task/smp")"
	for name in $names; do
		read -r n wall host guest med p99 max hog <<< "$(figures $name)"
		eval "F_$name=\"$n $wall $host $guest $med $p99 $max $hog\""
		label=tsync-$name
		[ $name = builtin ] && label="trace-cmd ptp"
		printf "%-15s %8d %9.1f us %11.1f us %12.1f us %10d %10d %10d%s\n" "$label" "$n" \
			"$(awk -v w="$wall" -v c="$cycles_per_us" 'BEGIN { print w / c }')" \
			"$host" "$guest" "$med" "$p99" "$max" \
			"$([ $MODE = busy ] && printf " %11.1f us" "$hog")"
	done
	echo "(offsets in $CLOCK units, $cycles_per_us a microsecond; the true offset is 0:" \
	     "host and guest share one kernel)"
	echo "ratios, trace-cmd ptp / tsync (higher: tsync better)"
	for name in $names; do
		[ $name = builtin ] || ratios $name
	done
	verdict "$path, $CLOCK"
	tag=$CLOCK${GUEST_NETNS:+-veth}
	mkdir -p "$WORK/$tag" && mv "$WORK"/{builtin,ptp,kvm,none}[.-]* "$WORK/$tag" 2>/dev/null
}

# kvm_session: tsync-kvm against a real KVM VM with this machine's CPUs
kvm_session() {
	local vm_pid

	rm -f "$WORK/vm.in" "$WORK"/kvm.{host-us,guest-us,hogs}
	: > "$WORK/kvm.samples"
	mkfifo "$WORK/vm.in"
	"$KVM_TEST_VM" -n "$(nproc)" < "$WORK/vm.in" > "$WORK/vm.out" &
	exec 7> "$WORK/vm.in"
	sleep 0.2
	vm_pid=$(sed -n 's/.* pid=\([0-9]*\).*/\1/p' "$WORK/vm.out")
	session kvm --tsync kvm --tsync-vm "$vm_pid" || die "tsync-kvm wrote no time sync sample"
	exec 7>&-
}

# ratios NAME: built-in / NAME, for each figure
ratios() {
	local name=$1 wb hb gb mb pb xb w h g m p x

	read -r _ wb hb gb mb pb xb _ <<< "$F_builtin"
	read -r _ w h g m p x _ <<< "$(eval echo \$F_$name)"
	awk -v n="tsync-$name" -v wb="$wb" -v hb="$hb" -v gb="$gb" -v mb="$mb" -v pb="$pb" \
	    -v xb="$xb" -v w="$w" -v h="$h" -v g="$g" -v m="$m" -v p="$p" -v x="$x" '
	function r(a, b) { return b > 0 ? sprintf("%.1f", a / b) : (a > 0 ? "inf (tsync 0)" : "-") }
	BEGIN {
		printf "  %-10s wall/sample %s, host CPU %s, guest CPU %s, |offset| median %s, " \
		       "p99 %s, max %s\n", n, r(wb, w), r(hb, h), r(gb, g), r(mb, m), r(pb, p), r(xb, x)
	}'
}

# verdict PATH: tsync-ptp against its targets, MET or MISSED each; SUMMARY
# collects the lines
verdict() {
	local line

	line=$(awk -v path="$1" -v b="$F_builtin" -v t="$F_ptp" -v busy=$([ $MODE = busy ] && echo 1) \
		   -v us="$cycles_per_us" 'BEGIN {
		split(b, B); split(t, T)
		ok_med = T[5] * 10 <= B[5]
		ok_max = busy ? T[7] * 5 <= B[7] : T[7] <= us
		ok_wall = T[2] * 10 <= B[2]
		ok_host = T[3] * 10 <= B[3]; ok_guest = T[4] * 10 <= B[4]
		printf "%-30s median %s, worst %s, wall %s, host CPU %s, guest CPU %s", path,
		       ok_med ? "MET" : "MISSED", ok_max ? "MET" : "MISSED",
		       ok_wall ? "MET" : "MISSED", ok_host ? "MET" : "MISSED",
		       ok_guest ? "MET" : "MISSED"
		exit !(ok_med && ok_max && ok_wall && ok_host && ok_guest)
	}') || MISSED=1
	echo "targets: $line"
	SUMMARY="$SUMMARY$line"$'\n'
}

case $MODE in
interval)	how="a sync point every $INTERVAL ms" ;;
default)	how="trace-cmd's default sync points, $MIN_SAMPLES samples or more each" ;;
busy)		how="trace-cmd's default sync points, every CPU busy, $MIN_SAMPLES samples or more each" ;;
esac
echo "bench-sync --mode $MODE: $DURATION s sessions, $how, $(nproc) CPUs," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"

MISSED=
SUMMARY=
[ $MODE = interval ] || runs_create
if [ -z "$VETH" ]; then
	for clock in ${ONLY:-x86-tsc mono local}; do
		bench "guest on loopback" $clock
	done
fi
if [ -n "$VETH" ] || [ -z "$ONLY" ]; then
	netns_pair_create || die "cannot link two network namespaces"
	bench "guest across veth" ${ONLY:-x86-tsc}
fi

echo
echo "tsync-ptp targets, --mode $MODE (|offset| median <= 1/10 of trace-cmd ptp's; worst" \
     "$([ $MODE = busy ] && echo "<= 1/5 of its" || echo "<= 1 us");" \
     "wall and CPU per sample, host and guest, <= 1/10):"
printf "%s" "$SUMMARY"
echo "files: $WORK"
[ -z "$MISSED" ]
