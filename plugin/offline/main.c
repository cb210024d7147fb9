// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-offline: TIME_SHIFT for trace files recorded without a sync.
 * trace-cmd-tsync runs it for its apply, inspect and merge subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "tsync/offline.h"

static const struct {
	const char	*name;
	int		(*run)(int argc, char **argv);
} commands[] = {
	{ "apply", tsync_offline_apply },
	{ "inspect", tsync_offline_inspect },
	{ "merge", tsync_offline_merge },
};

int main(int argc, char **argv)
{
	size_t i;

	for (i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "usage: tsync-offline apply|inspect|merge ... (--help for each)\n");
	return 2;
}
