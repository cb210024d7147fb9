// SPDX-License-Identifier: LGPL-2.1
/*
 * A record that dies keeps what its recorders wrote.
 *
 * trace-cmd's die() ends record on an error, such as a guest whose
 * metadata stopped coming ("cannot create output handle" once the trace
 * is over): it kills the recorders with SIGKILL and unlinks their per-CPU
 * files, the host's trace among them, before it exits.  Nothing else in
 * trace-cmd 3.1.2 to 3.4 sends SIGKILL, so once it has, the per-CPU files
 * ("FILE.cpuN", "FILE.INSTANCE.cpuN") stay: trace-cmd-tsync rebuilds the
 * host's trace from them after the failed record (rescue_host_trace).
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "tsync/plugin.h"

static atomic_bool dying;

/* Is @path a recorder's per-CPU file: a name that ends in ".cpu" and digits? */
static bool recorder_file(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t digits;

	if (!dot || strncmp(dot, ".cpu", 4))
		return false;
	digits = strspn(dot + 4, "0123456789");
	return digits && !dot[4 + digits];
}

__attribute__((visibility("default")))
int kill(pid_t pid, int sig)
{
	static int (*real_kill)(pid_t, int);

	if (!real_kill)
		real_kill = dlsym(RTLD_NEXT, "kill");
	if (sig == SIGKILL && pid > 0 && tracecmd_tsync_proto_register)
		dying = true;
	return real_kill(pid, sig);
}

__attribute__((visibility("default")))
int unlink(const char *path)
{
	static int (*real_unlink)(const char *);

	if (!real_unlink)
		real_unlink = dlsym(RTLD_NEXT, "unlink");
	if (dying && recorder_file(path)) {
		tsync_err("trace-cmd is ending on an error: %s is kept, for trace-cmd-tsync "
			  "to rebuild the trace", path);
		return 0;
	}
	return real_unlink(path);
}
