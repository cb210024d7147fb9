#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync with the trace-cmd of newer Debian releases: Debian 13's 3.3.1
# (trixie) and sid's 3.4, each in a chroot made from the package registry
# (scripts/lib/release-lib.sh), tsync built on this machine installed into
# it.  Host and guest agent on loopback, as test-ptp-loopback.sh and
# test-kvm-vm.sh run them; "bookworm" is this machine's own 3.1.6.
#  a. sid on both sides: tsync-ptp negotiated, its TIME_SHIFT written, the
#     merged report in order, a sync record per sample; tsync-kvm with the
#     test VM: every guest event at exactly its raw timestamp; inspect,
#     merge and apply with sid's libtracecmd, on those files;
#  b. trixie: trace-cmd-tsync agent refuses to start, naming trace-cmd's own
#     bug and the release that fixes it, and --version says so; trixie's
#     record with a sid agent through tsync-ptp and tsync-kvm, and the
#     offline tool with trixie's libtracecmd on its files;
#  c. mixed pairs: a 3.1.6 host with a sid agent, and the reverse.
# Needs root, tracefs, debugfs, /dev/kvm, and mmdebstrap with the package
# registry the first time (the chroots are cached in /var/cache/tsync).
. "$(dirname "$0")/../../scripts/lib/release-lib.sh"
release_private_mounts "$0" "$@" || { echo "SKIP test-releases: needs root"; exit 77; }
. "$(dirname "$0")/lib.sh"

require_kvm_session
for release in sid trixie; do
	[ -f "$RELEASE_CACHE/$release/.tsync-ready" ] || command -v mmdebstrap > /dev/null ||
		skip "needs mmdebstrap (make deps)"
done

# The chroots' copies live apart from $WORK, which finish() removes
ROOTS=$(mktemp -d /tmp/tsync-release-roots.XXXXXX)
OPENED=()
close_releases() {
	local release

	for release in "${OPENED[@]}"; do
		release_close "$ROOTS/$release" &&
			rm -rf --one-file-system "${ROOTS:?}/$release"
	done
	OPENED=()
	rmdir "$ROOTS" 2>/dev/null
}
trap 'session_cleanup; close_releases' EXIT

for release in sid trixie; do
	release_open $release "$ROOTS/$release" "$WORK" || { fail "no $release chroot"; finish; }
	OPENED+=($release)
	echo "  $release: trace-cmd $(release_version $release)"
done

# launcher RELEASE: trace-cmd-tsync with RELEASE's trace-cmd, in CMD
launcher() {
	case $1 in
	bookworm)	CMD=("$TOP/scripts/trace-cmd-tsync") ;;
	*)		CMD=(chroot "$ROOTS/$1/root" env -C "$WORK"
			     $RELEASE_PREFIX/bin/trace-cmd-tsync) ;;
	esac
}

# session-lib's and lib.sh's helpers read the files with trace-cmd and
# trace-cmd-tsync: those of the release that recorded the host's file
READER=bookworm
trace-cmd() {
	case $READER in
	bookworm)	command trace-cmd "$@" ;;
	*)		release_run "$ROOTS/$READER" "$WORK" trace-cmd "$@" ;;
	esac
}
reader_tsync() {
	launcher $READER
	"${CMD[@]}" "$@"
}
TSYNC=reader_tsync

# keep LABEL: the session's files under LABEL's names, tracefs as it was
keep() {
	mv "$WORK/trace.dat" "$WORK/$1-host.dat"
	mv "$WORK/$GUEST_DAT" "$WORK/$1-guest.dat"
	mv "$WORK/record.log" "$WORK/$1-record.log"
	mv "$WORK/agent.log" "$WORK/$1-agent.log"
	reset_tracefs
}

# ptp_pair HOST AGENT: a tsync-ptp session, the host on release HOST and
# the agent on AGENT, checked as test-ptp-loopback.sh checks its own
ptp_pair() {
	local label=$1-$2

	echo "$label: tsync-ptp, host on $1, agent on $2"
	SECONDS=0
	launcher "$2"
	agent_up "${CMD[@]}" --tsync ptp
	launcher "$1"
	record "${CMD[@]}" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched \
		--tsync-interval 100 -A 127.0.0.1:$AGENT_PORT -e sched sleep 1
	stop_agent
	READER=$1
	check_ptp_session "$label"
	check "$label: merged report interleaved and in order" check_merged_order 10
	check_sync_records "$label"
	check_merge "$label"
	keep "$label-ptp"
	echo "  ($SECONDS s)"
}

