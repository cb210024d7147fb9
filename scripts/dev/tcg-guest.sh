#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# A real Linux guest under QEMU (TCG) with tsync inside, by hand
# (scripts/lib/guest-lib.sh does the work; the tests and the demo use it too).
#
#   scripts/dev/tcg-guest.sh build          the image, in build/guest (cached)
#   scripts/dev/tcg-guest.sh boot RUN       boot it in a network namespace of its
#                                       own; RUN keeps its console and pid
#   scripts/dev/tcg-guest.sh stop RUN       end that QEMU and its namespace
#
# Once booted, trace it from that namespace (see the line boot prints):
#   ip netns exec NETNS scripts/trace-cmd-tsync record -A 127.0.0.1:823 -e sched sleep 1

. "$(dirname "$0")/../lib/script-help.sh"
. "$(dirname "$0")/../lib/guest-lib.sh"

prog=tcg-guest.sh

die() {
	echo "$prog: $*" >&2
	exit 1
}

boot() {
	local run=$1 netns=tsync-tcg-$$

	[ -n "$run" ] || die "usage: $prog boot RUN-DIR"
	[ -f "$run/qemu.pid" ] && guest_ours "$(head -c 32 "$run/qemu.pid")" "$run" &&
		die "a guest runs already from $run: $prog stop $run"
	[ "$(id -u)" = 0 ] || die "run as root: network namespaces need it"
	guest_build || die "cannot build the guest image"
	mkdir -p "$run" && ip netns add $netns && ip -n $netns link set lo up ||
		die "cannot create network namespace $netns"
	echo $netns > "$run/netns"
	guest_boot "$run" $netns || { ip netns del $netns; die "the guest did not boot"; }
	echo "guest up in $GUEST_BOOT_SECONDS s: QEMU pid $GUEST_PID, agent on" \
	     "127.0.0.1:$GUEST_AGENT_PORT in network namespace $netns"
	echo "  ip netns exec $netns $GUEST_TOP/scripts/trace-cmd-tsync record" \
	     "-A 127.0.0.1:$GUEST_AGENT_PORT -e sched sleep 1"
}

stop() {
	local run=$1

	[ -n "$run" ] && [ -d "$run" ] || die "usage: $prog stop RUN-DIR"
	guest_stop "$run"
	[ -f "$run/netns" ] && ip netns del "$(cat "$run/netns")" 2>/dev/null
	rm -f "$run/netns"
}

case "$1" in
build)	guest_build || die "cannot build the guest image"
	echo "guest image in $GUEST_IMAGE" ;;
boot)	boot "$2" ;;
stop)	stop "$2" ;;
*)	sed -n 's/^#   //p' "$0" >&2
	exit 2 ;;
esac
