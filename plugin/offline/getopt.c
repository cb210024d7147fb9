// SPDX-License-Identifier: LGPL-2.1
/*
 * The command line of every offline command: getopt_long() with tsync's
 * way of naming a wrong option (main.c says the conventions).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tsync/offline.h"

/**
 * tsync_getopt - getopt_long() that names a wrong option as tsync's error
 * @argc: the command's arguments
 * @argv: argv[0] is the command's name
 * @shortopts: as for getopt_long(), without a leading '+' or ':'
 * @longopts: as for getopt_long()
 *
 * Options end at the first operand.  Returns the next option as
 * getopt_long() does, -1 after the last, or '?' after saying which option
 * is unknown or lacks its value.
 */
int tsync_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
	char opts[64];
	int c;

	snprintf(opts, sizeof(opts), "+:%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == ':') {
		tsync_err("%s: %s needs a value", argv[0], argv[optind - 1]);
		return '?';
	}
	if (c != '?')
		return c;
	/* a short option is unknown, or a long one (which may take no value) */
	if (optopt > 0 && optopt < 256 && (optopt == ':' || !strchr(shortopts, optopt)))
		tsync_err("%s: unknown option '-%c'", argv[0], optopt);
	else
		tsync_err("%s: unknown option '%s'", argv[0], argv[optind - 1]);
	return '?';
}
