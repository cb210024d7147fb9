// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-offline keep-records RECORDS GUEST.dat...: the launcher's last step
 * of a record with guests.  RECORDS holds the host's copy of every sync
 * record of the session (records-kept.c), of every guest; each guest file
 * gets, as tsync's own option, those that are samples of its TIME_SHIFT
 * (same CPU, time and offset), so that its sync points before and after
 * its trace keep their bounds too.  Files with none of them, or with the
 * option already, stay as they are; the others are replaced whole
 * (output-file.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsync/offline.h"

#define KEEP_USAGE \
	"usage: tsync-offline keep-records RECORDS GUEST.dat...\n" \
	"  Adds to each GUEST.dat the sync records of RECORDS that are its samples\n" \
	"  (trace-cmd-tsync record runs it).\n"

/* The whole of @path, NUL-terminated; NULL after saying why */
static char *read_all(const char *path, size_t *len)
{
	char *buf = NULL;
	long size = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tsync_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	*len = 0;
	do {
		if (tsync_array_room(&buf, &size, *len + 1, 1, 4096)) {
			n = -1;
			break;
		}
		n = read(fd, buf + *len, size - *len - 1);
		if (n > 0)
			*len += n;
	} while (n > 0);
	close(fd);
	if (n < 0) {
		tsync_err("%s: %s", path, strerror(errno ? errno : ENOMEM));
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* A line of @text records a sample of @ts */
static bool is_sample(const struct tsync_time_shift *ts, const char *line, size_t len)
{
	char proto[TSYNC_PROTO_NAME_MAX];
	struct tsync_sync_record r;

	return !tsync_record_parse(line, len, proto, &r) && tsync_record_is_sample(ts, &r);
}

/* @text's lines that are samples of @ts, in place at its start; their length */
static size_t pick(const struct tsync_time_shift *ts, char *text, size_t len)
{
	char *end = text + len, *line, *nl;
	size_t kept = 0;

	for (line = text; line < end; line = nl + 1) {
		nl = memchr(line, '\n', end - line);
		if (!nl)
			break;
		if (!is_sample(ts, line, nl - line))
			continue;
		memmove(text + kept, line, nl + 1 - line);
		kept += nl + 1 - line;
	}
	return kept;
}

/* 0, or -1 after saying why */
static int keep(const char *path, const char *records, size_t len)
{
	struct tsync_time_shift ts;
	struct tsync_trace_file g;
	unsigned int old_size;
	char *mine = NULL;
	void *old;
	int ret;

	if (tsync_trace_open(&g, path))
		return -1;
	ret = tsync_output_claim(&g);
	if (!ret)
		ret = tsync_trace_find_option(&g, TSYNC_OPTION_SYNC_RECORDS, &old, &old_size);
	if (!ret)
		free(old);
	/* kept already, or no TIME_SHIFT (no sync): nothing to add */
	if (ret > 0 && !tsync_trace_time_shift(&g, &ts)) {
		mine = malloc(len + 1);
		ret = mine ? 0 : -1;
		if (mine) {
			memcpy(mine, records, len);
			len = pick(&ts, mine, len);
			if (len)
				ret = tsync_trace_add_option(&g, NULL, TSYNC_OPTION_SYNC_RECORDS,
							     mine, len);
		}
		tsync_time_shift_free(&ts);
	} else if (ret > 0) {
		ret = 0;
	}
	free(mine);
	tsync_trace_close(&g);
	return ret ? -1 : 0;
}

int tsync_offline_keep_records(int argc, char **argv)
{
	size_t len;
	char *records;
	int i, ret = 0;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("%s", KEEP_USAGE);
		return 0;
	}
	if (argc < 3) {
		tsync_err("keep-records: %s", argc < 2 ? "no RECORDS given" : "no GUEST.dat given");
		fprintf(stderr, "%s", KEEP_USAGE);
		return TSYNC_EXIT_USAGE;
	}
	records = read_all(argv[1], &len);
	if (!records)
		return TSYNC_EXIT_FAILED;
	for (i = 2; len && i < argc; i++)
		if (keep(argv[i], records, len))
			ret = TSYNC_EXIT_FAILED;
	free(records);
	return ret;
}
