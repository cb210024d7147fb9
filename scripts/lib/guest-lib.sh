# SPDX-License-Identifier: LGPL-2.1
#
# A real Linux guest under QEMU (TCG: no KVM needed) for the tests, the demo
# and the benchmarks: Debian's cloud kernel, unpacked and never installed,
# and an initramfs of busybox, trace-cmd, tsync's plugin and launcher, whose
# init starts "trace-cmd-tsync agent -N 10.0.2.2".  Source it, then:
#
#	guest_build                     the image in $GUEST_IMAGE, cached
#	guest_boot RUN NETNS [ADDR [STOCK-PORT]]
#	                                boot in network namespace NETNS, wait
#	                                for the agent; state and console in RUN
#	guest_adopt RUN                 after a guest_boot in a subshell (guests
#	                                booted at once): its QEMU, known here
#	guest_monitor RUN COMMAND       a QEMU monitor command (stop, cont)
#	guest_stop RUN                  end that QEMU, by its pid
#
# QEMU's user-mode network forwards the agent's port and the ports it opens
# for data and time sync (consecutive from 1500, as trace-cmd searches them)
# from ADDR (127.0.0.1 unless given) of NETNS, one to one: the agent tells
# the host its own port numbers.  Guests booted at once each take an address
# of their own (127.0.0.2, 127.0.0.3, ...), with the same ports.  With
# STOCK-PORT the guest also runs a stock "trace-cmd agent" there.
# Connections reach the guest from 10.0.2.2, which -N accepts.
# Functions print why they failed on stderr and return non-zero.

GUEST_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GUEST_IMAGE=${GUEST_IMAGE:-$GUEST_TOP/build/guest}
# The kernel .deb survives "make clean": it is 27 MB from Debian's archive
GUEST_DEB_CACHE=${GUEST_DEB_CACHE:-/var/cache/tsync}
GUEST_KERNEL_PKG=linux-image-cloud-amd64
GUEST_AGENT_PORT=823
GUEST_DATA_PORT=1500
# Ports move up while an earlier session's sockets linger in TIME_WAIT: a
# guest of 4 vCPUs ran past 24 of them (bench-vcpus, the built-in's sessions)
GUEST_DATA_PORTS=64
GUEST_CPUS=${GUEST_CPUS:-2}
GUEST_MEM=256
GUEST_NAME=tsync-guest
GUEST_BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-120}
# The network drivers the cloud kernel has as modules
GUEST_MODULES="virtio_pci virtio_net"

guest_error() {
	echo "guest: $*" >&2
	return 1
}

