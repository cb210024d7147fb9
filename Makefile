# SPDX-License-Identifier: LGPL-2.1
#
# tsync: time-sync protocols for Debian's trace-cmd.
#
#   make            build the plugin and the test helpers
#   make check      every test (needs root, tracefs, debugfs and /dev/kvm)
#   make demo       a host and guest session on this machine, merged
#   make fault-table  the faults tried and their outcomes, from the tests
#   make deps       install the Debian packages the build and tests use
#   make doc        man pages from Documentation/
#   make fuzz       fuzz targets (clang); tests/fuzz/run-fuzz.sh runs them
#   make mutation   how many mutants of the pure code the unit tests kill
#   make install    PREFIX=/usr/local DESTDIR= libdir= mandir=

# tsync's release: tsync-offline --version, and the launcher's once installed
TSYNC_VERSION	:= 0.6.2

PREFIX		?= /usr/local
bindir		?= $(PREFIX)/bin
libdir		?= $(PREFIX)/lib
mandir		?= $(PREFIX)/share/man
plugindir	?= $(libdir)/tsync

CC		?= gcc
PKG_CONFIG	?= pkg-config
CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Werror
CPPFLAGS	+= -Iinclude -D_GNU_SOURCE -DTSYNC_VERSION='"$(TSYNC_VERSION)"'
BUILD		:= build

