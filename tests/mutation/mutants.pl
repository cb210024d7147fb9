#!/usr/bin/perl
# SPDX-License-Identifier: LGPL-2.1
#
# The mutants of C source files, one small change each, in a fixed order:
#
#	relational	<  <=  >  >=  ==  !=	each to its neighbour (< to <=, == to !=)
#	logical		&& ||			swapped; a ! dropped
#	arithmetic	+ -, += -=, << >>	swapped; / and % to *
#	constants	0 to 1, 1 to 0, n to n+1; true and false swapped
#	conditions	if (c) to if (0) and if (1)
#	statements	an assignment, call, return, break or continue deleted
#
# Only code inside functions is changed (lines that begin with a tab), and
# the values of #define lines; never comments or string literals.  Array
# sizes in declarations and sizeof() are left alone: changing them makes
# mutants that behave the same.
#
# usage: mutants.pl FILE...
#	prints the mutants: file <TAB> line <TAB> column <TAB> length <TAB>
#	replacement <TAB> operator <TAB> where (column 0-based, in bytes: the
#	change replaces length bytes at column; where: "function()", and
#	" [n]" for the n-th line of the same text in it, n > 1)
# usage: mutants.pl --apply MUTANT
#	prints the file of MUTANT (one line as above) with the change made
# usage: mutants.pl --show < MUTANTS
#	prints each as file:line: where: old -> new, the lines' blanks squeezed

use strict;
use warnings;

my $DECL = qr/^\s*(?:static\s+|const\s+|unsigned\s+|signed\s+)*(?:long|int|char|short|bool|
		 double|float|size_t|ssize_t|u128|s128|uint\d+_t|int\d+_t|__int128|
		 struct\s+\w+|enum\s+\w+)\b/x;

# Comments and the insides of literals become blanks, so that nothing in
# them is taken for code; columns stay where they were.
sub mask_lines {
	my @lines = @_;
	my ($in_comment, @out) = (0);

	for my $l (@lines) {
		my $m = '';
		my $i = 0;
		my $n = length $l;

		while ($i < $n) {
			my $c = substr($l, $i, 1);
			my $two = substr($l, $i, 2);

			if ($in_comment) {
				if ($two eq '*/') {
					$in_comment = 0;
					$m .= '  ';
					$i += 2;
				} else {
					$m .= ' ';
					$i++;
				}
			} elsif ($two eq '/*') {
				$in_comment = 1;
				$m .= '  ';
				$i += 2;
			} elsif ($two eq '//') {
				$m .= ' ' x ($n - $i);
				$i = $n;
			} elsif ($c eq '"' || $c eq "'") {
				my $j = $i + 1;

				$j += substr($l, $j, 1) eq '\\' ? 2 : 1
					while $j < $n && substr($l, $j, 1) ne $c;
				$m .= $c . ('_' x ($j - $i - 1)) . ($j < $n ? $c : '');
				$i = $j + 1;
			} else {
				$m .= $c;
				$i++;
			}
		}
		push @out, $m;
	}
	return @out;
}

# The end of the parenthesised text opening at $open, or -1 past the line
sub closing {
	my ($s, $open) = @_;
	my $depth = 0;

	for my $i ($open .. length($s) - 1) {
		my $c = substr($s, $i, 1);

		$depth++ if $c eq '(';
		$depth-- if $c eq ')';
		return $i if !$depth;
	}
	return -1;
}