# The versioned kernel package behind the meta package, from apt's lists
guest_kernel_package() {
	local pkg

	pkg=$(apt-cache depends $GUEST_KERNEL_PKG 2>/dev/null |
	      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$pkg" ]; then
		apt-get update -qq >&2
		pkg=$(apt-cache depends $GUEST_KERNEL_PKG 2>/dev/null |
		      awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$pkg" ] || guest_error "apt knows no $GUEST_KERNEL_PKG" || return 1
	echo "$pkg"
}

# guest_kernel_deb PKG: the cached .deb of PKG, downloaded once
guest_kernel_deb() {
	local pkg=$1 deb

	deb=$(ls "$GUEST_DEB_CACHE/${pkg}"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		mkdir -p "$GUEST_DEB_CACHE" &&
		(cd "$GUEST_DEB_CACHE" && apt-get download "$pkg" 2>&1 | grep -v unsandboxed >&2)
		deb=$(ls "$GUEST_DEB_CACHE/${pkg}"_*.deb 2>/dev/null | head -n 1)
	fi
	[ -n "$deb" ] || guest_error "cannot download $pkg" || return 1
	echo "$deb"
}

# copy_with_libs ROOT FILE...: FILEs and the shared objects they load
copy_with_libs() {
	local root=$1 file lib

	shift
	for file in "$@"; do
		for lib in "$file" $(ldd "$file" 2>/dev/null |
				     awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
			mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || return 1
		done
	done
}

# module_order MODDIR MODULE...: the modules in an order insmod takes, each
# after the modules its .modinfo says it depends on
module_order() {
	local dir=$1 mod file deps

	shift
	for mod in "$@"; do
		case " $MODULES_SEEN " in *" $mod "*) continue ;; esac
		MODULES_SEEN="$MODULES_SEEN $mod"
		file=$(find "$dir" -name "$mod.ko" | head -n 1)
		[ -n "$file" ] || guest_error "kernel has no module $mod" || return 1
		deps=$(tr '\0' '\n' < "$file" | sed -n 's/^depends=//p' | tr ',' ' ')
		module_order "$dir" $deps || return 1
		echo "$file"
	done
}

# The image's inputs: a new plugin, launcher, trace-cmd or kernel rebuilds it
guest_image_key() {
	local pkg=$1

	{
		echo "$pkg"
		cat "${BASH_SOURCE[0]}" "$GUEST_TOP/scripts/lib/guest-init" "$GUEST_TOP/build/tsync.so" \
			"$GUEST_TOP/scripts/trace-cmd-tsync" /usr/bin/trace-cmd
	} | sha256sum | cut -d' ' -f1
}

# guest_rootfs ROOT KERNEL-TREE KERNEL-RELEASE: the initramfs's files
guest_rootfs() {
	local root=$1 ktree=$2 kver=$3 applet mod

	mkdir -p "$root"/{bin,dev,etc,proc,sys,tmp,run,root,lib/modules} || return 1
	cp /bin/busybox "$root/bin/" || guest_error "no /bin/busybox (busybox-static)" || return 1
	for applet in $(/bin/busybox --list); do
		[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
	done
	# the launcher is a bash script; glibc loads libgcc_s.so.1 for
	# pthread_exit() without ldd knowing, and trace-cmd's agent needs it
	copy_with_libs "$root" /usr/bin/trace-cmd /bin/bash /lib/x86_64-linux-gnu/libgcc_s.so.1 ||
		guest_error "cannot copy trace-cmd and its libraries" || return 1
	make -s -C "$GUEST_TOP" install DESTDIR="$root" PREFIX=/usr >&2 ||
		guest_error "make install into the image failed" || return 1
	rm -rf "$root/usr/share/man"
	MODULES_SEEN=
	for mod in $(module_order "$ktree/lib/modules/$kver" $GUEST_MODULES); do
		cp "$mod" "$root/lib/modules/" && basename "$mod" .ko >> "$root/etc/modules"
	done
	[ -s "$root/etc/modules" ] || return 1
	# the agent's -N looks names up: files only, never DNS through slirp
	echo "hosts: files" > "$root/etc/nsswitch.conf"
	printf '127.0.0.1 localhost\n10.0.2.2 host\n' > "$root/etc/hosts"
	echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
	echo "root:x:0:" > "$root/etc/group"
	install -m 0755 "$GUEST_TOP/scripts/lib/guest-init" "$root/init"
}

# guest_build: vmlinuz and initramfs.gz in $GUEST_IMAGE, unless they are
# there already from the same inputs
guest_build() {
	local pkg deb key tmp kver

	[ -f "$GUEST_TOP/build/tsync.so" ] || guest_error "build first: make" || return 1
	command -v qemu-system-x86_64 > /dev/null ||
		guest_error "no qemu-system-x86_64: make deps" || return 1
	pkg=$(guest_kernel_package) || return 1
	key=$(guest_image_key "$pkg")
	if [ "$(cat "$GUEST_IMAGE/key" 2>/dev/null)" = "$key" ] &&
	   [ -f "$GUEST_IMAGE/vmlinuz" ] && [ -f "$GUEST_IMAGE/initramfs.gz" ]; then
		return 0
	fi
	deb=$(guest_kernel_deb "$pkg") || return 1
	kver=${pkg#linux-image-}
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tsync-guest-build.XXXXXX") || return 1
	mkdir -p "$GUEST_IMAGE" && rm -f "$GUEST_IMAGE/key" &&
	dpkg -x "$deb" "$tmp/kernel" &&
	cp "$tmp/kernel/boot/vmlinuz-$kver" "$GUEST_IMAGE/vmlinuz" &&
	guest_rootfs "$tmp/root" "$tmp/kernel" "$kver" &&
	(cd "$tmp/root" && find . | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) |
		gzip -1 > "$GUEST_IMAGE/initramfs.gz" &&
	echo "$key" > "$GUEST_IMAGE/key"
	local status=$?

	rm -rf "$tmp"
	[ $status = 0 ] || guest_error "image build failed"
}

# The QEMUs booted, by RUN: their pid and start time outlive RUN's files
declare -gA GUEST_PIDS GUEST_STARTS

# guest_forwards ADDR PORT...: the hostfwd rules from ADDR: the agents'
# PORTs, and the data and sync ports
guest_forwards() {
	local addr=$1 port fwd=

	shift
	for port in "$@" $(seq $GUEST_DATA_PORT $((GUEST_DATA_PORT + GUEST_DATA_PORTS - 1))); do
		fwd="$fwd${fwd:+,}hostfwd=tcp:$addr:$port-:$port"
	done
	echo "$fwd"
}

# guest_boot RUN NETNS [ADDR [STOCK-PORT]]: boot the image in NETNS, its
# ports forwarded from ADDR; returns once the agent (and the stock one on
# STOCK-PORT) listens, with the seconds it took in GUEST_BOOT_SECONDS and
# the QEMU's pid in GUEST_PID and RUN/qemu.pid.  With -name ...,debug-threads=on the host's trace names
# each vCPU thread "CPU n/TCG".  tsc=reliable keeps the TSC clocksource with
# 2 vCPUs: the TCG CPU has no constant_tsc, and hpet would become the clock.
guest_boot() {
	local run=$1 netns=$2 addr=${3:-127.0.0.1} stock=$4 start pid

	mkdir -p "$run" && rm -f "$run/console.log" "$run/qemu.pid" "$run/qemu.start" \
		"$run/monitor.in" "$run/monitor.out" &&
	mkfifo -m 0600 "$run/monitor.in" "$run/monitor.out" || return 1
	start=$(date +%s%N)
	nsenter --net=/var/run/netns/"$netns" qemu-system-x86_64 \
		-accel tcg,thread=multi -machine pc -cpu max -smp $GUEST_CPUS -m $GUEST_MEM \
		-name $GUEST_NAME,debug-threads=on \
		-kernel "$GUEST_IMAGE/vmlinuz" -initrd "$GUEST_IMAGE/initramfs.gz" \
		-append "console=ttyS0 panic=-1 quiet tsc=reliable tsync.port=$GUEST_AGENT_PORT${stock:+ tsync.stock_port=$stock}" \
		-netdev "user,id=net0,$(guest_forwards "$addr" $GUEST_AGENT_PORT $stock)" \
		-device virtio-net-pci,netdev=net0,romfile= \
		-display none -vga none -monitor pipe:"$run/monitor" -no-reboot \
		-serial file:"$run/console.log" -pidfile "$run/qemu.pid" -daemonize \
		> "$run/qemu.log" 2>&1 || guest_error "qemu: $(cat "$run/qemu.log")" || return 1
	pid=$(head -c 32 "$run/qemu.pid")
	GUEST_PID=$pid
	GUEST_PIDS[$run]=$pid
	GUEST_STARTS[$run]=$(guest_start_time "$pid")
	echo "${GUEST_STARTS[$run]}" > "$run/qemu.start"
	guest_ours "$pid" "$run" || guest_error "qemu.pid names no QEMU of $run" || return 1
	while ! grep -q "^tsync-guest: agent listening" "$run/console.log" 2>/dev/null ||
	      { [ -n "$stock" ] &&
		! grep -q "^tsync-guest: stock agent listening" "$run/console.log"; }; do
		if grep -q "^tsync-guest: failed\|Kernel panic" "$run/console.log" 2>/dev/null; then
			guest_error "guest failed: $(grep -m 3 "tsync-guest: failed\|panic" "$run/console.log")"
			guest_stop "$run"
			return 1
		fi
		guest_ours "$pid" "$run" || guest_error "qemu ended; console in $run/console.log" ||
			return 1
		if [ $(($(date +%s%N) - start)) -gt $((GUEST_BOOT_TIMEOUT * 1000000000)) ]; then
			guest_error "no agent after $GUEST_BOOT_TIMEOUT s; console in $run/console.log"
			guest_stop "$run"
			return 1
		fi
		sleep 0.05
	done
	GUEST_BOOT_SECONDS=$(awk -v ns=$(($(date +%s%N) - start)) 'BEGIN { printf "%.2f", ns / 1e9 }')
	guest_vcpu_threads "$pid" > "$run/vcpu-threads"
}

# guest_adopt RUN: the QEMU that a guest_boot in a subshell started for RUN,
# known to this shell's guest_stop even once RUN is gone
guest_adopt() {
	local run=$1 pid

	pid=$(head -c 32 "$run/qemu.pid" 2>/dev/null)
	GUEST_STARTS[$run]=$(cat "$run/qemu.start" 2>/dev/null)
	guest_ours "$pid" "$run" || { unset "GUEST_STARTS[$run]"; return 1; }
	GUEST_PIDS[$run]=$pid
}

# guest_vcpu_threads PID: the thread ids of QEMU PID's vCPUs, vCPU 0 first
guest_vcpu_threads() {
	local task

	for task in /proc/"$1"/task/*; do
		sed -n "s|^CPU \([0-9]*\)/TCG$|\1 ${task##*/}|p" "$task/comm" 2>/dev/null
	done | sort -n | awk '{ print $2 }'
}

# guest_start_time PID: when PID started (ticks after boot), which tells it
# from a later process that got its number
guest_start_time() {
	local stat

	stat=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
	stat=${stat##*) }
	set -- $stat
	echo "${20}"
}

# guest_ours PID RUN: PID is the QEMU that guest_boot started for RUN: a
# process of root's, of QEMU's binary, with RUN's pid file on its command
# line, and started when the boot saw it (RUN/qemu.start).  A pid file can
# be written by anyone who can write RUN: it is never trusted alone.
guest_ours() {
	local pid=$1 run=$2 qemu start

	[[ $pid =~ ^[1-9][0-9]*$ ]] && [ "$pid" != 1 ] || return 1
	[ "$(stat -c %u /proc/"$pid" 2>/dev/null)" = 0 ] || return 1
	qemu=$(readlink -f "$(command -v qemu-system-x86_64)") || return 1
	[ "$(readlink -f /proc/"$pid"/exe)" = "$qemu" ] || return 1
	tr '\0' '\n' < /proc/"$pid"/cmdline 2>/dev/null | grep -qxF "$run/qemu.pid" || return 1
	start=${GUEST_STARTS[$run]:-$(cat "$run/qemu.start" 2>/dev/null)}
	[ -n "$start" ] && [ "$(guest_start_time "$pid")" = "$start" ]
}

# guest_stop RUN: end the QEMU that guest_boot started, and only that one,
# even if RUN is gone already
guest_stop() {
	local run=$1 pid=${GUEST_PIDS[$1]} i

	[ -n "$pid" ] || pid=$(head -c 32 "$run/qemu.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	if ! guest_ours "$pid" "$run"; then
		guest_error "pid $pid of $run/qemu.pid is not the QEMU that was started: left alone"
		unset "GUEST_PIDS[$run]" "GUEST_STARTS[$run]"
		return 1
	fi
	kill "$pid" 2>/dev/null
	for i in $(seq 50); do
		guest_ours "$pid" "$run" || break
		sleep 0.1
	done
	guest_ours "$pid" "$run" && kill -9 "$pid"
	rm -f "$run/qemu.pid" "$run/qemu.start"
	unset "GUEST_PIDS[$run]" "GUEST_STARTS[$run]"
	[ "$GUEST_PID" != "$pid" ] || GUEST_PID=
}

# guest_monitor RUN COMMAND: a command to the QEMU monitor (stop, cont, ...);
# QEMU holds both ends of RUN/monitor.in and .out, so neither open blocks
guest_monitor() {
	echo "$2" > "$1/monitor.in"
}

# guest_line RUN WHAT: the guest's own report of WHAT at boot (clocksource, ...)
guest_line() {
	sed -n "s/^tsync-guest: $2 //p" "$1/console.log" | tr -d '\r' | head -n 1
}

# guest_stalled RUN: the guest kernel's own word that a CPU stalled, if it
# did (seen twice in some forty boots here: a vCPU that QEMU's TCG no
# longer runs, and the other spinning for it), for a failing test to name
guest_stalled() {
	grep -m 2 "soft lockup\|rcu.*stall" "$1/console.log" 2>/dev/null | tr -d '\r'
}

# guest_alignment RUN HOST.dat GUEST.dat [STEP [PARTS]]: vcpu-align's
# verdict on the merged report of a session with RUN's guest, "guest events
# N checked N inside N share PCT median_out N worst_out N ... from T to T",
# and with STEP (trace clock units) a second line "best_shift N best_share
# PCT ..."; with PARTS, the same lines for each of PARTS equal slices of the
# session, prefixed "part K/PARTS" (scripts/tools/vcpu-align.c)
guest_alignment() {
	trace-cmd report -t -i "$2" -i "$3" 2>/dev/null |
		"$GUEST_TOP/build/tools/vcpu-align" ${4:+-s "$4"} ${5:+-p "$5"} "$(basename "$3")" \
			$(cat "$1/vcpu-threads")
}

# field NAME: the value after NAME in a guest_alignment line on stdin
alignment_field() {
	awk -v name="$1" '{ for (i = 1; i < NF; i++) if ($i == name) print $(i + 1) }'
}

# alignment_us RUN HOST.dat GUEST.dat UNITS-PER-US [PARTS]: "checked share
# median worst error best", the distances outside in microseconds, error the
# shift of every guest event that would put the most inside (0.1 us steps):
# the offset's error as the host's scheduler sees it, and best the share
# inside with that shift.  With PARTS, one more line for each of PARTS equal
# slices of the session, earliest first, the same figures and then "from
# to", the slice's seconds since the session's start.
alignment_us() {
	guest_alignment "$1" "$2" "$3" "$(awk -v u="$4" 'BEGIN { print int(u / 10) }')" "$5" |
		awk -v u="$4" '
		{
			w = $1 == "part" ? $2 : "all"
			if (!(w in seen)) {
				seen[w]
				order[n++] = w
			}
			for (i = 1; i < NF; i++)
				v[w, $i] = $(i + 1)
		}
		END {
			if (!n)
				order[n++] = "all"
			for (j = 0; j < n; j++) {
				w = order[j]
				x = -v[w, "best_shift"] / u
				printf "%d %.2f %.1f %.1f %.1f %.2f", v[w, "checked"], v[w, "share"],
				       v[w, "median_out"] / u, v[w, "worst_out"] / u, x ? x : 0,
				       v[w, "best_share"]
				if (w != "all")
					printf " %.1f %.1f", (v[w, "from"] - v["all", "from"]) / u / 1e6,
					       (v[w, "to"] + 1 - v["all", "from"]) / u / 1e6
				printf "\n"
			}
		}'
}
