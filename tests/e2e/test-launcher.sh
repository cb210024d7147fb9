#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# trace-cmd-tsync passes trace-cmd's arguments through, names what is
# missing, and the plugin stays out of every process that is not trace-cmd.
# It and its offline subcommands print --help on stdout with status 0, name
# a wrong command line as an error ("...: error: ...") with status 2, and
# refuse the --tsync options, which cannot apply to them; --version names
# tsync's release and the trace-cmd it runs.
# Needs root and tracefs (for the record through the launcher).
. "$(dirname "$0")/lib.sh"

require_tracefs

# says RC PATTERN: the last launcher run exited RC and printed PATTERN
says() {
	[ "$rc" = "$1" ] && grep -q -- "$2" <<< "$out"
}

out=$("$TSYNC" --help 2> "$WORK/help.err"); rc=$?
check "--help exits 0 and documents --tsync, on stdout" says 0 "--tsync kvm"
check "--help: nothing on stderr" test ! -s "$WORK/help.err"

release=$(sed -n 's/^TSYNC_VERSION[[:space:]]*:=[[:space:]]*//p' "$TOP/Makefile")
out=$("$TSYNC" --version 2> /dev/null); rc=$?
check "--version: tsync $release" says 0 "^trace-cmd-tsync $release$"
tracecmd_release=$(trace-cmd --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n 1)
check "--version: and the trace-cmd it runs" \
	says 0 "^runs trace-cmd $tracecmd_release ($(command -v trace-cmd))$"
check "--version: that tsync serves it, and the wire versions" \
	says 0 "^tsync serves it, speaking tsync-ptp/1-2 tsync-kvm/1-2 "
out=$(TSYNC_TRACE_CMD=/bin/true "$TSYNC" --version 2> /dev/null); rc=$?
check "--version: a trace-cmd that exports nothing is not served" \
	says 0 "^tsync cannot serve it: this trace-cmd exports none of the functions tsync needs"
out=$("$TOP/build/tsync-offline" --version 2> /dev/null); rc=$?
check "tsync-offline --version: $release" says 0 "^tsync-offline $release$"

out=$("$TSYNC" --tsync foo report 2>&1); rc=$?
check "a bad --tsync value is named" \
	says 2 "^trace-cmd-tsync: error: --tsync foo: expected kvm, ptp, auto or builtin"
out=$("$TSYNC" --tsync 2>&1); rc=$?
check "--tsync without a value: its four values named" \
	says 2 "^trace-cmd-tsync: error: --tsync needs kvm, ptp, auto or builtin"
out=$("$TSYNC" 2>&1); rc=$?
check "no COMMAND: a usage error" says 2 "^trace-cmd-tsync: error: no COMMAND"

# The --tsync options do nothing for the offline subcommands: refused, not
# handed to trace-cmd as a command of its own
for opt in "--tsync ptp" "--tsync=kvm" "--tsync-vm 1" "--tsync-probes 8" "--tsync-verbose"; do
	for sub in apply inspect merge; do
		out=$("$TSYNC" $opt $sub --help 2>&1); rc=$?
		check "$opt $sub: refused, naming both" says 2 \
			"^trace-cmd-tsync: error: $opt: $sub works on recorded files, where no time-sync"
	done
done

out=$("$TSYNC" --tsync kvm record -C local -A 127.0.0.1:1 true 2>&1); rc=$?
check "--tsync kvm with another clock is refused" says 2 "needs the x86-tsc clock, not -C local"

# --tsync-vm after an -A names that guest's VM: one for each guest
out=$("$TSYNC" --tsync-vm 7 record -A 127.0.0.1:1 -A 127.0.0.2:1 true 2>&1); rc=$?
check "--tsync-vm before two guests: refused, saying where it goes" says 2 \
	"^trace-cmd-tsync: error: --tsync-vm 7: this record has 2 guests; give --tsync-vm after the -A"