# Whether column $i of $s lies inside [...] of a declaration, or sizeof()
sub in_size {
	my ($s, $i) = @_;
	my $before = substr($s, 0, $i);

	return 1 if $before =~ /\bsizeof\s*\([^()]*$/;
	return $s =~ $DECL && $before =~ /\[[^\]]*$/;
}

sub mutants_of_line {
	my ($file, $no, $s, $prev, $next, $where, $out) = @_;
	my $emit = sub { push @$out, join("\t", $file, $no, @_, $where) };

	if ($s =~ /^#\s*define\s+\w+\s/) {
		while ($s =~ /\b(\d+)(U?L{0,2}|L{0,2}U?)\b/gi) {
			my ($v, $at) = ($1, $-[1]);

			next if in_size($s, $at);
			$emit->($at, length $v, $v + 1, 'constant');
		}
		return;
	}
	return if $s !~ /^\t/ || $s =~ /^\s*#/;

	while ($s =~ /(&&|\|\|)/g) {
		$emit->($-[1], 2, $1 eq '&&' ? '||' : '&&', 'logical');
	}
	while ($s =~ /(==|!=)/g) {
		$emit->($-[1], 2, $1 eq '==' ? '!=' : '==', 'relational');
	}
	while ($s =~ /(?<![<>\-=!])(<=|>=|<|>)(?![<>=])/g) {
		my ($op, $at) = ($1, $-[1]);
		my %to = ('<' => '<=', '<=' => '<', '>' => '>=', '>=' => '>');

		$emit->($at, length $op, $to{$op}, 'relational');
	}
	while ($s =~ /(?<![<>])(<<|>>)(?![=<>])/g) {
		$emit->($-[1], 2, $1 eq '<<' ? '>>' : '<<', 'shift');
	}
	while ($s =~ /(\w+|[\)\]])\s*([+\-])(?![+\-=>])/g) {
		my ($before, $op, $at) = ($1, $2, $-[2]);

		next if in_size($s, $at);

		next if $before =~ /^(?:return|case)$/ || $before =~ /^\d+e$/i;	# 1e-9
		next if substr($s, $at - 1, 1) =~ /[+\-]/;			# x++ + y
		$emit->($at, 1, $op eq '+' ? '-' : '+', 'arithmetic');
	}
	while ($s =~ /([+\-])=/g) {
		$emit->($-[1], 1, $1 eq '+' ? '-' : '+', 'arithmetic');
	}
	while ($s =~ /[\w\)\]]\s*([\/%])(?!=)/g) {
		next if in_size($s, $-[1]);
		$emit->($-[1], 1, '*', 'arithmetic');
	}
	while ($s =~ /(!)(?!=)/g) {
		$emit->($-[1], 1, '', 'logical');
	}
	while ($s =~ /(?<![\w.])(\d+)(?:[uU]?[lL]{0,2}|[lL]{0,2}[uU]?)(?![\w.])/g) {
		my ($v, $at) = ($1, $-[1]);

		next if in_size($s, $at);
		next if $s =~ /__attribute__|_Static_assert/;
		$emit->($at, length $v, $v == 0 ? 1 : $v == 1 ? 0 : $v + 1, 'constant');
	}
	while ($s =~ /\b(true|false)\b/g) {
		$emit->($-[1], length $1, $1 eq 'true' ? 'false' : 'true', 'constant');
	}
	while ($s =~ /\bif \(/g) {
		my $open = $+[0] - 1;
		my $close = closing($s, $open);

		next if $close < 0;
		$emit->($open + 1, $close - $open - 1, '0', 'condition');
		$emit->($open + 1, $close - $open - 1, '1', 'condition');
	}

	# a whole statement on this line, begun on it
	return if $s !~ /^(\s+)(\S.*;)\s*$/;
	my ($at, $stmt) = (length $1, $2);
	return if $prev !~ /[;{}]\s*$/ && $prev !~ /^\s*(?:if|else|for|while)\b.*\)\s*$/ &&
		  $prev !~ /^\s*else\s*$/;
	return if $stmt =~ $DECL || $s =~ $DECL;
	return if $stmt =~ /^(?:va_start|va_end)\s*\(/ || $stmt =~ /^[{}]/;
	return if $stmt =~ /^return\b/ && $next =~ /^}/;	# a function's last word
	return if $stmt !~ /^(?:return\b|break;|continue;|[\w\->\[\].*]+\s*(?:[+\-*\/|&]?=[^=]|\+\+|--)|
			     \*?[\w\->.]+\s*\()/x;
	$emit->($at, length $stmt, ';', 'statement');
}

sub read_lines {
	my $file = shift;

	open my $fh, '<', $file or die "$file: $!\n";
	my @raw = map { chomp; $_ } <$fh>;
	close $fh;
	return @raw;
}

sub mutate {
	my ($m, $lines) = @_;
	my ($file, $no, $col, $len, $rep) = split /\t/, $m;
	my $old = $lines->[$no - 1];
	my $new = $old;

	substr($new, $col, $len) = $rep;
	return ($file, $no, $old, $new);
}

# Blanks trimmed at the ends and squeezed inside: one line, no tabs
sub trim {
	my $s = shift;

	$s =~ s/^\s+|\s+$//g;
	$s =~ s/\s+/ /g;
	return $s;
}

if (@ARGV && $ARGV[0] eq '--apply') {
	my $m = $ARGV[1];
	my @lines = read_lines((split /\t/, $m)[0]);
	my ($file, $no, $old, $new) = mutate($m, \@lines);

	$lines[$no - 1] = $new;
	print "$_\n" for @lines;
	exit 0;
}
if (@ARGV && $ARGV[0] eq '--show') {
	my %files;

	while (my $m = <STDIN>) {
		chomp $m;
		my $f = (split /\t/, $m)[0];
		$files{$f} ||= [read_lines($f)];
		my ($file, $no, $old, $new) = mutate($m, $files{$f});
		my $where = (split /\t/, $m)[6];

		printf "%s:%d: %s: %s -> %s\n", $file, $no, $where, trim($old), trim($new);
	}
	exit 0;
}

for my $file (@ARGV) {
	my @raw = read_lines($file);
	my @code = mask_lines(@raw);
	my ($function, %seen, @out) = ('');

	for my $i (0 .. $#code) {
		my $prev = '';
		my $next = $i < $#code ? $code[$i + 1] : '';
		my $text = trim($raw[$i]);
		my $where;

		# a line at the left margin begins a function, or leaves them
		if ($code[$i] =~ /^[A-Za-z_]/) {
			$function = $code[$i] =~ /(\w+)\s*\(/ ? "$1()" : '';
			%seen = ();
		}
		$where = $function || 'file scope';
		$where .= " [$seen{$text}]" if ++$seen{$text} > 1;
		for (my $j = $i - 1; $j >= 0; $j--) {
			next if $code[$j] =~ /^\s*$/;
			$prev = $code[$j];
			last;
		}
		mutants_of_line($file, $i + 1, $code[$i], $prev, $next, $where, \@out);
	}
	print "$_\n" for @out;
}
