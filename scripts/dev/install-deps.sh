#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1
#
# Installs what tsync's build, tests and demo use, from Debian's packages.
#   trace-cmd, lib*-dev   the trace-cmd 3.1.6 tsync plugs into, and its headers
#   libcunit1-dev         unit tests
#   iproute2              network namespaces for the end-to-end sessions
#   asciidoctor           man pages from Documentation/*.txt
#   clang, libclang-rt    libFuzzer and the sanitizers for tests/fuzz/
#   valgrind              memcheck of the unit tests
#   qemu-system-x86, busybox-static   a real Linux guest under QEMU (TCG) for the tests and demo
#   gnuplot-nox           inspect --plot's pictures, SVG and PNG (cairo), without X
#   strace                a kill -9 at every write of the offline tool, in its tests
#   mmdebstrap            chroots of newer Debian releases' trace-cmd for their tests
#                         (scripts/lib/release-lib.sh; made and cached by the tests)
#   kernelshark, libkshark-dev, libjson-c-dev   KernelShark and its library, which a
#                         test opens host and guest files with

. "$(dirname "$0")/../lib/script-help.sh"
set -e

packages="trace-cmd libtracecmd-dev libtracefs-dev libtraceevent-dev libcunit1-dev
	  pkg-config gcc make libc6-dev iproute2 util-linux asciidoctor
	  clang libclang-rt-14-dev valgrind qemu-system-x86 busybox-static
	  gnuplot-nox strace mmdebstrap kernelshark libkshark-dev libjson-c-dev"

missing=$(dpkg-query -W -f '${Package} ${db:Status-Status}\n' $packages 2>/dev/null |
	  awk '$2 != "installed" { print $1 }')
for p in $packages; do
	dpkg-query -W "$p" > /dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$(echo $missing)" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root to install:$missing" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $(echo $missing | tr ' ' '\n' | sort -u)
