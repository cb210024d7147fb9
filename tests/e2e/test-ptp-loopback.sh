#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Host and guest both run trace-cmd-tsync: tsync-ptp is negotiated, the
# guest file carries a TIME_SHIFT option written by tsync, and the merged
# report interleaves host and guest events in time order.  The guest's trace
# keeps a sync record per sync point and CPU, with its sample and error
# bound, and record puts the host's copy of them all into the guest file.  x86-tsc and mono are read directly, local through trace markers.
# Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns

# check_sync_records CLOCK: the guest's sync records against its samples.
# The first sync points run before the guest's trace starts and the last
# after it stops: only theirs may be missing, none in between.
check_sync_records() {
	local clock=$1

	time_shift_by_cpu $GUEST_DAT > "$WORK/samples-$clock"
	sync_records $GUEST_DAT > "$WORK/records-$clock"
	check "$clock: sync records in the guest's trace for each CPU" \
		test "$(cut -d' ' -f1 "$WORK/records-$clock" | sort -u | wc -l)" = "$(nproc)"
	check "$clock: each record is a TIME_SHIFT sample of its CPU, once" \
		awk 'FNR == NR { sample[$1, $3, $4] = 1; next }
		     !sample[$1, $2, $3] || seen[$1, $2]++ { print "    stray:", $0; bad = 1 }
		     END { exit bad }' "$WORK/samples-$clock" "$WORK/records-$clock"
	check "$clock: a record for every sample while the guest traced" \
		awk 'FNR == NR { kept[$1, $2] = 1; n[$1]++
				 if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2
				 if (!($1 in hi) || $2 > hi[$1]) hi[$1] = $2; next }
		     $3 >= lo[$1] && $3 <= hi[$1] && !kept[$1, $3] {
			print "    no record:", $0; bad = 1
		     }
		     { total[$1]++ }
		     END { for (c in total) if (n[c] < total[c] - 4) bad = 1; exit bad }' \
		"$WORK/records-$clock" "$WORK/samples-$clock"
	# one kernel: the true offset is 0, so every proven bound must cover it
	check "$clock: every bound proven and covering the true offset 0" \
		awk '{ o = $3 < 0 ? -$3 : $3; if ($4 < 0 || o > $4) bad = 1 } END { exit bad }' \
		"$WORK/records-$clock"
	# and trace-cmd-tsync inspect reads the host's copy of them all, those of
	# the sync points before and after the guest's trace too
	"$TSYNC" inspect "$WORK/$GUEST_DAT" > "$WORK/inspect-$clock"
	check "$clock: inspect counts a proven bound for every sample, kept by record" \
		awk 'FNR == NR { n[$1]++; next }
		     /error bound: / { seen[$2 + 0] = $5 == n[$2 + 0] && $8 == n[$2 + 0] }
		     /sync records, every sync point.s, kept in the file/ { kept = 1 }
		     END { for (c in n) if (!seen[c]) bad = 1; exit bad || !kept }' \
		"$WORK/samples-$clock" "$WORK/inspect-$clock"
}

for clock in x86-tsc mono local; do
	echo "clock $clock"
	agent_up "$TSYNC" --tsync ptp
	record "$TSYNC" --tsync ptp -- -C $clock -B $HOST_BUFFER -C $clock -e sched \
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
	mv "$WORK/$GUEST_DAT" "$WORK/guest-$clock.dat"
	mv "$WORK/trace.dat" "$WORK/host-$clock.dat"
	reset_tracefs
done

finish
