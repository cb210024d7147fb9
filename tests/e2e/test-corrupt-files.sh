#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Truncated and corrupt trace files (issue 13, findings 5 and 11): inspect,
# apply, merge with the file as the guest and merge with it as the host
# each refuse it with status 1 and a message naming it, or read it when
# what changed does not matter; never a signal (status 128 and above) nor
# a hang.  Files recorded here by trace-cmd, synced by apply (a TIME_SHIFT
# option), so that inspect and merge read them through:
#  a. a v6 file cut every 2 KB from its CPU table to its end, and every 4
#     bytes around the table (libtracecmd crashed in tracecmd_open_fd() ->
#     tracecmd_close() for every cut in the CPU data): each refused;
#  b. bit flips in the v6 CPU table, 3 bits of each byte;
#  c. a bit flip in every byte of a v7 file's options sections (libtracecmd
#     read strings past their ends, looped over 2^28 CPUs, crashed on a
#     missing header section): one command each, in turn;
#  d. compressed v7 CPU data whose chunk sizes made libtracecmd crash and
#     hang: refused by the walk, naming the chunk; and libtracecmd's crash
#     and hang in the guard's child (where no walk can tell: made here by
#     tests/helpers/read-fault.so, preloaded) are the file's refusal.
# Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
OFFLINE=$TOP/build/tsync-offline
[ -x "$OFFLINE" ] || skip "needs a build (make)"
LIMIT=30	# s, for one command: libtracecmd's own gets 10

# rec FILE ARGS...: a short trace of this machine, small (kallsyms, the
# printk formats and the saved command lines empty in a mount namespace of
# its own) so that each of the some 1200 runs below takes milliseconds
rec() {
	local out=$1

	shift
	(cd "$WORK" && unshare -m --propagation private sh -c '
		for f in /proc/kallsyms "$0"/printk_formats "$0"/saved_cmdlines; do
			mount --bind /dev/null "$f" || exit 1
		done
		exec "$@"' "$TRACEFS" env LD_PRELOAD="$EPERM_SHIM" trace-cmd record -d --no-filter \
		-C x86-tsc -e sched:sched_switch -e timer:hrtimer_start "$@" -o "$out" \
		sleep 0.2) > "$WORK/$out.log" 2>&1
	check "recorded $out" test -s "$WORK/$out"
}

# synced NAME: NAME-y.dat, NAME.dat with a TIME_SHIFT option
synced() {
	"$OFFLINE" apply --host-id 1 --tsc-offset -1000 -o "$WORK/$1-y.dat" "$WORK/$1.dat"
	check "synced $1" test -s "$WORK/$1-y.dat"
}

rec g6.dat --file-version 6
rec g7.dat --file-version 7 --compression none
rec g7z.dat --file-version 7 --compression zstd
reset_tracefs
for g in g6 g7 g7z; do
	synced $g
done

# run CMD FILE: one command on FILE; sets STATUS, its message in $WORK/err
run() {
	local cmd=$1 file=$2

	case $cmd in
	inspect)	set -- inspect "$file" ;;
	apply)		set -- apply --host-id 1 --tsc-offset 1 -o "$WORK/out.dat" "$file" ;;
	merge-guest)	set -- merge "$WORK/g6.dat" "$file" ;;
	merge-host)	set -- merge "$file" "$WORK/g7-y.dat" ;;
	esac
	timeout -s KILL $LIMIT "$OFFLINE" "$@" > /dev/null 2> "$WORK/err"
	STATUS=$?
}

ALL="inspect apply merge-guest merge-host"

# tried FILE WHAT REFUSED [CMD...]: each command (default: all) on FILE
# exits 1 naming it (or 0 when REFUSED is "or-reads"); says so and returns
# 1 otherwise
tried() {
	local file=$1 what=$2 refused=$3 cmd

	shift 3
	for cmd in ${@:-$ALL}; do
		run $cmd "$file"
		[ $STATUS = 0 ] && [ "$refused" = or-reads ] && continue
		[ $STATUS = 1 ] && grep -q -F "$file" "$WORK/err" && continue
		echo "    $what: $cmd: status $STATUS: $(head -c 300 "$WORK/err")"
		return 1
	done
}

# sections FILE ID: "offset size" of each of FILE's v7 sections of id ID
sections() {
	trace-cmd dump --sections -i "$1" 2>/dev/null |
		sed -n "s/.*\[Section *$2 @ *\([0-9]*\).*flags 0x[0-9]*, \([0-9]*\) .*/\1 \2/p"
}

# flip FILE OFFSET BIT OUT: OUT, FILE with bit BIT of the byte at OFFSET flipped
flip() {
	local byte

	cp "$1" "$4"
	byte=$(od -An -tu1 -j "$2" -N1 "$1")
	printf "$(printf '\\%03o' $((byte ^ (1 << $3))))" |
		dd of="$4" bs=1 seek="$2" conv=notrunc status=none
}

