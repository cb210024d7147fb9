#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# How well guest events land on the host's timeline, for trace-cmd's
# built-in ptp and tsync-ptp, from one run against a real Linux guest under
# QEMU (TCG; scripts/lib/guest-lib.sh).  The true offset is unknown here, so
# the measure is the host's scheduler: a guest event on vCPU n can only have
# happened while the host ran the thread "CPU n/TCG".  For each clock and
# protocol, one host+guest session of SECONDS, and:
#   inside     the share of guest events inside a run of their vCPU thread
#   outside    how far the others are from the nearest run: median, worst
#   error      how far the offset was off: minus the shift of all guest
#              events that puts the most of them inside (to 0.1 us)
# and the ratios built-in/tsync (higher: tsync better).
#
# usage: scripts/dev/bench-alignment.sh [SECONDS [CLOCK...]]   (root; default 3 local x86-tsc)

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/session-lib.sh"
. "$(dirname "$0")/../lib/guest-lib.sh"

DURATION=${1:-3}
[ $# -gt 0 ] && shift
CLOCKS=${*:-local x86-tsc}
WORK=$(mktemp -d /tmp/tsync-bench-alignment.XXXXXX)
NETNS=tsync-balign-$$
trap 'guest_stop "$WORK/guest"; session_cleanup' EXIT

session_prepare bench-alignment
[ -x "$TOP/build/tools/vcpu-align" ] || die "build first: make"
guest_build || die "cannot build the guest image"
guest_boot "$WORK/guest" "$NETNS" || die "the guest did not boot"
echo "bench-alignment: Debian's $(guest_kernel_package) under QEMU TCG, $GUEST_CPUS vCPUs," \
     "booted in $GUEST_BOOT_SECONDS s; $DURATION s sessions"

# session CLOCK NAME TSYNC-OPTIONS...: one session, kept as CLOCK-NAME-{host,guest}.dat
session() {
	local clock=$1 name=$2

	shift 2
	record "$TSYNC" "$@" -- -C "$clock" -e sched -A 127.0.0.1:$GUEST_AGENT_PORT -e sched \
		sleep "$DURATION"
	[ "$RECORD_STATUS" = 0 ] && grep -q "Negotiated" "$WORK/record.log" ||
		die "$clock $name: record failed (status $RECORD_STATUS):" \
		    "$(tail -3 "$WORK/record.log")" "$(guest_stalled "$WORK/guest")"
	mv "$WORK/record.log" "$WORK/$clock-$name.log"
	mv "$WORK/trace.dat" "$WORK/$clock-$name-host.dat"
	mv "$WORK/$GUEST_DAT" "$WORK/$clock-$name-guest.dat"
	reset_tracefs
}

printf "\n%-8s %-14s %8s %9s %16s %14s %10s\n" clock protocol events inside "outside median" \
	worst error
for clock in $CLOCKS; do
	units=$(units_per_us "$clock")
	session "$clock" builtin --tsync builtin
	session "$clock" ptp --tsync ptp
	read -r nb sb mb wb eb _ <<< "$(alignment_us "$WORK/guest" "$WORK/$clock-builtin-host.dat" \
				      "$WORK/$clock-builtin-guest.dat" "$units")"
	read -r np sp mp wp ep _ <<< "$(alignment_us "$WORK/guest" "$WORK/$clock-ptp-host.dat" \
				      "$WORK/$clock-ptp-guest.dat" "$units")"
	printf "%-8s %-14s %8d %8.2f%% %13.1f us %11.1f us %7.1f us\n" "$clock" "trace-cmd ptp" \
		"$nb" "$sb" "$mb" "$wb" "$eb"
	printf "%-8s %-14s %8d %8.2f%% %13.1f us %11.1f us %7.1f us\n" "$clock" tsync-ptp \
		"$np" "$sp" "$mp" "$wp" "$ep"
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
