#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync releases speak to each other: tsync as it was at commit 4f76ec2
# (before its releases were numbered), built from this repository's
# history, against the current tree, each on either side, for tsync-ptp
# and tsync-kvm (with a real KVM VM).  Each pair negotiates the newest
# wire version both speak (tsync-wire(7)) and writes a TIME_SHIFT that
# report applies.  Needs root, tracefs, debugfs, /dev/kvm and git history.
. "$(dirname "$0")/lib.sh"

OLD_COMMIT=4f76ec2

require_tracefs
require_debugfs
require_kvm
require_netns
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
git -C "$TOP" cat-file -e "$OLD_COMMIT^{commit}" 2> /dev/null ||
	skip "needs this repository's history (commit $OLD_COMMIT)"

OLD=$WORK/old
mkdir -p "$OLD" && git -C "$TOP" archive "$OLD_COMMIT" | tar -x -C "$OLD" &&
	make -s -C "$OLD" build/tsync.so > "$WORK/old-build.log" 2>&1
check "tsync at $OLD_COMMIT builds" test -f "$OLD/build/tsync.so"
[ -f "$OLD/build/tsync.so" ] || finish
OLD_TSYNC=$OLD/scripts/trace-cmd-tsync

VM_NAME=tsync-wire-$$
start_test_vm -n "$(nproc)" -name "$VM_NAME,debug-threads=on"

# session NAME PROTO AGENT-LAUNCHER HOST-LAUNCHER: one short session
session() {
	local name=$1 proto=$2 agent=$3 host=$4 vm=()

	[ "$proto" = kvm ] && vm=(--tsync-vm "$VM_PID")
	agent_up "$agent" --tsync "$proto"
	record "$host" --tsync "$proto" "${vm[@]}" -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc \
		-e sched_switch -A 127.0.0.1:$AGENT_PORT -e sched_switch sleep 0.5
	stop_agent
	FLAGS=$(time_shift_flags $GUEST_DAT)
	check "$name: tsync-$proto negotiated" \
		grep -q "Negotiated tsync-$proto time sync protocol" "$WORK/record.log"
	case $proto in
	ptp)	check "$name: TIME_SHIFT by tsync-ptp (flags $FLAGS)" test "$FLAGS" = 0x82000001
		check "$name: report merges the guest's events" \
			grep -q "^$GUEST_DAT:" <(trace-cmd report -i "$WORK/trace.dat" \
						 -i "$WORK/$GUEST_DAT" 2> /dev/null) ;;
	kvm)	check "$name: TIME_SHIFT by tsync-kvm (flags $FLAGS)" test "$FLAGS" = 0x81000001
		check "$name: every guest event at exactly its raw timestamp" \
			guest_times_match "raw" ;;
	esac
	mkdir -p "$WORK/$name" && mv "$WORK"/*.dat "$WORK"/*.log "$WORK/$name/"
	reset_tracefs
}

for proto in ptp kvm; do
	session "$proto-old-guest" $proto "$OLD_TSYNC" "$TSYNC"
	session "$proto-old-host" $proto "$TSYNC" "$OLD_TSYNC"
done

finish