summary() {
	echo "    $1 files, $2 wrong"
	[ "$1" -gt 0 ] && [ "$2" = 0 ]
}

echo "a. v6, truncated"
size=$(stat -c %s "$WORK/g6-y.dat")
table=$(($(grep -obUa flyrecord "$WORK/g6-y.dat" | head -n 1 | cut -d: -f1) + 10))
cuts="$(seq $((table - 16)) 4 $((table + 48))) $(seq $((table + 2048)) 2048 $((size - 1)))"
cuts+=" $((size - 1))"
n=0 bad=0
for cut in $cuts; do
	head -c "$cut" "$WORK/g6-y.dat" > "$WORK/cut.dat"
	tried "$WORK/cut.dat" "cut at $cut of $size" refused || bad=$((bad + 1))
	n=$((n + 1))
done
check "a: cut around its table (at $table) and through its CPU data: each refused" \
	summary $n $bad
"$OFFLINE" inspect "$WORK/cut.dat" 2>&1 | sed 's/^/    /'

echo "b. v6, bit flips in the CPU table"
n=0 bad=0
for at in $(seq "$table" $((table + 31))); do
	for bit in 1 4 7; do
		flip "$WORK/g6-y.dat" "$at" $bit "$WORK/flip.dat"
		tried "$WORK/flip.dat" "bit $bit at $at" or-reads || bad=$((bad + 1))
		n=$((n + 1))
	done
done
check "b: refused or read, never a crash" summary $n $bad

echo "c. v7, bit flips in the options sections"
# each byte: one command, in turn, to keep to a minute
cmds=($ALL)
n=0 bad=0
while read -r at len; do
	for i in $(seq 0 $((16 + len - 1))); do
		flip "$WORK/g7-y.dat" $((at + i)) $((i % 8)) "$WORK/flip.dat"
		tried "$WORK/flip.dat" "bit $((i % 8)) at $((at + i))" or-reads "${cmds[i % 4]}" ||
			bad=$((bad + 1))
		n=$((n + 1))
	done
done < <(sections "$WORK/g7-y.dat" 0)
check "c: refused or read, never a crash" summary $n $bad

echo "d. compressed CPU data; libtracecmd's crash and hang"
read -r fly _ < <(sections "$WORK/g7z-y.dat" 3)
cpu0=$(trace-cmd dump --flyrecord -i "$WORK/g7z-y.dat" 2>/dev/null |
	sed -n 's/^ *0 \([0-9]*\)\t.*/\1/p')
# the first chunk of CPU 0's compressed data: count (4), compressed size
# (4), size (4): a compressed size 2^31 bytes too big, then a size 2^27
# bytes too big (tracecmd_read_cpu_last() then takes minutes)
flip "$WORK/g7z-y.dat" $((cpu0 + 7)) 7 "$WORK/crash.dat"
tried "$WORK/crash.dat" "compressed size" refused
check "d: a compressed chunk that crashed libtracecmd: refused, naming it" \
	grep -q "a compressed chunk (21474[0-9]* bytes at offset [0-9]*) ends past the end" "$WORK/err"
sed 's/^/    /' "$WORK/err"
flip "$WORK/g7z.dat" $((cpu0 + 11)) 3 "$WORK/hang.dat"
tried "$WORK/hang.dat" "chunk size" refused
check "d: a chunk size that hung libtracecmd: refused, naming it" \
	grep -q "a chunk of CPU 0's data holds 1342[0-9]* bytes, not 1 to 256 whole pages" "$WORK/err"
sed 's/^/    /' "$WORK/err"
# read-fault.so: libtracecmd's first read of an event, in the child and the tool
export TSYNC_TEST_READ_FAULT=crash
LD_PRELOAD=$TOP/build/tests/read-fault.so run inspect "$WORK/g7z.dat"
check "d: libtracecmd crashing on a file: refused (status $STATUS)" \
	eval '[ $STATUS = 1 ] && grep -q "crashed reading it (signal 11)" "$WORK/err"'
sed 's/^/    /' "$WORK/err"
TSYNC_TEST_READ_FAULT=hang
rm -f "$WORK/out.dat"
LD_PRELOAD=$TOP/build/tests/read-fault.so run apply "$WORK/g7z.dat"
unset TSYNC_TEST_READ_FAULT
check "d: libtracecmd hanging on a file: refused by apply (status $STATUS)" \
	eval '[ $STATUS = 1 ] && grep -q "did not finish reading it in" "$WORK/err"'
sed 's/^/    /' "$WORK/err"
check "d: ... with no child left behind" \
	eval '! pgrep -f "tsync-offline apply .*$WORK/g7z.dat" > /dev/null'
check "d: ... and no output" test ! -e "$WORK/out.dat"
echo "    (flyrecord section at $fly, CPU 0's data at $cpu0)"

finish
