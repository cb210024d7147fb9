#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# The man pages build, document every launcher option, and their examples
# marked "run by tests/e2e/test-docs.sh" run as written, through an
# installed tree.  Needs root and tracefs.
. "$(dirname "$0")/lib.sh"

require_tracefs
command -v asciidoctor > /dev/null || skip "needs asciidoctor (make deps)"
require_netns

check "make doc builds the man pages" make -s -C "$TOP" doc
page=$TOP/build/man/trace-cmd-tsync.1
check "man renders trace-cmd-tsync.1" bash -c "man -l '$page' 2>/dev/null | grep -q EXAMPLES"
for opt in $("$TSYNC" --help | grep -o -- '--tsync[a-z-]*' | sort -u); do
	check "man page documents $opt" grep -q -- "^\*$opt\*" "$TOP/Documentation/trace-cmd-tsync.1.txt"
done

# Install into a scratch prefix: the example then runs the installed launcher
prefix=$WORK/prefix
check "make install into a prefix" make -s -C "$TOP" install PREFIX="$prefix"
check "installed launcher finds the installed plugin" \
	grep -qx "TSYNC_INSTALLED_PLUGIN=$prefix/lib/tsync/tsync.so" "$prefix/bin/trace-cmd-tsync"
release=$(sed -n 's/^TSYNC_VERSION[[:space:]]*:=[[:space:]]*//p' "$TOP/Makefile")
check "installed launcher knows tsync's release ($release)" \
	grep -qx "TSYNC_VERSION=$release" "$prefix/bin/trace-cmd-tsync"
check "installed launcher's --version says it" \
	eval '[ "$(TSYNC_PLUGIN= "$prefix/bin/trace-cmd-tsync" --version | head -n 1)" = \
	       "trace-cmd-tsync $release" ]'
check "man page installed" test -f "$prefix/share/man/man1/trace-cmd-tsync.1"
check "algorithm page installed" test -f "$prefix/share/man/man7/tsync-ptp.7"
check "algorithm page renders" bash -c "man -l '$TOP/build/man/tsync-ptp.7' 2>/dev/null | grep -q 'CAUSALITY BOUNDS'"

# Each marked example is the listing block that follows its title
awk '/^\.Example: run by tests\/e2e\/test-docs.sh/ { want = 1; next }
     want && /^----$/ { if (inside) { want = 0 } inside = !inside; next }
     want && inside' "$TOP/Documentation/trace-cmd-tsync.1.txt" > "$WORK/example.sh"
check "an example is marked to run" test -s "$WORK/example.sh"
(cd "$WORK" && env PATH="$prefix/bin:$PATH" LD_PRELOAD="$EPERM_SHIM" TSYNC_PLUGIN= \
	nsenter --net=/var/run/netns/"$NETNS" bash -e "$WORK/example.sh") > "$WORK/example.log" 2>&1
check "the example negotiates tsync-ptp" grep -q "Negotiated tsync-ptp" "$WORK/example.log"
check "the example shows the TIME_SHIFT option" grep -q "0x82000001" "$WORK/example.log"
check "the example's merged report shows guest events" \
	grep -q "^trace-127.0.0.1.dat:.*sched" "$WORK/example.log"
rmdir $TRACEFS/instances/host 2>/dev/null

# The offline subcommands' pages: their examples in turn, in one directory
check "tsync-offline installed beside the plugin" test -x "$prefix/lib/tsync/tsync-offline"
mkdir -p "$WORK/offline"
for sub in apply inspect merge; do
	check "man page trace-cmd-tsync-$sub.1 installed" \
		test -f "$prefix/share/man/man1/trace-cmd-tsync-$sub.1"
	awk '/^\.Example: run by tests\/e2e\/test-docs.sh/ { want = 1; next }
	     want && /^----$/ { if (inside) { want = 0 } inside = !inside; next }
	     want && inside' "$TOP/Documentation/trace-cmd-tsync-$sub.1.txt" > "$WORK/$sub.sh"
	(cd "$WORK/offline" && env PATH="$prefix/bin:$PATH" LD_PRELOAD="$EPERM_SHIM" TSYNC_PLUGIN= \
		nsenter --net=/var/run/netns/"$NETNS" bash -e "$WORK/$sub.sh") > "$WORK/$sub.log" 2>&1
	check "the $sub example runs" test $? = 0
done
rmdir $TRACEFS/instances/host 2>/dev/null
check "apply's example writes tsync-kvm's TIME_SHIFT" grep -q "0x81000001" "$WORK/apply.log"
check "apply's --vcpu-threads example names every vCPU's host thread" \
	eval 'grep -q "^ *0 -1 \[guest cpu, host pid\]" "$WORK/apply.log" &&
	      [ "$(grep -c "^ *[0-9]* [1-9][0-9]* \[guest cpu, host pid\]" "$WORK/apply.log")" = $(nproc) ]'
check "apply's example merges host and guest" grep -q "^synced.dat:.*sched_switch" "$WORK/apply.log"
check "inspect's example shows the bound and the plot" \
	eval 'grep -q "error bound 0 (tsync-kvm" "$WORK/inspect.log" &&
	      grep -q "TIME_SHIFT by tsync-kvm" "$WORK/offline/sync.svg" &&
	      [ "$(head -c 4 "$WORK/offline/sync.png" | tail -c 3)" = PNG ]'
check "merge's example lists guest events" grep -q "^g [0-9]* .*sched_switch" "$WORK/merge.log"
reset_tracefs

finish
