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
#include <unistd.h>

#include "tsync/plugin.h"

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

/*
 * The launcher's check (TSYNC_CHECK set): say whether tsync can serve this
 * trace-cmd, and end before trace-cmd's main() runs.  TSYNC_CHECK=kvm-host
 * also asks for a VM whose TSC tsync-kvm can read, for record --tsync kvm.  A preload that ld.so
 * ignored prints nothing, which the launcher reads as a refusal too.
 */
static void check_and_exit(const char *refusal, const char *bad_setting)
{
	if (bad_setting)
		printf("tsync-check: bad setting: %s\n", bad_setting);
	else if (refusal)
		printf("tsync-check: refused: %s\n", refusal);
	else
		printf("tsync-check: ready %s/1-%d %s/1-%d\n", TSYNC_PTP_NAME, TSYNC_PTP_WIRE,
		       TSYNC_KVM_NAME, TSYNC_KVM_WIRE);
	fflush(stdout);
	_exit(0);
}

/*
 * A setting the user gave takes effect or trace-cmd does not run; so does
 * --tsync kvm|ptp.  Only auto and builtin run on with trace-cmd's own
 * protocols when tsync cannot serve this trace-cmd.
 */
__attribute__((constructor))
static void tsync_plugin_load(void)
{
	const char *refusal, *bad_setting = NULL, *proto = getenv("TSYNC_PROTO");
	bool required = proto && (!strcmp(proto, "kvm") || !strcmp(proto, "ptp"));
	const char *checking = getenv("TSYNC_CHECK");
	char why[512], bad[256];

	forget_preload();
	refusal = tsync_abi_refusal(why, sizeof(why));

	/* Not inside trace-cmd (a program that inherited the preload): stay idle */
	if (!checking && !tracecmd_tsync_proto_register)
		return;

	/* Socket options are no ABI: even an unknown release gets them */
	if (!checking)
		tsync_nodelay_enable();
	if (tsync_config_load(&tsync_cfg, bad, sizeof(bad)))
		bad_setting = bad;
	if (checking && !refusal && !strcmp(checking, "kvm-host") &&
	    !tsync_kvm_host_vms(bad, sizeof(bad))) {
		snprintf(why, sizeof(why), "tsync-kvm has no VM to read: %s", bad);
		refusal = why;
	}
	if (checking)
		check_and_exit(refusal, bad_setting);
	if (bad_setting) {
		tsync_err("%s", bad_setting);
		_exit(2);
	}
	if (!refusal) {
		tsync_watch_arm(tsync_cfg.timeout_s);
		register_protocols();
		return;
	}
	if (required) {
		tsync_err("%s; --tsync %s cannot be served", refusal, proto);
		_exit(2);
	}
	tsync_err("%s: trace-cmd's built-in protocols stay in use", refusal);
}