out=$("$TSYNC" record -A 127.0.0.1:1 --tsync-vm 7 --tsync-vm=8 -A 127.0.0.2:1 true 2>&1); rc=$?
check "--tsync-vm twice for one guest: refused" says 2 \
	"^trace-cmd-tsync: error: --tsync-vm 8: guest 127.0.0.1:1 has one already (--tsync-vm 7)"
out=$("$TSYNC" record -A guest@3 --tsync-vm 7 -A 127.0.0.2:1 true 2>&1); rc=$?
check "--tsync-vm for one of two vsock guests: refused, saying why" says 2 \
	"^trace-cmd-tsync: error: --tsync-vm 7: -A guest@3 is a vsock guest, whose VM trace-cmd finds"

# The offline subcommands: --help on stdout, status 0; a wrong command line
# named as an error on stderr, status 2
for sub in apply inspect merge; do
	out=$("$TSYNC" $sub --help 2> "$WORK/help.err"); rc=$?
	check "$sub --help: usage on stdout, status 0" says 0 "^usage: trace-cmd-tsync $sub"
	check "$sub --help: nothing on stderr" test ! -s "$WORK/help.err"
	out=$("$TSYNC" $sub --no-such-option 2>&1 > /dev/null); rc=$?
	check "$sub: an unknown option is a usage error" \
		says 2 "^tsync: error: $sub: unknown option '--no-such-option'"
done
# usage_error WHAT PATTERN ARGS...: apply ARGS (WHAT, in words) exits 2
# with an error that matches PATTERN
usage_error() {
	local what=$1 pattern=$2

	shift 2
	out=$("$TSYNC" apply "$@" 2>&1 > /dev/null); rc=$?
	check "apply $what: status 2, saying so" says 2 "^tsync: error: apply: $pattern"
}
usage_error "without GUEST.dat" "no GUEST.dat given" --host-id 1 --tsc-offset 1 -o out.dat
usage_error "without a host trace" "no host trace: --host HOST.dat, --host-id ID or --events" \
	--tsc-offset 1 -o out.dat guest.dat
usage_error "without an output" "no output: -o OUT.dat, or --in-place" --host-id 1 --tsc-offset 1 guest.dat
usage_error "with -o and --in-place" "-o and --in-place exclude each other" --host-id 1 --tsc-offset 1 \
	-o out.dat --in-place guest.dat
usage_error "without an offset" "no TSC offset: --tsc-offset \\[VCPU=\\]N, or --events" --host-id 1 \
	-o out.dat guest.dat
usage_error "without an option's value" "--tsc-offset needs a value" --host-id 1 --tsc-offset
usage_error "with a wrong number" "--host-id x: expected a decimal number" --host-id x
out=$("$TSYNC" inspect 2>&1); rc=$?
check "inspect without GUEST.dat: status 2, saying so" says 2 "^tsync: error: inspect: no GUEST.dat"
out=$("$TSYNC" merge host.dat 2>&1); rc=$?
check "merge without GUEST.dat: status 2, saying so" says 2 "^tsync: error: merge: no GUEST.dat"
out=$("$TSYNC" merge --timebase vcpu host.dat guest.dat 2>&1); rc=$?
check "merge --timebase vcpu: status 2, saying so" \
	says 2 "^tsync: error: merge: --timebase vcpu: expected host or guest"
out=$("$TOP/build/tsync-offline" 2>&1); rc=$?
check "tsync-offline without a command: status 2" says 2 "^tsync: error: no command"
out=$("$TOP/build/tsync-offline" --help 2> /dev/null); rc=$?
check "tsync-offline --help: status 0, on stdout" says 0 "^usage: tsync-offline"

