#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Every test of tsync: the CUnit unit tests, then the end-to-end tests one
# after the other (they share the kernel's tracefs).  Ends with the line
# "N passed, N failed, N skipped"; exits non-zero on any failure, and in CI
# (CI=true) on any skip too: there every requirement must be present.
#
# usage: tests/run-all.sh [TEST-NAME...]   e.g. tests/run-all.sh ptp-loopback

cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0 skipped=0 failures=()

count() {
	local name=$1 rc=$2

	case $rc in
	0)	passed=$((passed + 1)) ;;
	77)	skipped=$((skipped + 1)); [ "$CI" = true ] && failures+=("$name (skipped in CI)") ;;
	*)	failed=$((failed + 1)); failures+=("$name") ;;
	esac
}

if [ $# = 0 ]; then
	echo "== unit tests"
	build/tests/unit-tests
	count unit-tests $?
	echo "== offline unit tests"
	build/tests/unit-offline-tests
	count unit-offline-tests $?
	set -- tests/e2e/test-*.sh tests/fuzz/test-*.sh
fi

for t in "$@"; do
	[ -f "$t" ] || t=tests/e2e/test-$t.sh
	echo "== $(basename "$t" .sh)"
	bash "$t"
	rc=$?	# before a command substitution resets $?
	count "$(basename "$t" .sh)" $rc
done

echo
for f in "${failures[@]}"; do
	echo "failed: $f"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ ${#failures[@]} = 0 ]
