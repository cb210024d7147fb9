#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# trace-cmd-tsync inspect --plot on a real tsync-ptp session (host and
# guest on this machine, x86-tsc, a sync point every 100 ms):
#  a. gnuplot draws one SVG and one PNG of the whole file: a panel per
#     guest CPU with its samples, its sync records' band and its drift in
#     ppm as inspect prints it; seconds from the trace's start on x, the
#     offset relative to the first sample in ns or us on y;
#  b. a session without --tsync-interval: its guest's trace holds no sync
#     record (trace-cmd syncs before it starts and after it stops), and
#     record has put the host's copy of every one into the guest file;
#     report reads it as before;
#  c. a picture that cannot be written says why, status 1, and leaves the
#     user's file as it was: no gnuplot, gnuplot failing, a directory
#     that cannot be, a name of the wrong kind;
#  d. hostile names (quotes, newlines, gnuplot commands) of the output, the
#     input and TMPDIR: the picture lands at exactly that name and no
#     command in them runs; gnuplot's directory is removed.
# Needs root, tracefs, network namespaces and gnuplot (make deps).
. "$(dirname "$0")/lib.sh"

require_tracefs
require_netns
command -v gnuplot > /dev/null || skip "needs gnuplot (make deps: gnuplot-nox)"

# run NAME ARGS...: trace-cmd-tsync (or $RUN_TOOL) ARGS, output in NAME.out and NAME.err, status in $status
run() {
	local name=$1

	shift
	"${RUN_TOOL:-$TSYNC}" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
	status=$?
}

# refused NAME PATTERN: status 1 and one line on stderr matching PATTERN
refused() {
	[ "$status" = 1 ] && grep -q "^tsync: error: $2" "$WORK/$1.err" ||
		{ sed 's/^/    /' "$WORK/$1.err"; false; }
}

# svg_has FILE TEXT: gnuplot's SVG shows TEXT (as escaped XML)
svg_has() {
	grep -qF -- "$(sed "s/&/\&amp;/g; s/'/\&#39;/g; s/</\&lt;/g" <<< "$2")" "$1" ||
		grep -qF -- "$2" "$1"
}

echo "a. the picture of a real session"
agent_up "$TSYNC" --tsync ptp
record "$TSYNC" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc -e sched_switch \
	--tsync-interval 100 -A 127.0.0.1:$AGENT_PORT -e sched_switch sleep 1
stop_agent
check_ptp_session ptp
mkdir -m 0700 "$WORK/tmp"
TMPDIR=$WORK/tmp run a inspect --plot "$WORK/sync.svg" "$WORK/$GUEST_DAT"
sed 's/^/    /' "$WORK/a.out"
check "a: inspect --plot succeeded (status $status)" test "$status" = 0
check "a: an SVG drawn by gnuplot" \
	eval 'head -c 1000 "$WORK/sync.svg" | grep -q "<svg" && grep -q "Produced by GNUPLOT" "$WORK/sync.svg"'
check "a: gnuplot's directory is gone" test -z "$(ls -A "$WORK/tmp")"
cpus=$(nproc)
svg=$WORK/sync.svg
check "a: the title names tsync-ptp and the clock" \
	svg_has "$svg" "TIME_SHIFT by tsync-ptp, clock x86-tsc at this machine's TSC rate"
check "a: x is seconds from the trace's start" svg_has "$svg" "time from the start of the trace (s)"
check "a: the trace's span is marked" \
	eval 'svg_has "$svg" "trace starts" && svg_has "$svg" "trace ends"'
