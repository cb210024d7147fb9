#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# tsync-offline on hostile command lines and files, built with ASan and
# UBSan: every value it cannot use is refused with a message that names it
# and the cause, never a crash, a sanitizer report or a wrong result.
#  a. merge --vcpu beyond any CPU, beyond the file's CPUs, negative or not
#     a number: a usage error (status 2);
#  b. apply with TSC parameters whose samples cannot be exact (an offset of
#     -2^63, a ratio without inverse or far too slow, fraction bits beyond
#     63): a usage error naming them, and no file; --tsc-frac 63 with the
#     ratio it implies (2^63, no scaling) writes exact samples;
#  c. a TIME_SHIFT option crafted so that report cannot compute with it
#     (sample times -2^63 and 2^63 - 1, whose distance is -1 in 64 bits:
#     trace-cmd report dies of SIGFPE on it, and so did libtracecmd as
#     tsync-offline opened the file; an offset of -2^63; a negative time):
#     inspect, merge and apply refuse it, naming the cause;
#  d. a TIME_SHIFT at the limits that are kept (times 2^63 - 1 apart,
#     offsets from -2^63 + 1 to 2^63 - 1) and bound lines as far out:
#     inspect prints them in full and plots them, without overflow;
#  e. inspect --plot into a directory that does not exist, or with a name
#     that is neither .svg nor .png: an error that names the file.
# Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
OFFLINE_ASAN=$TOP/build/asan/tsync-offline
[ -x "$OFFLINE_ASAN" ] || skip "needs a build (make)"

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

record_file host.dat
record_file guest.dat --file-version 7 --compression none
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

echo "b. apply with TSC parameters that cannot be exact"
# apply_refused NAME PATTERN ARGS...: apply ARGS is a usage error matching PATTERN
apply_refused() {
	local name=$1 pattern=$2

	shift 2
	rm -f "$WORK/b.dat"
	run "$name" apply --host "$WORK/host.dat" "$@" -o "$WORK/b.dat" "$WORK/guest.dat"
	check "b: $* refused (status $status)" \
		eval 'refused "$name" 2 "apply: vCPU 0: $pattern" && test ! -e "$WORK/b.dat"'
}
apply_refused offset-min "--tsc-offset -9223372036854775808 .*: an offset of -2^63" \
	--tsc-offset -9223372036854775808
apply_refused one-offset-min "--tsc-offset -9223372036854775808 .*: an offset of -2^63" \
	--tsc-offset 5 --tsc-offset 0=-9223372036854775808
apply_refused ratio-zero "--tsc-offset 5 --tsc-ratio 0 .*: .*no inverse" \
	--tsc-offset 5 --tsc-ratio 0
apply_refused ratio-slow "--tsc-offset 5 --tsc-ratio 3 --tsc-frac 63: host - guest leaves 64 bits" \
	--tsc-offset 5 --tsc-ratio 3 --tsc-frac 63
apply_refused frac-64 "--tsc-frac 64: expected 0 to 63" --tsc-offset 5 --tsc-frac 64
apply_refused frac-huge "--tsc-frac 18446744073709551615: expected 0 to 63" \
	--tsc-offset 5 --tsc-frac 18446744073709551615
run frac-63 apply --host "$WORK/host.dat" --tsc-offset 5 --tsc-frac 63 -o "$WORK/b63.dat" \
	"$WORK/guest.dat"
check "b: --tsc-frac 63, ratio 2^63 (status $status), no sanitizer report" \
	eval '[ $status = 0 ] && ! ls "$WORK"/frac-63.*san.* > /dev/null 2>&1'
check "b: ... samples of offset -5, unscaled" \
	eval '[ "$(time_shift_samples b63.dat | cut -d " " -f 1-3 | sort -u)" = "-5 1 0" ]'

echo "c. TIME_SHIFT options that report cannot compute with"
# craft IN OUT FLAGS T0 T1 O0 O1: IN, applied with --host host.dat and one
# --tsc-offset, with its TIME_SHIFT's flags and every guest CPU's two sample
# times and offsets replaced
host_id=$(trace-cmd dump --options -i "$WORK/host.dat" 2>/dev/null | sed -n '/Option TRACEID/{n;p;q}')
craft() {
	perl -e '
		my ($in, $out, $id, $flags, @v) = @ARGV;
		open(my $f, "<:raw", $in) or die "$in: $!";
		local $/;
		my $d = <$f>;
		my $at = index($d, pack("Q<", hex($id)) . pack("V", 0x81000001));
		die "no TIME_SHIFT of host id $id\n" if $at < 0;
		substr($d, $at + 8, 4) = pack("V", hex($flags));
		my $p = $at + 16;
		for (1 .. unpack("V", substr($d, $at + 12, 4))) {
			die "not 2 samples\n" if unpack("V", substr($d, $p, 4)) != 2;
			substr($d, $p + 4 + 8 * $_, 8) = pack("q<", $v[$_]) for 0 .. 3;
			$p += 4 + 2 * 24;
		}
		open($f, ">:raw", $out) or die "$out: $!";
		print $f $d;' "$WORK/$1" "$WORK/$2" "$host_id" "${@:3}"
}
# (t - t0) * (o1 - o0) is -2^63 for every odd t: report divides it by -1
craft synced.dat apart.dat 0x81000001 -9223372036854775808 9223372036854775807 \
	1 -9223372036854775807
