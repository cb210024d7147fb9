#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Mutation testing of the pure code: does a wrong line make a unit test fail?
#
# Every mutant of MUTATION_SRC that mutants.pl lists (an operator swapped, a
# constant changed, a condition or a statement deleted: one change each) is
# compiled into the unit test binary in a scratch copy of the tree, and the
# tests are run with a time limit.  A mutant the tests fail on, crash on or
# hang on is killed.  One they pass is tried again as check tries the code,
# in the binary under AddressSanitizer and UndefinedBehaviorSanitizer; if
# that passes too, the mutant survived.  A mutant that reads a variable
# before it is set did not compile: the build refuses it (its warnings are
# errors), and what it reads is undefined, which no test can pin down; it
# counts neither way.  Other warnings stay warnings: a deleted statement
# leaves an empty body, a swapped operator wants parentheses, and the
# mutant is no less wrong for that.  A mutant listed in
# equivalent.txt survives by nature: it behaves as the original does, and
# the file says why.  Prints the counts, the score, and every survivor.
# Exits 1 if a survivor is not explained.
#
# usage: make mutation [MUTATION_SRC="plugin/ptp-fit.c ..."]
#
# The Makefile passes the files (MUTATION_SRC: PURE_SRC without msg.c, log.c
# and config.c, which do I/O) and how to build the unit tests:
#	UNIT_INPUTS	every source of the unit test binary
#	UNIT_CFLAGS	its preprocessor flags
#	UNIT_WARN	the build's warning flags
#	UNIT_LIBS	its libraries
#	UNIT_SANITIZE	the flags of its sanitizer build
# Also: MUTATION_JOBS (2) workers, MUTATION_TIMEOUT (10) seconds a run may
# take, MUTATION_SAMPLE=N MUTATION_SEED=S a fixed random sample of N mutants.
# The tree is never written to.

set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

: "${MUTATION_SRC:?the files to mutate; run through make mutation}"
: "${UNIT_INPUTS:?the sources of the unit tests; run through make mutation}"
: "${UNIT_CFLAGS:=-Iinclude -Itests/helpers -D_GNU_SOURCE}"
: "${UNIT_LIBS:=-lcunit -lm}"
: "${UNIT_WARN:=-Wall -Wextra -Werror}"
: "${UNIT_SANITIZE:=-O1 -fsanitize=address,undefined -fno-sanitize-recover=all}"
: "${CC:=cc}"
jobs=${MUTATION_JOBS:-2}
limit=${MUTATION_TIMEOUT:-10}
opt="-O2"

