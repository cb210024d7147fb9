#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# A short fuzz run of every decoder of peer and debugfs data, and of whole
# trace files through tsync-offline's readers (10 s each): no crash, no
# sanitizer report.  Needs clang (make deps).
. "$(dirname "$0")/../e2e/lib.sh"

command -v clang > /dev/null || skip "needs clang (make deps)"
"$TOP/tests/fuzz/run-fuzz.sh" "${FUZZ_SECONDS:-10}" > "$WORK/fuzz.log" 2>&1
status=$?
sed 's/^/  /' "$WORK/fuzz.log"
check "every fuzz target ran without a crash" test $status = 0
check "eight targets fuzzed" test "$(grep -c 'executions in' "$WORK/fuzz.log")" -ge 8

finish