craft synced.dat min-offset.dat 0x81000001 1000 2000 -9223372036854775808 -9223372036854775808
craft synced.dat negative.dat 0x81000001 -5 9223372036854775000 -5 -5
check "c: crafted the files" test -s "$WORK/apart.dat" -a -s "$WORK/negative.dat"
# the shell's own word on the signal goes to /dev/null too
status=$( { trace-cmd report -i "$WORK/host.dat" -i "$WORK/apart.dat" > /dev/null 2>&1;
	    echo $?; } 2> /dev/null)
echo "    trace-cmd report on apart.dat: status $status (136: SIGFPE)"
# refuses_file FILE PATTERN: inspect and merge refuse FILE, naming the cause
refuses_file() {
	local file=$1 pattern=$2

	run inspect-$file inspect --plot "$WORK/$file.svg" "$WORK/$file"
	check "c: inspect refuses $file (status $status), naming the cause" \
		eval 'refused inspect-$file 1 ".*$file: its TIME_SHIFT option .*: $pattern" &&
		      test ! -e "$WORK/$file.svg"'
	run merge-$file merge --timebase host "$WORK/host.dat" "$WORK/$file"
	check "c: merge refuses $file (status $status), naming the cause" \
		eval 'refused merge-$file 1 ".*$file: its TIME_SHIFT option .*: $pattern" &&
		      test ! -s "$WORK/merge-$file.out"'
	run apply-$file apply --host-id 1 --tsc-offset 5 -o "$WORK/again.dat" "$WORK/$file"
	check "c: apply refuses $file (status $status), naming the cause" \
		eval 'refused apply-$file 1 ".*$file: its TIME_SHIFT option .*: $pattern" &&
		      test ! -e "$WORK/again.dat"'
}
refuses_file apart.dat "two samples' times are 2^63 or more apart: .*SIGFPE"
refuses_file min-offset.dat "a sample's offset is -2^63"
refuses_file negative.dat "a sample's time is negative"

echo "d. TIME_SHIFT and bound lines at the limits: inspect and its plot"
# tsync-ptp's bound lines, as the guest's trace_marker writes them
marks=("cpu=0 ts=0 offset=-9223372036854775807 bound=9223372036854775807"
       "cpu=0 ts=9223372036854775807 offset=9223372036854775807 bound=9223372036854775807"
       "cpu=0 ts=5 offset=0 bound=0")
script=
for m in "${marks[@]}"; do
	script+="echo 'tsync-sync: proto=tsync-ptp $m' > $TRACEFS/trace_marker; "
done
record_file marks.dat --file-version 7 --compression none -- sh -c "${script}sleep 0.2"
reset_tracefs
run marks apply --host "$WORK/host.dat" --tsc-offset 5 -o "$WORK/marks-a.dat" "$WORK/marks.dat"
# times 2^63 - 1 apart, offsets from -2^63 + 1 to 2^63 - 1, by tsync-ptp
craft marks-a.dat limits.dat 0x82000001 0 9223372036854775807 \
	-9223372036854775807 9223372036854775807
run limits inspect --plot "$WORK/limits.svg" "$WORK/limits.dat"
sed 's/^/    /' "$WORK/limits.out"
check "d: inspect at the limits (status $status), no sanitizer report" \
	eval '[ $status = 0 ] && ! ls "$WORK"/limits.*san.* > /dev/null 2>&1'
max=9223372036854775807
check "d: ... the samples' span and offsets in full" \
	grep -q "^cpu 0: 2 samples over $max, offset -$max to $max," "$WORK/limits.out"
check "d: ... the bounds in full" \
	grep -q "^cpu 0: error bound: 3 sync points, 3 proven: min 0 median $max max $max" \
	"$WORK/limits.out"
check "d: ... a plot of finite numbers, its 3 bounds drawn" \
	eval 'grep -q "error bound of 3 sync records" "$WORK/limits.svg" &&
	      ! grep -q -i "nan\|inf" "$WORK/limits.svg"'

echo "e. inspect --plot where no file can be"
for plot in /nonexistent/p.png /nonexistent/p.svg "$WORK/p.txt"; do
	run plot inspect --plot "$plot" "$WORK/synced.dat"
	check "e: --plot $plot: refused (status $status), naming it and the cause" \
		eval 'refused plot 1 "$plot: \(cannot create\|No such file\|the plot.s name must end\)"'
done

finish