# The three parts: the core, pure and shared (libtsync-core.a); the plugin,
# which runs inside trace-cmd (tsync.so); the offline tool, on files
CORE_SRC	:= $(wildcard plugin/core/*.c)
CORE_OBJ	:= $(CORE_SRC:%.c=$(BUILD)/%.o)
CORE		:= $(BUILD)/libtsync-core.a
PLUGIN_SRC	:= $(wildcard plugin/protocols/*.c)
PLUGIN_OBJ	:= $(PLUGIN_SRC:%.c=$(BUILD)/%.o)
PLUGIN		:= $(BUILD)/tsync.so
# and the plugin's VM process finder, which apply --vcpu-threads shares
OFFLINE_SRC	:= $(wildcard plugin/offline/*.c) plugin/protocols/vm-process.c
OFFLINE_OBJ	:= $(OFFLINE_SRC:%.c=$(BUILD)/%.o)
OFFLINE		:= $(BUILD)/tsync-offline
OFFLINE_ASAN	:= $(BUILD)/asan/tsync-offline

# What the unit tests link besides the core: the plugin's framing of
# messages on a socket pair, its clock reads and trace-cmd's arrays; and
# the pure part of the development tools
UNIT_PLUGIN	:= plugin/protocols/msg.c plugin/protocols/clock-read.c plugin/protocols/time-shift-arrays.c \
		   plugin/protocols/guest-vm.c plugin/protocols/peer-conns.c plugin/protocols/config.c
HELPER_PURE	:= scripts/tools/vcpu-runs.c
SANITIZE	:= -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all

UNIT_SRC	:= $(wildcard tests/unit/*.c)
UNIT		:= $(BUILD)/tests/unit-tests
UNIT_ASAN	:= $(BUILD)/tests/unit-tests-asan
# The offline tool's file readers on real trace files, under the sanitizers
UNIT_OFFLINE_SRC := $(wildcard tests/unit-offline/*.c)
UNIT_OFFLINE	:= $(BUILD)/tests/unit-offline-tests
PLUGIN_ASAN	:= $(BUILD)/asan/tsync.so
PLUGIN_HOSTILE	:= $(BUILD)/tests/tsync-hostile.so

TOOLS		:= $(BUILD)/tools/kvm-test-vm $(BUILD)/tools/ftrace-eperm-shim.so \
		   $(BUILD)/tools/vcpu-align
VSOCK_SHIM	:= $(BUILD)/tests/vsock-shim.so
READ_FAULT	:= $(BUILD)/tests/read-fault.so
TSYNC_SESSION	:= $(BUILD)/tests/tsync-session
HELPERS		:= $(BUILD)/tests/clock-check $(PLUGIN_HOSTILE) $(VSOCK_SHIM) $(TSYNC_SESSION) \
		   $(BUILD)/tests/kshark-view $(READ_FAULT)

# Evaluated when used: "make deps check" installs CUnit first
CUNIT_CFLAGS	= $(shell $(PKG_CONFIG) --cflags cunit 2>/dev/null)
CUNIT_LIBS	= $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null)
TRACEFS_CFLAGS	= $(shell $(PKG_CONFIG) --cflags libtracefs libtraceevent 2>/dev/null)
TRACEFS_LIBS	= $(shell $(PKG_CONFIG) --libs libtracefs libtraceevent 2>/dev/null)
TRACECMD_CFLAGS	= $(shell $(PKG_CONFIG) --cflags libtracecmd 2>/dev/null)
TRACECMD_LIBS	= $(shell $(PKG_CONFIG) --libs libtracecmd 2>/dev/null)
# as system headers: libkshark.h draws warnings that -Werror would stop at
KSHARK_CFLAGS	= $(patsubst -I%,-isystem %,$(shell $(PKG_CONFIG) --cflags libkshark 2>/dev/null))
KSHARK_LIBS	= $(shell $(PKG_CONFIG) --libs libkshark 2>/dev/null)
# msg.c's weak reference alone would let --as-needed drop the library
UNIT_TRACECMD	= -Wl,--push-state,--no-as-needed $(TRACECMD_LIBS) -Wl,--pop-state
# Allocations of the unit tests pass tests/unit/alloc-fail.c, which fails them on demand
UNIT_WRAP	:= -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

# Fuzz targets: every decoder of peer data, with clang's libFuzzer
FUZZ_CC		?= clang
FUZZ_FLAGS	:= $(SANITIZE)
FUZZ_SRC	:= $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN	:= $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ	:= $(PLUGIN_SRC:%.c=$(BUILD)/fuzz/%.o) $(CORE_SRC:%.c=$(BUILD)/fuzz/%.o)
# and whole trace files through tsync-offline's readers, with libtracecmd
FUZZ_FILE_OBJ	:= $(patsubst $(BUILD)/%,$(BUILD)/fuzz/%,$(filter-out %/main.o,$(OFFLINE_OBJ))) \
		   $(CORE_SRC:%.c=$(BUILD)/fuzz/%.o)

MANSRC		:= $(wildcard Documentation/*.[0-9].txt)
MANPAGES	:= $(MANSRC:Documentation/%.txt=$(BUILD)/man/%)

all: $(CORE) $(PLUGIN) $(OFFLINE) $(OFFLINE_ASAN) $(UNIT) $(UNIT_ASAN) $(UNIT_OFFLINE) $(PLUGIN_ASAN) $(TOOLS) $(HELPERS)

# Position independent: the core goes into the plugin too
$(BUILD)/plugin/core/%.o: plugin/core/%.c include/tsync/core.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -c -o $@ $<

$(CORE): $(CORE_OBJ)
	$(AR) rcs $@ $^

# Not linked against trace-cmd's libraries: the plugin only calls into the
# trace-cmd process it is loaded in, through weak references (tracecmd-abi.h,
# clock-marker.c); libtracefs's headers come from pkg-config.
$(PLUGIN): $(PLUGIN_OBJ) $(CORE)
	$(CC) -shared -o $@ $(PLUGIN_OBJ) $(CORE) $(LDFLAGS) -ldl -lm

$(BUILD)/plugin/protocols/%.o: plugin/protocols/%.c include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(TRACEFS_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(BUILD)/plugin/offline/%.o: plugin/offline/%.c include/tsync/core.h include/tsync/offline.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(TRACECMD_CFLAGS) -c -o $@ $<

$(OFFLINE): $(OFFLINE_OBJ) $(CORE)
	$(CC) -o $@ $(OFFLINE_OBJ) $(CORE) $(LDFLAGS) $(TRACECMD_LIBS) -lm

# --version: a new release number is a new build
$(BUILD)/plugin/offline/main.o $(OFFLINE_ASAN): Makefile

$(UNIT_OFFLINE): $(UNIT_OFFLINE_SRC) tests/unit-offline/*.h $(OFFLINE_SRC) $(CORE_SRC) include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SANITIZE) $(WARN) $(TRACECMD_CFLAGS) $(CUNIT_CFLAGS) -o $@ \
		$(UNIT_OFFLINE_SRC) $(filter-out %/main.c,$(OFFLINE_SRC)) $(CORE_SRC) $(LDFLAGS) \
		$(CUNIT_LIBS) $(TRACECMD_LIBS) -lm

# The offline tool under the sanitizers, for its tests on real files
$(OFFLINE_ASAN): $(OFFLINE_SRC) $(CORE_SRC) include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SANITIZE) $(WARN) $(TRACECMD_CFLAGS) -o $@ \
		$(OFFLINE_SRC) $(CORE_SRC) $(LDFLAGS) $(TRACECMD_LIBS) -lm

# The unit tests link the core as it ships; libtracecmd for its receive
# function only (test-msg-recv.c): the plugin calls the one trace-cmd
# runs, and never links it
$(UNIT): $(UNIT_SRC) $(CORE) $(UNIT_PLUGIN) $(HELPER_PURE) include/tsync/*.h scripts/tools/*.h \
	 tests/unit/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iscripts/tools $(CFLAGS) $(WARN) $(CUNIT_CFLAGS) -o $@ $(UNIT_SRC) \
		$(UNIT_PLUGIN) $(HELPER_PURE) $(CORE) $(LDFLAGS) $(CUNIT_LIBS) $(UNIT_TRACECMD) \
		$(UNIT_WRAP) -lm

# The plugin under the sanitizers, for sessions run with libasan preloaded
$(PLUGIN_ASAN): $(PLUGIN_SRC) $(CORE_SRC) include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SANITIZE) $(WARN) $(TRACEFS_CFLAGS) -fPIC -fvisibility=hidden -shared \
		-o $@ $(PLUGIN_SRC) $(CORE_SRC) $(LDFLAGS) -ldl -lm

# A peer that corrupts what it sends, as TSYNC_FAULT says: for the tests only
$(PLUGIN_HOSTILE): $(PLUGIN_SRC) $(CORE_SRC) tests/helpers/hostile-peer.c include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DTSYNC_FAULT_INJECTION $(CFLAGS) $(WARN) $(TRACEFS_CFLAGS) -fPIC \
		-fvisibility=hidden -shared -o $@ $(PLUGIN_SRC) $(CORE_SRC) tests/helpers/hostile-peer.c \
		$(LDFLAGS) -ldl -lm

# AF_VSOCK carried over AF_UNIX sockets, for the vsock sessions: for the tests only
$(VSOCK_SHIM): tests/helpers/vsock-shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -shared -o $@ $< -ldl

# libtracecmd made to crash or hang as it reads a file: for the tests only
$(READ_FAULT): tests/helpers/read-fault.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -fPIC -shared -o $@ $< -ldl

# Both ends of a sync session by libtracecmd's own functions: for the tests only
$(TSYNC_SESSION): tests/helpers/tsync-session.c include/tsync/tracecmd-abi.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $< $(LDFLAGS) $(UNIT_TRACECMD)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer
$(UNIT_ASAN): $(UNIT_SRC) $(CORE_SRC) $(UNIT_PLUGIN) $(HELPER_PURE) include/tsync/*.h \
	      scripts/tools/*.h tests/unit/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iscripts/tools $(SANITIZE) $(WARN) $(CUNIT_CFLAGS) -o $@ $(UNIT_SRC) \
		$(CORE_SRC) $(UNIT_PLUGIN) $(HELPER_PURE) $(LDFLAGS) $(CUNIT_LIBS) $(UNIT_TRACECMD) \
		$(UNIT_WRAP) -lm

# Development tools the scripts and the tests share (scripts/tools/)
$(BUILD)/tools/kvm-test-vm: scripts/tools/kvm-test-vm.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ $< -pthread

# Guest events against the host's runs of their vCPU threads
$(BUILD)/tools/vcpu-align: scripts/tools/vcpu-align.c $(HELPER_PURE) scripts/tools/vcpu-runs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ scripts/tools/vcpu-align.c $(HELPER_PURE)

$(BUILD)/tools/ftrace-eperm-shim.so: scripts/tools/ftrace-eperm-shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared -o $@ $< -ldl

# Reads the trace buffer back with libtracefs: the tests may, the plugin not
$(BUILD)/tests/clock-check: tests/helpers/clock-check.c $(BUILD)/plugin/protocols/clock-read.o
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(TRACEFS_CFLAGS) -o $@ $^ $(LDFLAGS) $(TRACEFS_LIBS)

# Host and guest files as KernelShark's library reads them: for the tests
$(BUILD)/tests/kshark-view: tests/helpers/kshark-view.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(KSHARK_CFLAGS) -o $@ $< $(LDFLAGS) $(KSHARK_LIBS)

fuzz: $(FUZZ_BIN)

$(BUILD)/fuzz/plugin/%.o: plugin/%.c include/tsync/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(WARN) $(TRACEFS_CFLAGS) -fsanitize=fuzzer-no-link \
		-c -o $@ $<

$(BUILD)/fuzz/plugin/offline/%.o: plugin/offline/%.c include/tsync/*.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(WARN) $(TRACECMD_CFLAGS) -fsanitize=fuzzer-no-link \
		-c -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(WARN) $(TRACEFS_CFLAGS) -fsanitize=fuzzer \
		-o $@ $^ -ldl -lm

$(BUILD)/fuzz/fuzz-trace-file: tests/fuzz/fuzz-trace-file.c $(FUZZ_FILE_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(WARN) $(TRACECMD_CFLAGS) -fsanitize=fuzzer \
		-o $@ $^ $(TRACECMD_LIBS) -lm -Wl,--wrap=tracecmd_open_head

doc: $(MANPAGES)

$(BUILD)/man/%: Documentation/%.txt
	@mkdir -p $(dir $@)
	asciidoctor -b manpage -d manpage -o $@ $<

deps:
	scripts/dev/install-deps.sh

check: all
	tests/run-all.sh

demo: all
	scripts/dev/demo.sh

# The faults tried and their outcomes, as the fault tests observe them
fault-table: all
	tests/run-all.sh faults hostile-peer disk-full
	@echo "the table: $(BUILD)/fault-table.md"

# Mutants of the pure code against the unit tests, some 10 minutes; not in
# check (tests/mutation/run-mutants.sh): the core, but log.c, which only prints.
MUTATION_SRC	:= $(filter-out %/log.c,$(CORE_SRC))

mutation:
	MUTATION_SRC="$(MUTATION_SRC)" UNIT_INPUTS="$(UNIT_SRC) $(CORE_SRC) $(UNIT_PLUGIN) $(HELPER_PURE)" \
	UNIT_CFLAGS="$(CPPFLAGS) -Iscripts/tools $(CUNIT_CFLAGS)" UNIT_WARN="$(WARN)" \
	UNIT_LIBS="$(LDFLAGS) $(CUNIT_LIBS) $(UNIT_TRACECMD) $(UNIT_WRAP) -lm" \
	UNIT_SANITIZE="$(SANITIZE)" CC="$(CC)" tests/mutation/run-mutants.sh

install: $(PLUGIN) $(OFFLINE) $(MANPAGES)
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(plugindir)
	install -m 0644 $(PLUGIN) $(DESTDIR)$(plugindir)/tsync.so
	install -m 0755 $(OFFLINE) $(DESTDIR)$(plugindir)/tsync-offline
	sed -e 's|^TSYNC_INSTALLED_PLUGIN=.*|TSYNC_INSTALLED_PLUGIN=$(plugindir)/tsync.so|' \
		-e 's|^TSYNC_VERSION=.*|TSYNC_VERSION=$(TSYNC_VERSION)|' \
		scripts/trace-cmd-tsync > $(DESTDIR)$(bindir)/trace-cmd-tsync
	chmod 0755 $(DESTDIR)$(bindir)/trace-cmd-tsync
	for page in $(MANPAGES); do \
		section=$${page##*.}; \
		install -d $(DESTDIR)$(mandir)/man$$section; \
		install -m 0644 $$page $(DESTDIR)$(mandir)/man$$section/; \
	done

clean:
	rm -rf $(BUILD)

.PHONY: all doc fuzz deps check demo fault-table mutation install clean
