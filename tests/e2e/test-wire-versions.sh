#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync releases speak to each other: tsync as it was at commit 4f76ec2
# (before its releases were numbered) and at 0.5.0 (the last release before
# tsync-ptp.2), built from this repository's history, against the current
# tree, each on either side, for tsync-ptp and tsync-kvm (with a real KVM
# VM).  Each pair negotiates the newest wire version both speak
# (tsync-wire(7)) and writes a TIME_SHIFT that report applies.  Needs root,
# tracefs, debugfs, /dev/kvm and git history.
. "$(dirname "$0")/lib.sh"

# Each older tree, and what it negotiates with the current one: ptp, kvm
OLDER=("4f76ec2 tsync-ptp tsync-kvm" "d27836f tsync-ptp tsync-kvm.2")

require_tracefs
require_debugfs
require_kvm
require_netns
[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"

# build_older COMMIT: that tree's plugin, under $WORK/COMMIT
build_older() {
	git -C "$TOP" cat-file -e "$1^{commit}" 2> /dev/null ||
		skip "needs this repository's history (commit $1)"
	mkdir -p "$WORK/$1" && git -C "$TOP" archive "$1" | tar -x -C "$WORK/$1" &&
		make -s -C "$WORK/$1" build/tsync.so > "$WORK/$1-build.log" 2>&1
	check "tsync at $1 builds" test -f "$WORK/$1/build/tsync.so"
}

VM_NAME=tsync-wire-$$
start_test_vm -n "$(nproc)" -name "$VM_NAME,debug-threads=on"

# session NAME PROTO WIRE AGENT-LAUNCHER HOST-LAUNCHER: one short session,
# which must negotiate the wire version WIRE
session() {
	local name=$1 proto=$2 wire=$3 agent=$4 host=$5 vm=()

	[ "$proto" = kvm ] && vm=(--tsync-vm "$VM_PID")
	agent_up "$agent" --tsync "$proto"
	record "$host" --tsync "$proto" "${vm[@]}" -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc \
		-e sched_switch -A 127.0.0.1:$AGENT_PORT -e sched_switch sleep 0.5
	stop_agent
	FLAGS=$(time_shift_flags $GUEST_DAT)
	check "$name: $wire negotiated" \
		grep -q "Negotiated $wire time sync protocol" "$WORK/record.log"
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

for older in "${OLDER[@]}"; do
	read -r commit ptp_wire kvm_wire <<< "$older"
	build_older "$commit"
	[ -f "$WORK/$commit/build/tsync.so" ] || continue
	old=$WORK/$commit/scripts/trace-cmd-tsync
	session "ptp-$commit-guest" ptp "$ptp_wire" "$old" "$TSYNC"
	session "ptp-$commit-host" ptp "$ptp_wire" "$TSYNC" "$old"
	session "kvm-$commit-guest" kvm "$kvm_wire" "$old" "$TSYNC"
	session "kvm-$commit-host" kvm "$kvm_wire" "$TSYNC" "$old"
done
session "ptp-current" ptp tsync-ptp.2 "$TSYNC" "$TSYNC"

finish
