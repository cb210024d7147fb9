#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync as root never loses the user's files, never acts on what is not
# its own, and reads every file without a memory error:
#  a. -o onto a device node, a FIFO or a directory is refused, and what was
#     there is still there; -o onto a file it fails to write (a full file
#     system) leaves that file as it was, and nothing beside it; so does
#     --in-place there;
#  b. --in-place killed at every write (strace's fault injection), v6 and
#     v7: the file is the original or the complete new one, never half;
#     owner and mode kept, a symlink followed, hard links refused; two runs
#     at once: one refuses;
#  c. inspect, merge and apply on files with a TIME_SHIFT option, with the
#     offline tool built under ASan and UBSan: no report;
#  d. the scripts: a QEMU pid file that names another process (or -1)
#     makes guest_stop leave it alone; the sessions' machine-wide lock is
#     in a directory no other user can enter.
# Needs root, tracefs and strace.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/lib/guest-lib.sh"

require_tracefs
command -v strace > /dev/null || skip "needs strace (make deps)"
OFFLINE_ASAN=$TOP/build/asan/tsync-offline
[ -x "$OFFLINE_ASAN" ] || skip "needs a build (make)"

record_file g6.dat --file-version 6
record_file g7.dat --file-version 7 --compression none
reset_tracefs

# apply_to OUT IN [ARGS...]: apply an offset, -o OUT
apply_to() {
	local out=$1 in=$2

	shift 2
	"$TSYNC" apply --host-id 1 --tsc-offset 5 "$@" -o "$out" "$in"
}

echo "a. -o never destroys what it does not write"
mknod "$WORK/mynull" c 1 3
mkfifo "$WORK/myfifo"
mkdir "$WORK/mydir"
for target in mynull myfifo mydir; do
	before=$(stat -c '%F %t:%T %i' "$WORK/$target")
	apply_to "$WORK/$target" "$WORK/g7.dat" 2> "$WORK/a.err"
	status=$?
	check "a: -o $target refused (status $status)" test $status != 0
	check "a: ... saying it is not a regular file" grep -q "not a regular file" "$WORK/a.err"
	check "a: ... and $target is as it was" \
		test "$(stat -c '%F %t:%T %i' "$WORK/$target")" = "$before"
done

SMALL=$WORK/small
mkdir "$SMALL"
biggest=$(stat -c %s "$WORK/g6.dat" "$WORK/g7.dat" | sort -n | tail -n 1)
mount -t tmpfs -o size=$(( biggest / 1024 + 64 ))k tsync-files-safe "$SMALL" ||
	skip "cannot mount a tmpfs"
trap 'umount "$SMALL" 2> /dev/null; session_cleanup' EXIT
for g in g6 g7; do
	rm -f "$SMALL/filler"
	head -c 50000 /dev/urandom > "$SMALL/keep.dat"
	cp "$SMALL/keep.dat" "$WORK/keep.orig"
	# what is left of the file system is less than the new file
	head -c $(( $(df --output=avail -B1 "$SMALL" | tail -n 1) - 8192 )) /dev/zero \
		> "$SMALL/filler" 2> /dev/null
	apply_to "$SMALL/keep.dat" "$WORK/$g.dat" 2> "$WORK/a.err"
	status=$?
	check "a: $g: -o onto a full file system fails (status $status)" test $status != 0
	check "a: $g: ... the file it named is as it was" cmp -s "$SMALL/keep.dat" "$WORK/keep.orig"
	check "a: $g: ... and nothing is left beside it" \
		test "$(ls -A "$SMALL" | tr '\n' ' ')" = "filler keep.dat "
	# --in-place there: no room for the new file beside the original
	rm -f "$SMALL/filler" "$SMALL/keep.dat"
	cp -p "$WORK/$g.dat" "$SMALL/$g.dat"
	head -c $(( $(df --output=avail -B1 "$SMALL" | tail -n 1) - 8192 )) /dev/zero \
		> "$SMALL/filler" 2> /dev/null
	"$TSYNC" apply --host-id 1 --tsc-offset 5 --in-place "$SMALL/$g.dat" 2> "$WORK/a.err"
	status=$?
	check "a: $g: --in-place on a full file system fails (status $status)" test $status != 0
	check "a: $g: ... saying so" grep -q "No space left on device" "$WORK/a.err"
	check "a: $g: ... the file is as it was" cmp -s "$SMALL/$g.dat" "$WORK/$g.dat"
	check "a: $g: ... and nothing is left beside it" \
		test "$(ls -A "$SMALL" | tr '\n' ' ')" = "filler $g.dat "
	rm -f "$SMALL/$g.dat"
done
umount "$SMALL"

chmod 0640 "$WORK/keep.orig"
apply_to "$WORK/keep.orig" "$WORK/g7.dat"
check "a: -o onto a regular file replaces it, its mode kept" \
	test "$(stat -c %a "$WORK/keep.orig")" = 640 -a "$(time_shift_flags keep.orig)" = 0x81000001

