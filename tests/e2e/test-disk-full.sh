#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# The disk fills up while trace-cmd writes the guest's file: the guest file
# lives on a small tmpfs (through a symbolic link), shrunk to what it holds
# once the guest's metadata is in.  trace-cmd 3.1.6 writes the guests' files
# before the host's and dies at the first error, so the host's trace would
# be lost; trace-cmd-tsync rebuilds it from the per-CPU files trace-cmd left
# and names what is left of the guest's.  Adds its row to the fault table.
# Also: SIGINT to the launcher still stops record -A cleanly.  Needs root
# and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns
fault_rows_begin

SMALL=$WORK/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=64m tsync-disk-full "$SMALL" || skip "cannot mount a tmpfs"
trap 'umount "$SMALL" 2> /dev/null; session_cleanup' EXIT
ln -s small/guest.dat "$WORK/$GUEST_DAT"

# Once the guest's metadata is in, the tmpfs keeps no room for its data.
# trace-cmd receives the metadata from the agent while it sets the session
# up, and the agent sends it as it reads it: a size that stays the same for
# a while under load is no sign of its end (a tmpfs full that early made
# trace-cmd die before its recorders were told to stop, their files empty).
# The traced command starts after the last guest's metadata is in.
fill_disk() {
	local i size used

	for i in $(seq 200); do
		[ -e "$WORK/started" ] && break
		sleep 0.1
	done
	size=$(stat -c %s "$SMALL/guest.dat" 2> /dev/null || echo -1)
	used=$(df --output=used -k "$SMALL" | tail -n 1)
	mount -o remount,size=$((used))k "$SMALL"
	echo "  guest file: $size bytes of metadata, tmpfs $((used)) KiB and full"
}

echo "the guest file's file system fills up"
agent_up "$TSYNC" --tsync ptp
fill_disk &
filler=$!
record "$TSYNC" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
	-A 127.0.0.1:$AGENT_PORT -e sched sh -c "touch '$WORK/started'; sleep 2"
wait $filler
stop_agent
log=$WORK/record.log
host=trace-$HOST_BUFFER.dat

check "record fails (status $RECORD_STATUS), as trace-cmd 3.1.6 does" \
	test "$RECORD_STATUS" -ne 0 -a "$RECORD_STATUS" -lt 128
check "trace-cmd names the write that failed" grep -q "failed to write CPU data" "$log"
check "the full file system is named" \
	grep -q "trace-cmd-tsync: ./$GUEST_DAT is incomplete (no space left on the file system of" \
	"$log"
check "the host's trace is rebuilt" \
	grep -q "trace-cmd-tsync: the host's trace was rebuilt into ./$host" "$log"
# complete: the traced command's start and its end are in it
check "the host's trace is readable, from the command's start to its end" \
	bash -c "trace-cmd report -i '$WORK/$host' 2> /dev/null |
		 grep -q 'sched_process_exec:.*filename=/usr/bin/sleep' &&
		 trace-cmd report -i '$WORK/$host' 2> /dev/null | grep -q 'sched_process_exit:.*comm=sleep'"
check "the host's per-CPU files are gone" test -z "$(ls "$WORK"/trace.dat.* 2> /dev/null)"
guest_left=$(cat "$WORK/$GUEST_DAT".cpu* 2> /dev/null | wc -c)
check "the guest's data is kept in its per-CPU files ($guest_left bytes)" test "$guest_left" -gt 0
check "the guest's per-CPU files are named" \
	grep -q "the guest's data stays in ./$GUEST_DAT.cpu0" "$log"
check "nothing crashed" bash -c "! grep -q -E 'Segmentation fault|core dumped|Aborted' '$log'"

events=$(trace-cmd report -i "$WORK/$host" 2> /dev/null | grep -c ': sched_')
died=$(grep -m 1 -B 1 'failed to write CPU data' "$log" | tr -s '\n ' '  ' | sed 's/ $//')
outcome="trace-cmd 3.1.6 dies before it writes the host's file: \"$died\", status $RECORD_STATUS;"
outcome+=" the launcher says \"$(grep -m 1 'is incomplete' "$log")\" and rebuilds"
outcome+=" the host's trace from its per-CPU files ($events events, readable);"
outcome+=" $guest_left bytes of guest data kept in its per-CPU files"
fault_row "the guest file's file system fills up while trace-cmd writes it" "$outcome"
umount "$SMALL"
rm -f "$WORK"/*.dat "$WORK"/*.dat.cpu*

# descendants PID: the processes below PID
descendants() {
	local child

	for child in $(pgrep -P "$1"); do
		echo "$child"
		descendants "$child"
	done
}

# The launcher now waits for record -A: stopping it must still stop trace-cmd
echo "SIGINT to the launcher of record -A, with room on the disk"
agent_up "$TSYNC" --tsync ptp
(
	record "$TSYNC" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
		-A 127.0.0.1:$AGENT_PORT -e sched
	echo $RECORD_STATUS > "$WORK/status"
) &
recorder=$!
# once trace-cmd records (it handles SIGINT from then on)
for i in $(seq 100); do
	launcher=$(pgrep -f "trace-cmd-tsync --tsync ptp record .*:$AGENT_PORT ")
	[ -n "$launcher" ] && grep -q "Hit Ctrl^C to stop recording" "$WORK/record.log" && break
	sleep 0.1
done
[ -n "$launcher" ] && kill -INT $launcher
for i in $(seq 150); do
	kill -0 $recorder 2> /dev/null || break
	sleep 0.1
done
check "SIGINT: record ends within 15 s" bash -c "! kill -0 $recorder 2> /dev/null"
# one that did not must not go on tracing: SIGINT to each of its processes
kill -0 $recorder 2> /dev/null && kill -INT $(descendants $recorder) 2> /dev/null
wait $recorder
stop_agent
check "SIGINT: record exits 0 ($(cat "$WORK/status"))" test "$(cat "$WORK/status")" = 0
# but that the guest on loopback is no VM whose vCPU threads it could name
check "SIGINT: the launcher has nothing to say but of vCPU threads" \
	bash -c "! grep trace-cmd-tsync '$WORK/record.log' | grep -qv 'vCPUs stay unknown'"
check "SIGINT: host trace readable" report_reads trace.dat
check "SIGINT: guest events merged in order" check_merged_order 1

fault_rows_end
finish
