// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-offline: TIME_SHIFT for trace files recorded without a sync.
 * trace-cmd-tsync runs it for its apply, inspect and merge subcommands.
 *
 * Every command follows one convention: --help prints its usage on stdout
 * and exits 0; a wrong command line is named as an error, its usage follows
 * on stderr, and the exit status is 2; any other failure exits 1.
 * tsync-offline --version prints tsync's release (the Makefile's).
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
	/* the launcher's, after a record with guests */
	{ "keep-records", tsync_offline_keep_records },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: tsync-offline apply|inspect|merge ... (--help for each)\n"
		"       tsync-offline --help | --version\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("tsync-offline %s\n", TSYNC_VERSION);
		return 0;
	}
	for (i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	if (argc > 1)
		tsync_err("unknown command '%s'", argv[1]);
	else
		tsync_err("no command");
	usage(stderr);
	return TSYNC_EXIT_USAGE;
}