echo "b. --in-place: the original or the complete new file, whatever stops it"
# kill_at_every_write FILE: kill -9 at the Nth call of each write-like
# system call, N = 1, 2, ... until a run completes; after each, FILE is
# the original or the complete new one
kill_at_every_write() {
	local g=$1 call n status outcome torn=0 kills=0

	for call in write pwrite64 copy_file_range fsync fchown fchmod rename; do
		for n in $(seq 1 60); do
			cp -p "$WORK/$g.dat" "$WORK/$g-k.dat"
			# the shell's own word on the kill goes to /dev/null too
			status=$( { strace -f -o /dev/null -e inject=$call:signal=SIGKILL:when=$n \
				"$TOP/build/tsync-offline" apply --host-id 1 --tsc-offset 5 \
				--in-place "$WORK/$g-k.dat" > /dev/null 2>&1; echo $?; } 2> /dev/null)
			if cmp -s "$WORK/$g.dat" "$WORK/$g-k.dat"; then
				outcome=original
			elif [ "$(time_shift_flags $g-k.dat)" = 0x81000001 ] &&
			     report_reads $g-k.dat; then
				outcome=new
			else
				outcome=torn
				torn=$((torn + 1))
				echo "    kill at $call $n: the file is neither"
			fi
			[ $status = 0 ] && break
			kills=$((kills + 1))
		done
		[ $status = 0 ] && [ "$outcome" = new ] || torn=$((torn + 1))
	done
	echo "    $g: $kills runs killed at a write, $torn torn files"
	[ $kills -gt 3 ] && [ $torn = 0 ]
}
for g in g6 g7; do
	check "b: $g: killed at every write, never half a file" kill_at_every_write $g
done
rm -f "$WORK"/.g*-k.dat.tsync-*

cp "$WORK/g7.dat" "$WORK/owned.dat"
chown 65534:65534 "$WORK/owned.dat"
chmod 0604 "$WORK/owned.dat"
ln -s owned.dat "$WORK/link.dat"
"$TSYNC" apply --host-id 1 --tsc-offset 5 --in-place "$WORK/link.dat"
check "b: a symlink is followed: still a symlink" test -L "$WORK/link.dat"
check "b: ... the file it names changed" test "$(time_shift_flags owned.dat)" = 0x81000001
check "b: ... owner and mode kept" test "$(stat -c %u:%g:%a "$WORK/owned.dat")" = 65534:65534:604

cp "$WORK/g6.dat" "$WORK/linked.dat"
ln "$WORK/linked.dat" "$WORK/linked2.dat"
check "b: a file of two hard links is refused" \
	eval '! "$TSYNC" apply --host-id 1 --tsc-offset 5 --in-place "$WORK/linked.dat" 2> "$WORK/b.err"'
check "b: ... saying why" grep -q "hard links" "$WORK/b.err"
check "b: ... both links unchanged" cmp -s "$WORK/linked2.dat" "$WORK/g6.dat"

# Two runs at once: the first holds the file (stopped at its first write)
cp "$WORK/g7.dat" "$WORK/both.dat"
strace -f -o /dev/null -e inject=pwrite64,write:signal=SIGSTOP:when=1 "$TOP/build/tsync-offline" \
	apply --host-id 1 --tsc-offset 5 --in-place "$WORK/both.dat" > /dev/null 2>&1 &
first=$!
for i in $(seq 50); do
	[ -n "$(ls -A "$WORK" | grep '^\.both\.dat\.tsync-')" ] && break
	sleep 0.1
done
"$TSYNC" apply --host-id 1 --tsc-offset 7 --in-place "$WORK/both.dat" 2> "$WORK/b2.err"
status=$?
check "b: a second run at once refuses (status $status)" test $status != 0
check "b: ... saying another run changes it" grep -q "another run is changing it" "$WORK/b2.err"
# strace and the run it stopped, which are ours
kill -KILL $(pgrep -P $first) $first 2> /dev/null
wait $first 2> /dev/null
rm -f "$WORK"/.both.dat.tsync-*

echo "c. files with TIME_SHIFT under ASan and UBSan"
export ASAN_OPTIONS="detect_leaks=0:log_path=$WORK/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$WORK/ubsan"
record_file host.dat
reset_tracefs
apply_to "$WORK/g6-c.dat" "$WORK/g6.dat"
apply_to "$WORK/g7-c.dat" "$WORK/g7.dat"
for g in g6-c g7-c; do
	"$OFFLINE_ASAN" inspect "$WORK/$g.dat" > "$WORK/$g.inspect" 2>&1
	check "c: $g: inspect under ASan" grep -q "TIME_SHIFT by tsync-kvm" "$WORK/$g.inspect"
	"$OFFLINE_ASAN" merge "$WORK/host.dat" "$WORK/$g.dat" > "$WORK/$g.merge" 2>&1
	check "c: $g: merge under ASan" test -s "$WORK/$g.merge"
	"$OFFLINE_ASAN" apply --host-id 1 --tsc-offset 5 -o "$WORK/$g-2.dat" "$WORK/$g.dat" \
		2> "$WORK/$g.apply"
	check "c: $g: apply under ASan refuses a second TIME_SHIFT" \
		grep -q "already has a TIME_SHIFT" "$WORK/$g.apply"
done
reports=$(ls "$WORK"/asan.* "$WORK"/ubsan.* 2> /dev/null)
[ -n "$reports" ] && head -20 $reports
check "c: no ASan or UBSan report" test -z "$reports"
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "d. the scripts act on their own processes and locks only"
sleep 60 &
other=$!
run=$WORK/run
mkdir -p "$run"
for pid in $other -1 0 1 "$$ $other" x; do
	echo "$pid" > "$run/qemu.pid"
	unset "GUEST_PIDS[$run]" "GUEST_STARTS[$run]"
	guest_stop "$run" 2> "$WORK/d.err"
	status=$?
	check "d: guest_stop with pid file '$pid': refused (status $status)" \
		eval '[ $status != 0 ] && grep -q "left alone" "$WORK/d.err"'
done
check "d: ... the process it named lives on" kill -0 $other
kill $other
wait $other 2> /dev/null
check "d: the sessions' lock is in a directory of root's only" \
	test "$(stat -c %u:%a /run/tsync)" = 0:700 -a -f /run/tsync/tracefs.lock
check "d: another user cannot open the lock" \
	eval '! setpriv --reuid=65534 --regid=65534 --clear-groups \
		flock -n /run/tsync/tracefs.lock true 2> /dev/null'

finish