time_shift_by_cpu $GUEST_DAT > "$WORK/samples"
for ((cpu = 0; cpu < cpus; cpu++)); do
	n=$(awk -v c=$cpu '$1 == c' "$WORK/samples" | wc -l)
	r=$(sed -n "s/^cpu $cpu: error bound: [0-9]* sync points, \([0-9]*\) proven.*/\1/p" \
	    "$WORK/a.out")
	drift=$(sed -n "s/^cpu $cpu: .* drift \(-\?[0-9.]*\) ppm.*/\1/p" "$WORK/a.out")
	check "a: CPU $cpu: a panel with its offset in ns or us" \
		grep -qE "CPU $cpu: offset - first offset \((ns|us)\)" "$svg"
	check "a: CPU $cpu: its $n samples as points" svg_has "$svg" "$n samples"
	check "a: CPU $cpu: the band of its $r sync records" \
		svg_has "$svg" "error bound of $r sync records"
	check "a: CPU $cpu: its fitted drift, $drift ppm as inspect says" \
		grep -qE "fit: drift \+?$drift ppm, jitter [0-9.e+-]+ (ns|us)" "$svg"
done
run png inspect --plot "$WORK/sync.png" "$WORK/$GUEST_DAT"
check "a: a PNG (status $status)" \
	eval '[ $status = 0 ] && [ "$(head -c 4 "$WORK/sync.png" | tail -c 3)" = PNG ]'
# the PNG's header: width and height, 1000 by 40 + 260 per CPU
size=$(od -An -tu1 -j16 -N8 "$WORK/sync.png" |
       awk '{ printf "%d %d", $1 * 2^24 + $2 * 2^16 + $3 * 256 + $4, $5 * 2^24 + $6 * 2^16 + $7 * 256 + $8 }')
check "a: one picture for the whole file: 1000 by $((40 + 260 * cpus)) ($size)" \
	test "$size" = "1000 $((40 + 260 * cpus))"

echo "b. without --tsync-interval: every sync record kept, none in the guest's trace"
mv "$WORK/$GUEST_DAT" "$WORK/interval.dat"
mv "$WORK/trace.dat" "$WORK/interval-host.dat"
reset_tracefs
agent_up "$TSYNC" --tsync ptp
mkdir -m 0700 "$WORK/rtmp"
TMPDIR=$WORK/rtmp record "$TSYNC" --tsync ptp -- -C x86-tsc -B $HOST_BUFFER -C x86-tsc \
	-e sched_switch -A 127.0.0.1:$AGENT_PORT -e sched_switch sleep 0.5
stop_agent
check_ptp_session plain
samples=$(time_shift_samples $GUEST_DAT | wc -l)
check "b: the guest's trace holds no sync record ($(sync_records $GUEST_DAT | wc -l))" \
	test -z "$(sync_records $GUEST_DAT)"
run d inspect --plot "$WORK/plain.svg" "$WORK/$GUEST_DAT"
sed 's/^/    /' "$WORK/d.out"
check "b: inspect finds all $samples, kept by record" \
	grep -q ": $samples sync records, every sync point's, kept in the file by trace-cmd-tsync record" \
	"$WORK/d.out"
check "b: one per sample, each proven" \
	test "$(grep -o "[0-9]* proven" "$WORK/d.out" | awk '{ n += $1 } END { print n }')" = "$samples"
check "b: the plot has their bands" \
	test "$(grep -c "error bound of [0-9]* sync records" "$WORK/plain.svg")" = "$cpus"
trace-cmd report -i "$WORK/trace.dat" -i "$WORK/$GUEST_DAT" > "$WORK/d.report" 2> "$WORK/d.report-err"
check "b: report merges the files and says nothing of tsync's option" \
	eval 'grep -q "^$GUEST_DAT:" "$WORK/d.report" && ! grep -qi "option" "$WORK/d.report-err"'
cp "$WORK/$GUEST_DAT" "$WORK/plain.orig"
RUN_TOOL=$TOP/build/tsync-offline run again keep-records "$WORK/d.out" "$WORK/$GUEST_DAT" \
	"$WORK/interval.dat"
check "b: keep-records again, and with lines of no sample: both files as they were" \
	eval '[ $status = 0 ] && cmp -s "$WORK/$GUEST_DAT" "$WORK/plain.orig"'
