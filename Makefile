# SPDX-License-Identifier: LGPL-2.1
#
# tsync: time-sync protocols for Debian's trace-cmd.
#
#   make            build the plugin and the test helpers
#   make check      every test (needs root, tracefs, debugfs and /dev/kvm)
#   make demo       a host and guest session on this machine, merged
#   make deps       install the Debian packages the build and tests use
#   make doc        man pages from Documentation/
#   make fuzz       fuzz targets (clang); tests/fuzz/run-fuzz.sh runs them
#   make install    PREFIX=/usr/local DESTDIR= libdir= mandir=

PREFIX		?= /usr/local
bindir		?= $(PREFIX)/bin
libdir		?= $(PREFIX)/lib
mandir		?= $(PREFIX)/share/man
plugindir	?= $(libdir)/tsync

CC		?= gcc
PKG_CONFIG	?= pkg-config
CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Werror
CPPFLAGS	+= -Iinclude -D_GNU_SOURCE
BUILD		:= build

PLUGIN_SRC	:= $(wildcard plugin/*.c)
PLUGIN_OBJ	:= $(PLUGIN_SRC:%.c=$(BUILD)/%.o)
PLUGIN		:= $(BUILD)/tsync.so

# The parts the unit tests link without trace-cmd: pure code, and msg.c's
# framing on a socket pair
PURE_SRC	:= plugin/array.c plugin/ptp-estimator.c plugin/ptp-fit.c plugin/sync-record.c plugin/samples.c \
		   plugin/tsc-math.c plugin/clock-read.c plugin/number.c plugin/offline/time-shift.c \
		   plugin/offline/sync-stats.c plugin/offline/report-time.c plugin/msg.c plugin/log.c \
		   plugin/config.c
PURE_OBJ	:= $(PURE_SRC:%.c=$(BUILD)/%.o)
# and the pure part of the test helpers
HELPER_PURE	:= tests/helpers/vcpu-runs.c
SANITIZE	:= -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all

UNIT_SRC	:= $(wildcard tests/unit/*.c)
UNIT		:= $(BUILD)/tests/unit-tests
UNIT_ASAN	:= $(BUILD)/tests/unit-tests-asan
PLUGIN_ASAN	:= $(BUILD)/asan/tsync.so
PLUGIN_HOSTILE	:= $(BUILD)/tests/tsync-hostile.so
# tsync-offline: apply, inspect and merge on trace files, with libtracecmd
OFFLINE_SRC	:= $(wildcard plugin/offline/*.c)
OFFLINE_OBJ	:= $(OFFLINE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/plugin/tsc-math.o \
		   $(BUILD)/plugin/samples.o $(BUILD)/plugin/number.o $(BUILD)/plugin/log.o \
		   $(BUILD)/plugin/config.o $(BUILD)/plugin/array.o
OFFLINE		:= $(BUILD)/tsync-offline
OFFLINE_ASAN	:= $(BUILD)/asan/tsync-offline

HELPERS		:= $(BUILD)/tests/kvm-test-vm $(BUILD)/tests/ftrace-eperm-shim.so \
		   $(BUILD)/tests/clock-check $(BUILD)/tests/vcpu-align \
		   $(PLUGIN_HOSTILE)

# Evaluated when used: "make deps check" installs CUnit first
CUNIT_CFLAGS	= $(shell $(PKG_CONFIG) --cflags cunit 2>/dev/null)
CUNIT_LIBS	= $(shell $(PKG_CONFIG) --libs cunit 2>/dev/null)
TRACEFS_CFLAGS	= $(shell $(PKG_CONFIG) --cflags libtracefs libtraceevent 2>/dev/null)
TRACEFS_LIBS	= $(shell $(PKG_CONFIG) --libs libtracefs libtraceevent 2>/dev/null)
TRACECMD_CFLAGS	= $(shell $(PKG_CONFIG) --cflags libtracecmd 2>/dev/null)
TRACECMD_LIBS	= $(shell $(PKG_CONFIG) --libs libtracecmd 2>/dev/null)

# Fuzz targets: every decoder of peer data, with clang's libFuzzer
FUZZ_CC		?= clang
FUZZ_FLAGS	:= $(SANITIZE)
FUZZ_SRC	:= $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_BIN	:= $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ	:= $(PLUGIN_SRC:%.c=$(BUILD)/fuzz/%.o) $(BUILD)/fuzz/plugin/offline/time-shift.o
# and whole trace files through tsync-offline's readers, with libtracecmd
FUZZ_FILE_OBJ	:= $(patsubst $(BUILD)/%,$(BUILD)/fuzz/%,$(filter-out %/main.o,$(OFFLINE_OBJ)))

MANSRC		:= $(wildcard Documentation/*.[0-9].txt)
MANPAGES	:= $(MANSRC:Documentation/%.txt=$(BUILD)/man/%)

all: $(PLUGIN) $(OFFLINE) $(OFFLINE_ASAN) $(UNIT) $(UNIT_ASAN) $(PLUGIN_ASAN) $(HELPERS)

# Not linked against trace-cmd's libraries: the plugin only calls into the
# trace-cmd process it is loaded in, through weak references (tracecmd-abi.h,
# clock-marker.c); libtracefs's headers come from pkg-config.
$(PLUGIN): $(PLUGIN_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) -ldl

$(BUILD)/plugin/%.o: plugin/%.c include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(TRACEFS_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(BUILD)/plugin/offline/%.o: plugin/offline/%.c include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(TRACECMD_CFLAGS) -c -o $@ $<

$(OFFLINE): $(OFFLINE_OBJ)
	$(CC) -o $@ $^ $(LDFLAGS) $(TRACECMD_LIBS) -lm

# The offline tool under the sanitizers, for its tests on real files
$(OFFLINE_ASAN): $(OFFLINE_OBJ:$(BUILD)/%.o=%.c) include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SANITIZE) $(WARN) $(TRACECMD_CFLAGS) -o $@ \
		$(OFFLINE_OBJ:$(BUILD)/%.o=%.c) $(LDFLAGS) $(TRACECMD_LIBS) -lm

$(UNIT): $(UNIT_SRC) $(PURE_OBJ) $(HELPER_PURE) include/tsync/*.h tests/helpers/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/helpers $(CFLAGS) $(WARN) $(CUNIT_CFLAGS) -o $@ $(UNIT_SRC) \
		$(PURE_OBJ) $(HELPER_PURE) $(LDFLAGS) $(CUNIT_LIBS) -lm

# The plugin under the sanitizers, for sessions run with libasan preloaded
$(PLUGIN_ASAN): $(PLUGIN_SRC) include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(SANITIZE) $(WARN) $(TRACEFS_CFLAGS) -fPIC -fvisibility=hidden -shared \
		-o $@ $(PLUGIN_SRC) $(LDFLAGS) -ldl

# A peer that corrupts what it sends, as TSYNC_FAULT says: for the tests only
$(PLUGIN_HOSTILE): $(PLUGIN_SRC) tests/helpers/hostile-peer.c include/tsync/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DTSYNC_FAULT_INJECTION $(CFLAGS) $(WARN) $(TRACEFS_CFLAGS) -fPIC \
		-fvisibility=hidden -shared -o $@ $(PLUGIN_SRC) tests/helpers/hostile-peer.c \
		$(LDFLAGS) -ldl

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer
$(UNIT_ASAN): $(UNIT_SRC) $(PURE_SRC) $(HELPER_PURE) include/tsync/*.h tests/helpers/*.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/helpers $(SANITIZE) $(WARN) $(CUNIT_CFLAGS) -o $@ $(UNIT_SRC) \
		$(PURE_SRC) $(HELPER_PURE) $(LDFLAGS) $(CUNIT_LIBS) -lm

$(BUILD)/tests/kvm-test-vm: tests/helpers/kvm-test-vm.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

# Reads the trace buffer back with libtracefs: the tests may, the plugin not
$(BUILD)/tests/clock-check: tests/helpers/clock-check.c $(BUILD)/plugin/clock-read.o
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(TRACEFS_CFLAGS) -o $@ $^ $(LDFLAGS) $(TRACEFS_LIBS)

# Guest events against the host's runs of their vCPU threads
$(BUILD)/tests/vcpu-align: tests/helpers/vcpu-align.c $(HELPER_PURE) tests/helpers/vcpu-runs.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -o $@ tests/helpers/vcpu-align.c $(HELPER_PURE)

$(BUILD)/tests/ftrace-eperm-shim.so: tests/helpers/ftrace-eperm-shim.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) -fPIC -shared -o $@ $< -ldl

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
		-o $@ $^ -ldl

$(BUILD)/fuzz/fuzz-trace-file: tests/fuzz/fuzz-trace-file.c $(FUZZ_FILE_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(WARN) $(TRACECMD_CFLAGS) -fsanitize=fuzzer \
		-o $@ $^ $(TRACECMD_LIBS) -lm

doc: $(MANPAGES)

$(BUILD)/man/%: Documentation/%.txt
	@mkdir -p $(dir $@)
	asciidoctor -b manpage -d manpage -o $@ $<

deps:
	scripts/install-deps.sh

check: all
	tests/run-all.sh

demo: all
	scripts/demo.sh

install: $(PLUGIN) $(OFFLINE) $(MANPAGES)
	install -d $(DESTDIR)$(bindir) $(DESTDIR)$(plugindir)
	install -m 0644 $(PLUGIN) $(DESTDIR)$(plugindir)/tsync.so
	install -m 0755 $(OFFLINE) $(DESTDIR)$(plugindir)/tsync-offline
	sed 's|^TSYNC_INSTALLED_PLUGIN=.*|TSYNC_INSTALLED_PLUGIN=$(plugindir)/tsync.so|' \
		scripts/trace-cmd-tsync > $(DESTDIR)$(bindir)/trace-cmd-tsync
	chmod 0755 $(DESTDIR)$(bindir)/trace-cmd-tsync
	for page in $(MANPAGES); do \
		section=$${page##*.}; \
		install -d $(DESTDIR)$(mandir)/man$$section; \
		install -m 0644 $$page $(DESTDIR)$(mandir)/man$$section/; \
	done

clean:
	rm -rf $(BUILD)

.PHONY: all doc fuzz deps check demo install clean
