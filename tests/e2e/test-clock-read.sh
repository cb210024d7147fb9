#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync-ptp reads trace clocks directly: every marker written to a tracefs
# instance of that clock must carry a timestamp between the two direct
# reads around its write (tests/helpers/clock-check.c).  Needs root and
# tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
CHECK=$TOP/build/tests/clock-check
[ -x "$CHECK" ] || skip "needs a build (make)"

"$CHECK" 200 > "$WORK/clock-check.log" 2>&1
status=$?
sed 's/^/  /' "$WORK/clock-check.log"
check "every marker between its direct reads" test $status = 0
for clock in x86-tsc mono mono_raw boot tai; do
	check "$clock checked" grep -q "^$clock .* 0 outside" "$WORK/clock-check.log"
done
rmdir $TRACEFS/instances/tsync-clock-check 2>/dev/null

finish