check "b: the launcher's copy of the records is removed" test -z "$(ls -A "$WORK/rtmp")"
mv "$WORK/interval.dat" "$WORK/$GUEST_DAT"

echo "c. pictures that cannot be written"
echo "the user's file" > "$WORK/keep.svg"
cp "$WORK/keep.svg" "$WORK/keep.orig"
# a PATH with everything inspect runs but gnuplot
mkdir "$WORK/bin"
ln -s "$TOP/build/tsync-offline" "$WORK/bin/tsync-offline"
PATH=$WORK/bin RUN_TOOL=$WORK/bin/tsync-offline run nognu \
	inspect --plot "$WORK/keep.svg" "$WORK/$GUEST_DAT"
check "c: no gnuplot: refused (status $status), naming gnuplot and the package" \
	refused nognu ".*keep.svg: cannot draw it: gnuplot not found (install Debian's gnuplot-nox"
check "c: ... the user's file as it was" cmp -s "$WORK/keep.svg" "$WORK/keep.orig"
printf '#!/bin/sh\necho "line 0: out of ink" >&2\nexit 1\n' > "$WORK/bin/gnuplot"
chmod +x "$WORK/bin/gnuplot"
PATH=$WORK/bin:$PATH run badgnu inspect --plot "$WORK/keep.svg" "$WORK/$GUEST_DAT"
check "c: gnuplot failing: refused (status $status), with gnuplot's words" \
	refused badgnu ".*keep.svg: gnuplot failed (status 1): line 0: out of ink"
check "c: ... the user's file as it was" cmp -s "$WORK/keep.svg" "$WORK/keep.orig"
check "c: ... nothing left beside it" test -z "$(ls -A "$WORK" | grep '^\.keep')"
for plot in /nonexistent/p.png "$WORK/keep.orig/p.svg" "$WORK/p.txt"; do
	run where inspect --plot "$plot" "$WORK/$GUEST_DAT"
	check "c: --plot $plot: refused (status $status), naming it and the cause" \
		refused where "$plot: \(cannot create a file beside it\|Not a directory\|the plot.s name must end\)"
done

echo "d. hostile names"
# a command that ran would leave its mark at $PWNED (names hold no slash)
export PWNED=$WORK/pwned
nl=$'\n'
names=("$WORK/x'; system('touch \$PWNED'); print '.svg"
       "$WORK/new${nl}set output 'x'${nl}system(\"touch \$PWNED\")${nl}.png"
       "$WORK/\`touch \$PWNED\`\$(touch \$PWNED).svg")
input="$WORK/in'put${nl}system('touch \$PWNED').dat"
tmp="$WORK/t'mp${nl}system('touch \$PWNED')"
# the first name pasted into a script would run its command: the names bite
mkdir "$WORK/naive"
(cd "$WORK/naive" && printf "set terminal svg\nset output '%s'\nplot x\n" "${names[0]}" |
	gnuplot -d) 2> /dev/null
check "d: pasted into gnuplot's commands, a name runs its own" test -e "$PWNED"
rm -f "$PWNED" "${names[0]%%\'*}"
cp "$WORK/$GUEST_DAT" "$input"
mkdir -m 0700 "$tmp"
i=0
for name in "${names[@]}"; do
	i=$((i + 1))
	TMPDIR=$tmp run hostile$i inspect --plot "$name" "$input"
	check "d: hostile name $i: drawn (status $status) at exactly that name" \
		eval '[ $status = 0 ] && [ -s "$name" ]'
done
check "d: no command in a name ran" test ! -e "$PWNED"
check "d: the SVG under a quoted name is gnuplot's" grep -q "Produced by GNUPLOT" "${names[0]}"
check "d: the PNG under a name of newlines is one" \
	test "$(head -c 4 "${names[1]}" | tail -c 3)" = PNG
check "d: gnuplot's directories, made in the hostile TMPDIR, are gone" test -z "$(ls -A "$tmp")"

finish
