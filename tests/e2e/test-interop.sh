#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# A peer running stock trace-cmd still gets synchronized, by trace-cmd's
# built-in ptp; a trace-cmd tsync does not know keeps its built-ins; and a
# forced --tsync ptp never falls back to them.  Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns

# session NAME AGENT-CMD... -- RECORD-CMD...: one sleep-0 session
session() {
	local name=$1 agent=()

	shift
	while [ "$1" != -- ]; do
		agent+=("$1")
		shift
	done
	shift
	SECONDS=0
	agent_up "${agent[@]}"
	record "$@" -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched_switch \
		-A 127.0.0.1:$AGENT_PORT -e sched_switch sleep 0.2
	stop_agent
	echo "  session $name: ${SECONDS}s"
	mv "$WORK/record.log" "$WORK/$name.log"
	mv "$WORK/agent.log" "$WORK/$name-agent.log"
	FLAGS=$(time_shift_flags $GUEST_DAT)
	rm -f "$WORK"/*.dat
	reset_tracefs
}

session stock-agent trace-cmd -- "$TSYNC"
check "stock agent, tsync host: built-in ptp negotiated" \
	grep -q "Negotiated ptp time sync protocol" "$WORK/stock-agent.log"
check "stock agent, tsync host: TIME_SHIFT by the built-in (flags $FLAGS)" \
	test "$FLAGS" = 0x1

session stock-host "$TSYNC" -- trace-cmd
check "tsync agent, stock host: built-in ptp negotiated" \
	grep -q "Negotiated ptp time sync protocol" "$WORK/stock-host.log"
check "tsync agent, stock host: TIME_SHIFT by the built-in (flags $FLAGS)" \
	test "$FLAGS" = 0x1

session both "$TSYNC" -- "$TSYNC"
check "tsync on both sides, --tsync auto: tsync-ptp.2 chosen" \
	grep -q "Negotiated tsync-ptp.2 time sync protocol" "$WORK/both.log"
check "tsync on both sides: TIME_SHIFT by tsync-ptp (flags $FLAGS)" \
	test "$FLAGS" = 0x82000001

# --tsync ptp against a stock agent: no silent fallback to the built-in
session forced "$TSYNC" --tsync ptp -- trace-cmd
check "forced tsync-ptp, stock host: built-in not negotiated" \
	bash -c "! grep -q 'Negotiated ptp' '$WORK/forced.log'"
check "forced tsync-ptp, stock host: no TIME_SHIFT" test -z "$FLAGS"

# A trace-cmd release tsync does not know: one line, built-ins keep working
preload=$PLUGIN:$EPERM_SHIM
session unknown env TSYNC_TRACECMD_VERSION=9.0 LD_PRELOAD="$preload" trace-cmd -- \
	env TSYNC_TRACECMD_VERSION=9.0 LD_PRELOAD="$preload" trace-cmd
check "unknown trace-cmd release: one clear line" \
	grep -q "tsync: error: trace-cmd 9.0 is not a release whose tsync layout tsync knows" "$WORK/unknown.log"
check "unknown trace-cmd release: built-in ptp still works" \
	grep -q "Negotiated ptp time sync protocol" "$WORK/unknown.log"
check "unknown trace-cmd release: TIME_SHIFT by the built-in (flags $FLAGS)" \
	test "$FLAGS" = 0x1

finish
