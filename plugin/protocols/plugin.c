// SPDX-License-Identifier: LGPL-2.1
/*
 * Entry point of tsync.so.
 *
 * trace-cmd 3.1.6 loads no time-sync plugins: the launcher preloads this
 * object, whose constructor runs before trace-cmd's main() and registers
 * tsync's protocols with the exported tracecmd_tsync_proto_register().
 * trace-cmd registers its built-ins later; a name that is already taken is
 * refused, which is how the launcher's --tsync kvm|ptp keeps them out.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

/* Layouts in tracecmd-abi.h are those of these releases */
#define ABI_FIRST	301	/* 3.1 */
#define ABI_LAST	304	/* 3.4 */

/*
 * Drop this object from LD_PRELOAD, so that the command "record" runs (and
 * anything else trace-cmd starts) does not inherit it.
 */
static void forget_preload(void)
{
	const char *list = getenv("LD_PRELOAD");
	char *copy, *entry, *save, *out;
	Dl_info self;
	size_t len;

	if (!list || !dladdr((void *)forget_preload, &self) || !self.dli_fname)
		return;
	len = strlen(list);
	copy = strdup(list);
	out = calloc(1, len + 1);
	if (!copy || !out)
		goto out;
	for (entry = strtok_r(copy, ": ", &save); entry; entry = strtok_r(NULL, ": ", &save)) {
		if (!strcmp(entry, self.dli_fname))
			continue;
		if (*out)
			strcat(out, ":");
		strcat(out, entry);
	}
	if (*out)
		setenv("LD_PRELOAD", out, 1);
	else
		unsetenv("LD_PRELOAD");
out:
	free(copy);
	free(out);
}

/* The launcher tells trace-cmd's version: its binary has no way to ask */
static bool abi_known(const char **version)
{
	unsigned int major, minor;

	*version = getenv("TSYNC_TRACECMD_VERSION");
	if (!*version || sscanf(*version, "%u.%u", &major, &minor) != 2)
		return false;
	return major * 100 + minor >= ABI_FIRST && major * 100 + minor <= ABI_LAST;
}

/* Take a built-in's name with no roles, so that it is never offered */
static void block_builtin(const char *name)
{
	tracecmd_tsync_proto_register(name, 0, 0, 0, 0, NULL, NULL, NULL);
}

static void register_protocols(void)
{
	unsigned int roles = TRACECMD_TIME_SYNC_ROLE_HOST | TRACECMD_TIME_SYNC_ROLE_GUEST |
			     TRACECMD_TIME_SYNC_ROLE_CLIENT;
	enum tsync_choice choice = tsync_cfg.choice;
	bool kvm = choice == TSYNC_CHOICE_AUTO || choice == TSYNC_CHOICE_KVM;
	bool ptp = choice == TSYNC_CHOICE_AUTO || choice == TSYNC_CHOICE_PTP;

	if (choice == TSYNC_CHOICE_KVM || choice == TSYNC_CHOICE_PTP) {
		block_builtin("kvm");
		block_builtin("ptp");
	}
	if (kvm && tsync_kvm_register(roles))
		tsync_err("cannot register %s", TSYNC_KVM_NAME);
	if (ptp && tsync_ptp_register(roles))
		tsync_err("cannot register %s", TSYNC_PTP_NAME);
}

__attribute__((constructor))
static void tsync_plugin_load(void)
{
	const char *version;

	forget_preload();

	/* Not inside trace-cmd: stay idle */
	if (!tracecmd_tsync_proto_register || !tracecmd_msg_recv_time_sync)
		return;

	/* Socket options are no ABI: even an unknown release gets them */
	tsync_nodelay_enable();
	if (!abi_known(&version)) {
		tsync_err("trace-cmd %s is not a release tsync knows (3.1 to 3.4): "
			  "its built-in protocols stay in use",
			  version ? version : "of unknown version");
		return;
	}
	if (tsync_config_load(&tsync_cfg)) {
		tsync_err("configuration refused: trace-cmd's built-in protocols stay in use");
		return;
	}
	tsync_watch_arm(tsync_cfg.timeout_s);
	register_protocols();
}
