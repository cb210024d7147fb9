// SPDX-License-Identifier: LGPL-2.1
/*
 * Messages of the plugin and of tsync-offline: one line on stderr each, so
 * that they read well between trace-cmd's own output.  Errors say so
 * ("tsync: error: ..."); information has the bare prefix ("tsync: ...").
 */
#include <stdarg.h>
#include <stdio.h>

#include "tsync/core.h"

bool tsync_log_verbose;

static void tsync_vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "tsync: %s%s\n", prefix, line);
}

void tsync_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tsync_vlog("error: ", fmt, ap);
	va_end(ap);
}

void tsync_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tsync_vlog("", fmt, ap);
	va_end(ap);
}

/* Only when verbose (the plugin: TSYNC_VERBOSE=1): per sync point figures */
void tsync_debug(const char *fmt, ...)
{
	va_list ap;

	if (!tsync_log_verbose)
		return;
	va_start(ap, fmt);
	tsync_vlog("", fmt, ap);
	va_end(ap);
}
