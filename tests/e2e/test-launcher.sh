#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# trace-cmd-tsync passes trace-cmd's arguments through, names what is
# missing, and the plugin stays out of every process that is not trace-cmd.
# Needs root and tracefs (for the record through the launcher).
. "$(dirname "$0")/lib.sh"

require_tracefs

# says RC PATTERN: the last launcher run exited RC and printed PATTERN
says() {
	[ "$rc" = "$1" ] && grep -q -- "$2" <<< "$out"
}

out=$("$TSYNC" --help 2>&1); rc=$?
check "--help exits 0 and documents --tsync" says 0 "--tsync kvm"

out=$("$TSYNC" --tsync foo report 2>&1); rc=$?
check "a bad --tsync value is named" says 2 "tsync foo: expected kvm, ptp, auto or builtin"

out=$("$TSYNC" --tsync kvm record -C local -A 127.0.0.1:1 true 2>&1); rc=$?
check "--tsync kvm with another clock is refused" says 2 "needs the x86-tsc clock, not -C local"

out=$(TSYNC_PLUGIN=/nonexistent/tsync.so "$TSYNC" report 2>&1); rc=$?
check "a missing plugin is named" says 2 "plugin tsync.so not found at /nonexistent/tsync.so"

out=$(TSYNC_TRACE_CMD=/nonexistent/trace-cmd "$TSYNC" report 2>&1); rc=$?
check "a missing trace-cmd is named" says 2 "trace-cmd not found"

# The traced command and any other process: no plugin, no output
out=$(LD_PRELOAD=$PLUGIN sh -c 'echo "preload=$LD_PRELOAD"' 2>&1)
check "the plugin removes itself from LD_PRELOAD ($out)" test "$out" = "preload="
out=$(LD_PRELOAD=$PLUGIN:$EPERM_SHIM sh -c 'echo "$LD_PRELOAD"' 2>&1)
check "other preloads are kept ($out)" test "$out" = "$EPERM_SHIM"

cd "$WORK" || exit 1
env LD_PRELOAD="$EPERM_SHIM" "$TSYNC" record -d --no-filter -e sched_switch -o plain.dat \
	sh -c 'echo "child LD_PRELOAD=$LD_PRELOAD"; ls /proc/self/map_files -l | grep -c tsync.so' \
	> record.log 2>&1
check "record through the launcher writes a readable file" report_reads plain.dat
check "the traced command runs without the plugin" \
	grep -qx "child LD_PRELOAD=$EPERM_SHIM" record.log
check "the traced command has no tsync.so mapped" grep -qx 0 record.log

# Pass-through: the same bytes as trace-cmd itself
check "report passes through unchanged" \
	cmp -s <(trace-cmd report -i plain.dat 2>&1) <("$TSYNC" report -i plain.dat 2>&1)
check "dump passes through unchanged" \
	cmp -s <(trace-cmd dump --summary -i plain.dat 2>&1) \
	       <("$TSYNC" dump --summary -i plain.dat 2>&1)

finish