work=$(mktemp -d "${TMPDIR:-/tmp}/tsync-mutants.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree" "$work/obj" "$work/san"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$tree" -xf - || exit 1
cd "$tree" || exit 1

# The build is "obj" (plain) or "san" (sanitizers)
obj_of() {
	echo "$work/$1/${2%.c}.o"
}

flags_of() {
	if [ "$1" = san ]; then
		echo "$UNIT_SANITIZE"
	else
		echo "$opt"
	fi
}

# compile BUILD SOURCE OBJECT [FILE]: FILE holds SOURCE's text, mutated
compile() {
	local build=$1 src=$2 out=$3 from=${4:-$2}

	mkdir -p "$(dirname "$out")"
	# -iquote: the source's own directory, wherever the mutant is written
	$CC $UNIT_CFLAGS -iquote "$(dirname "$src")" $(flags_of "$build") $UNIT_WARN \
		-Wno-error -Werror=uninitialized -Werror=maybe-uninitialized \
		-c -o "$out" "$from"
}

# link BUILD SOURCE OBJECT BINARY: the unit tests with OBJECT for SOURCE
link() {
	local build=$1 src=$2 mutant=$3 out=$4 objs=() s

	for s in $UNIT_INPUTS; do
		if [ "$s" = "$src" ]; then
			objs+=("$mutant")
		else
			objs+=("$(obj_of "$build" "$s")")
		fi
	done
	$CC $(flags_of "$build") -o "$out" "${objs[@]}" $UNIT_LIBS
}

# try BUILD SOURCE FILE DIR: killed, survived or stillborn
try() {
	local build=$1 src=$2 from=$3 dir=$4

	rm -f "$dir/mutant.o" "$dir/unit-tests"
	if ! compile "$build" "$src" "$dir/mutant.o" "$from" 2>/dev/null ||
	   ! link "$build" "$src" "$dir/mutant.o" "$dir/unit-tests" 2>/dev/null; then
		echo stillborn
	elif run_tests "$dir/unit-tests"; then
		echo survived
	else
		echo killed
	fi
}

# A crash is reported by the shell that waits: this one, to /dev/null
run_tests() {
	(timeout -k 2 "$limit" "$1" >/dev/null 2>&1; exit $?) 2>/dev/null
}

echo "== building the unit tests in $work"
for build in obj san; do
	for s in $UNIT_INPUTS; do
		compile $build "$s" "$(obj_of $build "$s")" ||
			{ echo "the unit tests do not build"; exit 1; }
	done
	link $build "" "" "$work/$build/unit-tests" || { echo "the unit tests do not link"; exit 1; }
	if ! run_tests "$work/$build/unit-tests"; then
		echo "the unit tests ($build) fail without any mutant: fix them first"
		exit 1
	fi
done

perl "$here/mutants.pl" $MUTATION_SRC > "$work/all.tsv" || exit 1
if [ -n "${MUTATION_SAMPLE:-}" ]; then
	# a fixed sample: the same seed picks the same mutants, kept in order
	perl -e 'srand(shift); my $n = shift; my @m = <STDIN>;
		 my @pick = sort { $a->[0] <=> $b->[0] } map { [rand, $_] } 0 .. $#m;
		 splice(@pick, $n) if $n < @pick;
		 print @m[sort { $a <=> $b } map { $_->[1] } @pick]' \
		"${MUTATION_SEED:-1}" "$MUTATION_SAMPLE" < "$work/all.tsv" > "$work/mutants.tsv"
else
	cp "$work/all.tsv" "$work/mutants.tsv"
fi
total=$(wc -l < "$work/mutants.tsv")
echo "== $total mutants of: $MUTATION_SRC"
echo "   $jobs workers, $limit s per run"

# worker K: every $jobs-th mutant from the K-th on, in its own directory
worker() {
	local k=$1 dir=$work/w$1 i=0 m src status

	mkdir -p "$dir"
	while IFS= read -r m; do
		i=$((i + 1))
		[ $(((i - 1) % jobs)) = "$k" ] || continue
		src=${m%%$'\t'*}
		mkdir -p "$dir/src/$(dirname "$src")"
		perl "$here/mutants.pl" --apply "$m" > "$dir/src/$src"
		status=$(try obj "$src" "$dir/src/$src" "$dir")
		if [ "$status" = survived ] &&
		   [ "$(try san "$src" "$dir/src/$src" "$dir")" = killed ]; then
			status=killed
		fi
		printf '%s\t%s\n' "$status" "$m" >> "$dir/results"
		if [ "$k" = 0 ] && [ $((i % 100)) -lt "$jobs" ]; then
			echo "   $i of $total"
		fi
	done < "$work/mutants.tsv"
}

start=$SECONDS
for ((k = 0; k < jobs; k++)); do
	worker "$k" &
done
wait
cat "$work"/w*/results > "$work/results"
cut -f2- "$work/results" | perl "$here/mutants.pl" --show > "$work/shown"
paste -d '\t' <(cut -f1,2 "$work/results") "$work/shown" > "$work/report"

perl - "$here/equivalent.txt" "$work/report" "$((SECONDS - start))" "${MUTATION_SAMPLE:-}" <<'EOF'
use strict;
use warnings;

my ($equivalents, $report, $seconds, $sample) = @ARGV;
my (%why, %used, %mutated, $reason, %files, @survivors);
my ($killed, $survived, $stillborn, $explained) = (0, 0, 0, 0);

# "file: where: old -> new" keys, each after the comment that explains it;
# files are known by their base name, wherever they move
sub key {
	my $k = shift;

	$k =~ s{^[^:]*/}{};
	return $k;
}

if (open my $fh, '<', $equivalents) {
	while (<$fh>) {
		chomp;
		if (/^#\s?(.*)/) {
			$reason = defined $reason && $reason ne '' ? "$reason $1" : $1;
		} elsif (/\S/) {
			s/^\s+|\s+$//g;
			$why{key($_)} = $reason;
		} else {
			$reason = undef;
		}
	}
}

open my $fh, '<', $report or die "$report: $!\n";
while (<$fh>) {
	chomp;
	my ($status, $file, $shown) = split /\t/;
	my ($key) = $shown =~ /^[^:]+:\d+: (.*)$/;

	$files{$file} ||= { killed => 0, survived => 0 };
	$mutated{key($file)} = 1;
	if ($status eq 'stillborn') {
		$stillborn++;
		next;
	}
	$files{$file}{$status}++;
	if ($status eq 'killed') {
		$killed++;
		next;
	}
	$survived++;
	my $reason = $why{key("$file: $key")};
	$used{key("$file: $key")} = 1;
	$explained++ if defined $reason;
	push @survivors, [$shown, $reason];
}

printf "\n== %d mutants in %d s: %d killed, %d survived, %d did not compile\n\n",
       $killed + $survived + $stillborn, $seconds, $killed, $survived, $stillborn;
for my $f (sort keys %files) {
	my ($k, $s) = ($files{$f}{killed}, $files{$f}{survived});

	printf "   %-32s %4d killed %3d survived  %5.1f%%\n", $f, $k, $s,
	       $k + $s ? 100 * $k / ($k + $s) : 100;
}
printf "\nscore: %d of %d killed, %.1f%%\n", $killed, $killed + $survived,
       $killed + $survived ? 100 * $killed / ($killed + $survived) : 100;
printf "       %.1f%% of the %d that are not equivalent\n",
       100 * $killed / ($killed + $survived - $explained), $killed + $survived - $explained
	if $killed + $survived - $explained;

# by file, then line
@survivors = map { $_->[1] } sort { $a->[0] cmp $b->[0] }
	     map { [sprintf("%s:%06d", $_->[0] =~ /^([^:]+):(\d+)/), $_] } @survivors;
my @unexplained = grep { !defined $_->[1] } @survivors;
print "\nsurvivors explained as equivalent (tests/mutation/equivalent.txt):\n" if $explained;
for (grep { defined $_->[1] } @survivors) {
	print "   $_->[0]\n      $_->[1]\n";
}
print "\nsurvivors no test kills:\n" if @unexplained;
print "   $_->[0]\n" for @unexplained;

# entries of the files mutated that no mutant matched: killed now, or gone
my @stale = $sample ? () :
	    grep { my ($f) = /^([^:]+):/; $mutated{$f} && !$used{$_} } sort keys %why;
print "\nlisted as equivalent, but killed or no longer made (tests/mutation/equivalent.txt):\n"
	if @stale;
print "   $_\n" for @stale;
exit(@unexplained ? 1 : 0);
EOF