# The scripts: --help is the comment at their top, before any of their work
for script in "$TOP"/scripts/dev/*.sh; do
	out=$("$script" --help 2> "$WORK/help.err"); rc=$?
	check "$(basename "$script") --help: its usage on stdout, status 0" \
		eval '[ "$rc" = 0 ] && [ "$(wc -l <<< "$out")" -ge 3 ] && ! grep -q "^#" <<< "$out"'
	check "$(basename "$script") --help: nothing on stderr" test ! -s "$WORK/help.err"
done

out=$("$TSYNC" --tsync ptp report -i x.dat 2>&1); rc=$?
check "--tsync with a command that syncs nothing is refused" \
	says 2 "^trace-cmd-tsync: error: --tsync ptp: report runs no time-sync protocol"

out=$(TSYNC_PLUGIN=/nonexistent/tsync.so "$TSYNC" record true 2>&1); rc=$?
check "a missing plugin is named" says 2 "plugin tsync.so not found at /nonexistent/tsync.so"

out=$(TSYNC_TRACE_CMD=/nonexistent/trace-cmd "$TSYNC" record true 2>&1); rc=$?
check "a missing trace-cmd is named" says 2 "trace-cmd not found"

# The traced command and any other process: no plugin, no output
out=$(LD_PRELOAD=$PLUGIN sh -c 'echo "preload=$LD_PRELOAD"' 2>&1)
check "the plugin removes itself from LD_PRELOAD ($out)" test "$out" = "preload="
out=$(LD_PRELOAD=$PLUGIN:$EPERM_SHIM sh -c 'echo "$LD_PRELOAD"' 2>&1)
check "other preloads are kept ($out)" test "$out" = "$EPERM_SHIM"

cd "$WORK" || exit 1
env LD_PRELOAD="$EPERM_SHIM" "$TSYNC" record -d --no-filter -e sched_switch -o plain.dat \
	sh -c 'echo "child LD_PRELOAD=$LD_PRELOAD"; ls /proc/self/map_files -l | grep -c tsync.so' \
	> record.log 2>&1
check "record through the launcher writes a readable file" report_reads plain.dat
check "the traced command runs without the plugin" \
	grep -qx "child LD_PRELOAD=$EPERM_SHIM" record.log
check "the traced command has no tsync.so mapped" grep -qx 0 record.log

# The launcher's options stand among trace-cmd's, never among the traced
# program's arguments nor after "--"
LD_PRELOAD="$EPERM_SHIM" "$TSYNC" record -d --no-filter -e sched_switch -o args.dat \
	sh -c 'echo "args: $*"; echo "vm: $TSYNC_VM"' sh --tsync ptp --tsync-vm 7 \
	> args.log 2>&1
check "the traced program keeps its --tsync arguments" grep -qx "args: --tsync ptp --tsync-vm 7" args.log
check "and they set nothing" grep -qx "vm: " args.log
out=$("$TSYNC" record -e sched_switch --tsync-probes abc -o x.dat true 2>&1); rc=$?
check "a launcher option among record's options is the launcher's" \
	says 2 "error: --tsync-probes abc"
out=$("$TSYNC" record -e sched_switch --tsync-interval 1 --tsync-probes=abc -o x.dat true 2>&1); rc=$?
check "... after record's own --tsync-interval and its value too" says 2 "error: --tsync-probes abc"
LD_PRELOAD="$EPERM_SHIM" "$TSYNC" record -d --no-filter -e sched_switch -o dash.dat -- \
	sh -c 'echo "args: $*"' sh --tsync-vm 7 > dash.log 2>&1
check "after --, nothing is the launcher's" grep -qx "args: --tsync-vm 7" dash.log
out=$(LD_PRELOAD="$EPERM_SHIM" "$TSYNC" --tsync kvm record -d --no-filter -e sched_switch -o clock.dat \
	sh -c 'exit 0' -C local 2>&1); rc=$?
check "a -C among the program's arguments is not record's clock ($rc)" test "$rc" = 0

# tsync is in use, or the command says why: a plugin that cannot be
# preloaded, a trace-cmd that does not export tsync's functions (/bin/true
# stands for a trace-cmd built with meson), a wrong setting
mkdir -p "$WORK/a b" && cp "$PLUGIN" "$WORK/a b/"
out=$(TSYNC_PLUGIN="$WORK/a b/tsync.so" "$TSYNC" --tsync ptp record -e sched_switch true 2>&1); rc=$?
check "--tsync ptp with a plugin path that has a space fails, naming it" \
	says 1 "error: --tsync ptp: the plugin's path ($WORK/a b/tsync.so) has a space"
out=$(TSYNC_PLUGIN="$WORK/a b/tsync.so" LD_PRELOAD="$EPERM_SHIM" "$TSYNC" record -d --no-filter -e sched_switch \
	-o space.dat true 2>&1); rc=$?
check "auto runs on with the built-ins, saying so once ($rc)" \
	test "$rc" = 0 -a "$(grep -c 'tsync is not in use: the plugin.s path' <<< "$out")" = 1
out=$(TSYNC_TRACE_CMD=/bin/true "$TSYNC" --tsync kvm record -e sched_switch true 2>&1); rc=$?
check "--tsync kvm with a trace-cmd that exports nothing fails, naming it" \
	says 1 "error: --tsync kvm: this trace-cmd exports none of the functions tsync needs"
for setting in "--tsync-probes abc" "--tsync-probes 2" "--tsync-probes=99999999999"; do
	out=$("$TSYNC" $setting record -e sched_switch true 2>&1); rc=$?
	check "$setting is refused, not ignored" says 2 "error: --tsync-probes .*: expected a number"
done
# record --tsync kvm on a host where tsync-kvm has no VM to read: debugfs
# elsewhere, or (a directory made here stands for it) one without VMs
out=$(TSYNC_DEBUGFS=$WORK/nowhere "$TSYNC" --tsync kvm record -A 127.0.0.1:9 true 2>&1); rc=$?
check "--tsync kvm with debugfs elsewhere fails, naming it" \
	says 1 "error: --tsync kvm: tsync-kvm has no VM to read: $WORK/nowhere/kvm: No such file"
mkdir -p "$WORK/no-vm/kvm"
out=$(TSYNC_DEBUGFS=$WORK/no-vm "$TSYNC" --tsync kvm record -A 127.0.0.1:9 true 2>&1); rc=$?
check "--tsync kvm with no VM running fails, naming it" \
	says 1 "error: --tsync kvm: tsync-kvm has no VM to read: $WORK/no-vm/kvm shows no running VM"

# the plugin itself, preloaded by hand: the release, and --tsync kvm|ptp
out=$(TSYNC_CHECK=1 TSYNC_TRACECMD_VERSION=3.1.1 LD_PRELOAD=$PLUGIN trace-cmd 2>&1)
check "3.1.1's layout is not tsync's" grep -q "refused: trace-cmd 3.1.1 is not a release" <<< "$out"
out=$(TSYNC_CHECK=1 TSYNC_TRACECMD_VERSION=3.5.0 LD_PRELOAD=$PLUGIN trace-cmd 2>&1)
check "nor is 3.5.0's" grep -q "refused: trace-cmd 3.5.0 is not a release" <<< "$out"
out=$(TSYNC_CHECK=1 TSYNC_TRACECMD_VERSION=3.1.2 LD_PRELOAD=$PLUGIN trace-cmd 2>&1)
check "3.1.2's is" grep -q "ready" <<< "$out"
out=$(TSYNC_PROTO=ptp TSYNC_TRACECMD_VERSION=3.1.1 LD_PRELOAD=$PLUGIN trace-cmd list -C 2>&1); rc=$?
check "TSYNC_PROTO=ptp on an unknown release: trace-cmd does not run ($rc)" \
	test "$rc" = 2 -a -z "$(grep -v 'tsync' <<< "$out")"

# Pass-through: the same bytes as trace-cmd itself
check "report passes through unchanged" \
	cmp -s <(trace-cmd report -i plain.dat 2>&1) <("$TSYNC" report -i plain.dat 2>&1)
check "dump passes through unchanged" \
	cmp -s <(trace-cmd dump --summary -i plain.dat 2>&1) \
	       <("$TSYNC" dump --summary -i plain.dat 2>&1)

finish
