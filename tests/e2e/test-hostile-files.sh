#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync-offline on hostile command lines and files, built with ASan and
# UBSan: every value it cannot use is refused with a message that names it
# and the cause, never a crash, a sanitizer report or a wrong result.
#  a. merge --vcpu beyond any CPU, beyond the file's CPUs, negative or not
#     a number: a usage error (status 2).
# Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
OFFLINE_ASAN=$TOP/build/asan/tsync-offline
[ -x "$OFFLINE_ASAN" ] || skip "needs a build (make)"

# rec FILE ARGS...: a short trace of this machine with the x86-tsc clock
rec() {
	local out=$1

	shift
	(cd "$WORK" && env LD_PRELOAD="$EPERM_SHIM" trace-cmd record -d --no-filter -C x86-tsc \
		-e sched:sched_switch "$@" -o "$out" sleep 0.2) > "$WORK/$out.log" 2>&1
	check "recorded $out" test -s "$WORK/$out"
}

# run NAME ARGS...: the sanitized tsync-offline with ARGS; its status in
# $status, its output in NAME.out and NAME.err, its sanitizer reports (if
# any) in NAME.asan.* and NAME.ubsan.*
run() {
	local name=$1

	shift
	ASAN_OPTIONS="detect_leaks=0:log_path=$WORK/$name.asan" \
	UBSAN_OPTIONS="print_stacktrace=1:log_path=$WORK/$name.ubsan" \
		"$OFFLINE_ASAN" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
	status=$?
}

# refused NAME STATUS PATTERN: run NAME exited STATUS with an error that
# matches PATTERN, and without a sanitizer report
refused() {
	local name=$1 want=$2 pattern=$3 reports

	reports=$(ls "$WORK/$name".asan.* "$WORK/$name".ubsan.* 2> /dev/null)
	[ -n "$reports" ] && head -n 20 $reports | sed 's/^/    /'
	[ "$status" = "$want" ] || echo "    status $status, not $want: $(head -n 3 "$WORK/$name.err")"
	[ -z "$reports" ] && [ "$status" = "$want" ] &&
		grep -q -- "^tsync: error: $pattern" "$WORK/$name.err"
}

rec host.dat
rec guest.dat --file-version 7 --compression none
reset_tracefs
cpus=$(trace-cmd dump --summary -i "$WORK/guest.dat" 2>/dev/null | sed -n 's/.*\[\([0-9]*\) CPUs\].*/\1/p')
[ -n "$cpus" ] || cpus=$(nproc)
run apply apply --host "$WORK/host.dat" --tsc-offset 5 -o "$WORK/synced.dat" "$WORK/guest.dat"
check "apply writes synced.dat (status $status)" test "$status" = 0 -a -s "$WORK/synced.dat"

echo "a. merge --vcpu"
for vcpu in 18446744073709551615 9223372036854775808 -1 65536 x; do
	run vcpu-$vcpu merge --vcpu $vcpu --timebase guest "$WORK/host.dat" "$WORK/synced.dat"
	check "a: --vcpu $vcpu: a usage error (status $status), no listing" \
		eval 'refused vcpu-$vcpu 2 "merge: --vcpu $vcpu: expected a vCPU number, 0 to 65535" &&
		      test ! -s "$WORK/vcpu-$vcpu.out"'
done
run vcpu-cpus merge --vcpu $cpus --timebase guest "$WORK/host.dat" "$WORK/synced.dat"
check "a: --vcpu $cpus of $cpus CPUs: a usage error (status $status), no listing" \
	eval 'refused vcpu-cpus 2 "merge: --vcpu $cpus: .*synced.dat has $cpus CPUs, 0 to $((cpus - 1))" &&
	      test ! -s "$WORK/vcpu-cpus.out"'
run vcpu-last merge --vcpu $((cpus - 1)) --timebase guest "$WORK/host.dat" "$WORK/synced.dat"
check "a: --vcpu $((cpus - 1)), the last: merged (status $status)" \
	eval '[ $status = 0 ] && grep -q "^g " "$WORK/vcpu-last.out"'

finish
