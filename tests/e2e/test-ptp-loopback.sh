#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Host and guest both run trace-cmd-tsync: tsync-ptp is negotiated, the
# guest file carries a TIME_SHIFT option written by tsync, and the merged
# report interleaves host and guest events in time order.  The guest's trace
# keeps a sync record per sync point and CPU, with its sample and error
# bound, and record puts the host's copy of them all into the guest file.
# x86-tsc and mono are read directly, local through trace markers.
# tsync-ptp.2 probes CPU 0 only: the guest measures its other CPUs' clocks
# against CPU 0's (cpu-spread.c).  Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns

for clock in x86-tsc mono local; do
	echo "clock $clock"
	agent_up "$TSYNC" --tsync ptp
	record "$TSYNC" --tsync ptp --tsync-verbose -- -C $clock -B $HOST_BUFFER -C $clock -e sched \
		--tsync-interval 100 -A 127.0.0.1:$AGENT_PORT -e sched sleep 1
	stop_agent

	[ $clock = local ] && check "local: time stamps from trace markers" \
		grep -q "clock local (trace markers)" "$WORK/record.log"
	check_ptp_session $clock
	samples=$(time_shift_samples $GUEST_DAT | wc -l)
	check "$clock: at least 2 samples per CPU ($samples)" \
		test "$samples" -ge $((2 * $(nproc)))
	# same kernel: the true offset is 0; this is a sanity limit, not accuracy
	check "$clock: every offset below 100 us" \
		awk '{ o = $1 < 0 ? -$1 : $1; if (o > 260000) exit 1 }' \
		<(time_shift_samples $GUEST_DAT)
	check "$clock: merged report interleaved and in order" check_merged_order 10
	check_sync_records $clock
	spread=$(grep -c "tsync-ptp: CPU 1 offset .* from CPU 0's and a gap of" "$WORK/record.log")
	probed=$(grep -c "tsync-ptp: CPU 1 offset .* probes$" "$WORK/record.log")
	# a gap the guest could not measure in time (its CPU 1 thread did not
	# run within 20 ms, on a loaded machine) makes CPU 1 probed, rarely
	check "$clock: CPU 1 from CPU 0's sample and the guest's gap ($spread), probed $probed" \
		test "$spread" -ge 2 -a $((4 * probed)) -le "$spread"
	mv "$WORK/$GUEST_DAT" "$WORK/guest-$clock.dat"
	mv "$WORK/trace.dat" "$WORK/host-$clock.dat"
	reset_tracefs
done

finish