# kvm_pair HOST AGENT: a tsync-kvm session with the test VM, whose TSC
# offsets are 0: every guest event at exactly its raw timestamp
kvm_pair() {
	local label=$1-$2 flags

	echo "$label: tsync-kvm, host on $1, agent on $2"
	SECONDS=0
	launcher "$2"
	agent_up "${CMD[@]}" --tsync kvm
	launcher "$1"
	record "${CMD[@]}" --tsync kvm --tsync-vm "$VM_PID" -- -C x86-tsc -B $HOST_BUFFER \
		-C x86-tsc -e sched -A 127.0.0.1:$AGENT_PORT -e sched sleep 1
	stop_agent
	READER=$1
	check "$label: record negotiated tsync-kvm.2" \
		grep -q "Negotiated tsync-kvm.2 time sync protocol" "$WORK/record.log"
	flags=$(time_shift_flags $GUEST_DAT)
	check "$label: TIME_SHIFT written by tsync-kvm (flags $flags)" test "$flags" = 0x81000001
	check "$label: every guest event at exactly its raw timestamp" guest_times_match "raw"
	keep "$label-kvm"
	echo "  ($SECONDS s)"
}

# check_merge LABEL: trace-cmd-tsync merge lists the session's host and
# guest events in time order, the guest's at the times report gives them
check_merge() {
	local guest=$GUEST_DAT:

	"$TSYNC" merge --timebase host "$WORK/trace.dat" "$WORK/$GUEST_DAT" > "$WORK/$1-merge.txt"
	check "$1: merge lists host and guest events" \
		test "$(grep -c '^h ' "$WORK/$1-merge.txt")" -gt 0 -a \
		     "$(grep -c '^g ' "$WORK/$1-merge.txt")" -gt 0
	# a tsync-sync: line ends in a newline of its own: events only
	check "$1: merge in time order" \
		sort -c -s -n -k 2,2 <(grep '^[hg] ' "$WORK/$1-merge.txt")
	check "$1: merge's guest events at report's times" \
		cmp -s <(awk '$1 == "g" { print $2 }' "$WORK/$1-merge.txt" | sort) \
		       <(merged_timeline | awk -v g="$guest" '$1 == g { print $2 }' | sort)
}

# check_apply RELEASE HOST-FILE: apply, with RELEASE's libtracecmd, moves
# every event of a trace RELEASE recorded to exactly raw - offset
check_apply() {
	local release=$1 GUEST_DAT=applied.dat

	READER=$release
	launcher "$release"
	env LD_PRELOAD="$EPERM_SHIM" "${CMD[@]}" record -d --no-filter -C x86-tsc \
		-e sched:sched_switch -o plain.dat sleep 0.2 > "$WORK/$release-plain.log" 2>&1
	check "$release: recorded a plain trace" test -s "$WORK/plain.dat"
	"$TSYNC" apply --host "$WORK/$2" --tsc-offset=-1234567 -o "$WORK/applied.dat" \
		"$WORK/plain.dat"
	check "$release: apply wrote tsync-kvm's TIME_SHIFT" \
		test "$(time_shift_flags applied.dat)" = 0x81000001
	# guest_times_match merges with trace.dat
	cp "$WORK/$2" "$WORK/trace.dat"
	check "$release: apply put every event at exactly raw + 1234567" \
		guest_times_match "raw + 1234567"
	mv "$WORK/plain.dat" "$WORK/$release-plain.dat"
	mv "$WORK/applied.dat" "$WORK/$release-applied.dat"
	rm -f "$WORK/trace.dat"
	reset_tracefs
}

# host_sessions HOST AGENT: HOST's record with AGENT's agent through both
# protocols, and apply with HOST's libtracecmd
host_sessions() {
	ptp_pair "$1" "$2"
	kvm_pair "$1" "$2"
	check_apply "$1" "$1-$2-ptp-host.dat"
}

start_test_vm -n "$(nproc)" -name "tsync-releases-$$,debug-threads=on"

echo "a. sid"
launcher sid
check "sid: --version: tsync serves its trace-cmd" \
	grep -q "^tsync serves it" <("${CMD[@]}" --version)
host_sessions sid sid

echo "b. trixie"
launcher trixie
"${CMD[@]}" agent -N 127.0.0.1 -p 8899 > "$WORK/trixie-agent.log" 2>&1
status=$?
check "trixie: trace-cmd-tsync agent refused (status $status)" test $status = 1
check "trixie: ... naming trace-cmd's bug and the fixing release" \
	grep -q "trace-cmd 3.3.1 aborts .* e81cd4e3 .* in trace-cmd 3.3.2" "$WORK/trixie-agent.log"
check "trixie: --version: tsync serves its record, not its agent" \
	grep -q "^but not its agent: .* e81cd4e3 " <("${CMD[@]}" --version)
host_sessions trixie sid

echo "c. mixed pairs"
ptp_pair bookworm sid
ptp_pair sid bookworm

finish
