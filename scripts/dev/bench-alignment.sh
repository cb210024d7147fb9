#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# How well guest events land on the host's timeline, for trace-cmd's
# built-in ptp and tsync-ptp, from one run against a real Linux guest under
# QEMU (TCG; scripts/lib/guest-lib.sh).  The true offset is unknown here, so
# the measure is the host's scheduler: a guest event on vCPU n can only have
# happened while the host ran the thread "CPU n/TCG".  For each clock and
# protocol, one host+guest session of SECONDS, and:
#   syncs      the sync points that reached the guest file's TIME_SHIFT
#              option (its samples of guest CPU 0)
#   inside     the share of guest events inside a run of their vCPU thread
#   outside    how far the others are from the nearest run: median, worst
#   error      how far the offset was off: minus the shift of all guest
#              events that puts the most of them inside (to 0.1 us)
# for the whole session (part "all") and, with --parts N, for each of N
# equal slices of it (part "K/N FROM-TO s", seconds since the session's
# start): with 3, its start, middle and end.  Then the ratios built-in/tsync
# of the whole sessions (higher: tsync better).
#   --interval MS  a sync point every MS milliseconds (trace-cmd record's
#                  --tsync-interval); without it, trace-cmd's default sync
#                  points: one at the start of the trace, one at its end
#   --parts N      N slices besides the whole (default 1: the whole only)
# A long session, 10 minutes at each kind of sync points, both clocks:
#   scripts/dev/bench-alignment.sh --parts 3 600
#   scripts/dev/bench-alignment.sh --interval 1000 --parts 3 600
#
# usage: scripts/dev/bench-alignment.sh [--interval MS] [--parts N] [SECONDS [CLOCK...]]
#	(root; default 3 s, local x86-tsc)

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/session-lib.sh"
. "$(dirname "$0")/../lib/guest-lib.sh"

usage() {
	echo "bench-alignment: $*" >&2
	echo "usage: bench-alignment.sh [--interval MS] [--parts N] [SECONDS [CLOCK...]]" >&2
	exit 2
}

# number WHAT VALUE: VALUE, a positive decimal number, or a usage error
number() {
	[[ $2 =~ ^[1-9][0-9]*$ ]] || usage "$1 ${2:-(none)}: expected a positive number"
}

INTERVAL= PARTS=1
while [ $# -gt 0 ]; do
	case $1 in
	--interval)	number --interval "$2"; INTERVAL=$2; shift 2 ;;
	--parts)	number --parts "$2"; PARTS=$2; shift 2 ;;
	--)		shift; break ;;
	-*)		usage "unknown option $1" ;;
	*)		break ;;
	esac
done
DURATION=${1:-3}
number SECONDS "$DURATION"
[ $# -gt 0 ] && shift
CLOCKS=${*:-local x86-tsc}
SYNCS="trace-cmd's default sync points"
[ -n "$INTERVAL" ] && SYNCS="a sync point every $INTERVAL ms"
WORK=$(mktemp -d /tmp/tsync-bench-alignment.XXXXXX)
NETNS=tsync-balign-$$
# a hung record is one that runs this long past its SECONDS
RECORD_LIMIT=$((DURATION + RECORD_LIMIT))
trap 'guest_stop "$WORK/guest"; session_cleanup' EXIT

session_prepare bench-alignment
[ -x "$TOP/build/tools/vcpu-align" ] || die "build first: make"
guest_build || die "cannot build the guest image"
guest_boot "$WORK/guest" "$NETNS" || die "the guest did not boot"
echo "bench-alignment: Debian's $(guest_kernel_package) under QEMU TCG, $GUEST_CPUS vCPUs," \
     "booted in $GUEST_BOOT_SECONDS s; $DURATION s sessions, $SYNCS"

# session CLOCK NAME TSYNC-OPTIONS...: one session, kept as CLOCK-NAME-{host,guest}.dat
session() {
	local clock=$1 name=$2

	shift 2
	record "$TSYNC" "$@" -- -C "$clock" ${INTERVAL:+--tsync-interval "$INTERVAL"} -e sched \
		-A 127.0.0.1:$GUEST_AGENT_PORT -e sched sleep "$DURATION"
	[ "$RECORD_STATUS" = 0 ] && grep -q "Negotiated" "$WORK/record.log" ||
		die "$clock $name: record failed (status $RECORD_STATUS):" \
		    "$(tail -3 "$WORK/record.log")" "$(guest_stalled "$WORK/guest")"
	mv "$WORK/record.log" "$WORK/$clock-$name.log"
	mv "$WORK/trace.dat" "$WORK/$clock-$name-host.dat"
	mv "$WORK/$GUEST_DAT" "$WORK/$clock-$name-guest.dat"
	reset_tracefs
}

# rows CLOCK PROTOCOL NAME UNITS: the table's lines of session CLOCK-NAME,
# the whole and each part; the whole's figures in whole_{share,median,worst,error}
rows() {
	local clock=$1 protocol=$2 name=$3 syncs part k=0 n share median worst error from to

	syncs=$(time_shift_by_cpu "$clock-$name-guest.dat" | awk '$1 == 0' | wc -l)
	while read -r n share median worst error _ from to; do
		if [ $k = 0 ]; then
			part=all
			whole_share=$share whole_median=$median whole_worst=$worst whole_error=$error
		else
			part=$(printf "%d/%d %.0f-%.0f s" $k "$PARTS" "$from" "$to")
		fi
		printf "%-8s %-14s %-14s %6s %8d %8.2f%% %13.1f us %8.1f us %7.1f us\n" "$clock" \
			"$protocol" "$part" "$syncs" "$n" "$share" "$median" "$worst" "$error"
		syncs=
		k=$((k + 1))
	done <<< "$(alignment_us "$WORK/guest" "$WORK/$clock-$name-host.dat" \
		    "$WORK/$clock-$name-guest.dat" "$4" "$PARTS")"
}

printf "\n%-8s %-14s %-14s %6s %8s %9s %16s %11s %10s\n" clock protocol part syncs events \
	inside "outside median" worst error
for clock in $CLOCKS; do
	units=$(units_per_us "$clock")
	session "$clock" builtin --tsync builtin
	session "$clock" ptp --tsync ptp
	rows "$clock" "trace-cmd ptp" builtin "$units"
	sb=$whole_share mb=$whole_median wb=$whole_worst eb=$whole_error
	rows "$clock" tsync-ptp ptp "$units"
	sp=$whole_share mp=$whole_median wp=$whole_worst ep=$whole_error
	awk -v sb="$sb" -v sp="$sp" -v mb="$mb" -v mp="$mp" -v wb="$wb" -v wp="$wp" \
	    -v eb="$eb" -v ep="$ep" -v c="$clock" '
	function r(a, b) { return b > 0 ? sprintf("%.2f", a / b) : (a > 0 ? "inf (tsync 0)" : "-") }
	function abs(x) { return x < 0 ? -x : x }
	BEGIN {
		printf "%-8s ratios built-in/tsync: share outside %s, median %s, worst %s, error %s\n",
		       c, r(100 - sb, 100 - sp), r(mb, mp), r(wb, wp), r(abs(eb), abs(ep))
	}' >> "$WORK/ratios"
done
echo
cat "$WORK/ratios"
echo "(the target for tsync: 99.5% inside; files in $WORK)"
