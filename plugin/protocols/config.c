// SPDX-License-Identifier: LGPL-2.1
/*
 * The launcher passes its options to the plugin through the environment,
 * the only channel into a preloaded object.
 */
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

static int parse_int(const char *name, int min, int max, int *val)
{
	const char *str = getenv(name);
	char *end;
	long v;

	if (!str || !*str)
		return 0;
	v = strtol(str, &end, 10);
	if (*end || v < min || v > max) {
		tsync_err("%s=%s: expected a number from %d to %d", name, str, min, max);
		return -1;
	}
	*val = v;
	return 0;
}

/**
 * tsync_config_load - read TSYNC_* variables into @cfg
 * @cfg: configuration to fill; fields keep their defaults when unset
 *
 * Returns 0, or -1 after printing which variable is wrong.
 */
int tsync_config_load(struct tsync_config *cfg)
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
		tsync_err("TSYNC_PROTO=%s: expected kvm, ptp, auto or builtin", proto);
		return -1;
	}

	if (parse_int("TSYNC_PTP_PROBES", 4, TSYNC_PTP_MAX_PROBES, &cfg->ptp_probes) ||
	    parse_int("TSYNC_PTP_BUDGET_MS", 1, 60000, &cfg->ptp_budget_ms) ||
	    parse_int("TSYNC_TIMEOUT", 0, 86400, &cfg->timeout_s))
		return -1;

	str = getenv("TSYNC_VM");
	cfg->vm = str && *str ? str : NULL;
	str = getenv("TSYNC_DEBUGFS");
	if (str && *str)
		cfg->debugfs = str;
	str = getenv("TSYNC_TRACEFS");
	if (str && *str)
		cfg->tracefs = str;
	str = getenv("TSYNC_VERBOSE");
	cfg->verbose = str && *str && strcmp(str, "0");
	tsync_log_verbose = cfg->verbose;
	return 0;
}
