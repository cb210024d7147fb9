// SPDX-License-Identifier: LGPL-2.1
/*
 * Strict decimal numbers, as debugfs prints them and as users type them:
 * shared by the plugin (debugfs files) and tsync-offline (command lines).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

#include "tsync/core.h"

/**
 * tsync_parse_number - parse a decimal number as debugfs prints it
 * @buf: the text, not necessarily NUL-terminated
 * @len: its length
 * @is_signed: whether a minus sign is allowed
 * @val: returns the value; an unsigned one is returned as its bits
 *
 * Accepts optional surrounding blanks and one trailing newline, nothing
 * else.  Returns 0, or -1 with errno EINVAL or ERANGE.
 */
int tsync_parse_number(const char *buf, size_t len, bool is_signed, long long *val)
{
	char text[32], *end;
	size_t i = 0, n = 0;

	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	while (i < len && !isspace((unsigned char)buf[i]) && n < sizeof(text) - 1)
		text[n++] = buf[i++];
	text[n] = '\0';
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (!n || i < len || (!is_signed && text[0] == '-') ||
	    !(isdigit((unsigned char)text[0]) || (text[0] == '-' && n > 1))) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	if (is_signed)
		*val = strtoll(text, &end, 10);
	else
		*val = (long long)strtoull(text, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
