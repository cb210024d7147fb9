// SPDX-License-Identifier: LGPL-2.1
/*
 * The launcher passes its options to the plugin through the environment,
 * the only channel into a preloaded object.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

struct tsync_config tsync_cfg = {
	.choice		= TSYNC_CHOICE_AUTO,
	.ptp_probes	= 128,
	.ptp_budget_ms	= 200,
	.debugfs	= "/sys/kernel/debug",
	.tracefs	= "/sys/kernel/tracing",
	.timeout_s	= 30,
};

/* @option: the launcher's option that sets @name, for the user's eyes */
static int parse_int(const char *name, const char *option, int min, int max, int *val,
		     char *why, size_t size)
{
	const char *str = getenv(name);
	char *end;
	long v;

	if (!str || !*str)
		return 0;
	errno = 0;
	v = strtol(str, &end, 10);
	if (errno || *end || v < min || v > max) {
		snprintf(why, size, "%s %.32s (%s): expected a number from %d to %d",
			 option, str, name, min, max);
		return -1;
	}
	*val = v;
	return 0;
}

/**
 * tsync_config_load - read TSYNC_* variables into @cfg
 * @cfg: configuration to fill; fields keep their defaults when unset
 * @why: room for the reason of a refusal
 * @size: its size
 *
 * Returns 0, or -1 with @why naming the setting that is wrong.
 */
int tsync_config_load(struct tsync_config *cfg, char *why, size_t size)
{
	const char *proto = getenv("TSYNC_PROTO");
	const char *str;

	if (!proto || !*proto || !strcmp(proto, "auto"))
		cfg->choice = TSYNC_CHOICE_AUTO;
	else if (!strcmp(proto, "kvm"))
		cfg->choice = TSYNC_CHOICE_KVM;
	else if (!strcmp(proto, "ptp"))
		cfg->choice = TSYNC_CHOICE_PTP;
	else if (!strcmp(proto, "builtin"))
		cfg->choice = TSYNC_CHOICE_BUILTIN;
	else {
		snprintf(why, size, "--tsync %.32s (TSYNC_PROTO): expected kvm, ptp, auto "
			 "or builtin", proto);
		return -1;
	}

	if (parse_int("TSYNC_PTP_PROBES", "--tsync-probes", 4, TSYNC_PTP_MAX_PROBES,
		      &cfg->ptp_probes, why, size) ||
	    parse_int("TSYNC_PTP_BUDGET_MS", "the environment's", 1, 60000,
		      &cfg->ptp_budget_ms, why, size) ||
	    parse_int("TSYNC_TIMEOUT", "--tsync-timeout", 0, 86400, &cfg->timeout_s, why, size))
		return -1;

	str = getenv("TSYNC_VM");
	cfg->vm = str && *str ? str : NULL;
	str = getenv("TSYNC_GUEST_VMS");
	cfg->guest_vms = str && *str ? str : NULL;
	str = getenv("TSYNC_DEBUGFS");
	if (str && *str)
		cfg->debugfs = str;
	str = getenv("TSYNC_TRACEFS");
	if (str && *str)
		cfg->tracefs = str;
	str = getenv("TSYNC_SYNC_RECORDS");
	cfg->records = str && *str == '/' ? str : NULL;
	str = getenv("TSYNC_VERBOSE");
	cfg->verbose = str && *str && strcmp(str, "0");
	tsync_log_verbose = cfg->verbose;
	return 0;
}
