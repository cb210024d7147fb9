// SPDX-License-Identifier: LGPL-2.1
/*
 * A hostile peer, for tests only: linked into build/tests/tsync-hostile.so
 * (built with -DTSYNC_FAULT_INJECTION), never into tsync.so.  The variable
 *
 *	TSYNC_FAULT=PROTO:CMD:ACTION[+ACTION...][:FROM]
 *
 * corrupts every message of protocol PROTO with command CMD that this side
 * sends, from the FROM-th such message on (0: the first), so that a session
 * may sync a while before it turns bad.  Each ACTION is one of
 *
 *	size=N		send N payload bytes: fewer truncate, more add zeros
 *	cmd=N		send command N instead
 *	be32@OFF=V	store V big-endian in the 4 bytes at byte OFF
 *	be64@OFF=V	store V big-endian in the 8 bytes at byte OFF
 *
 * V may be negative or hexadecimal.  The first corrupted message is logged
 * as "tsync: injected fault ...", so that a test knows the fault happened.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/plugin.h"

/* Larger than trace-cmd's 8 KiB messages, to send oversized ones */
#define FAULT_ROOM	(20 * 1024)

#define FAULT_ACTIONS	4

enum fault_kind { FAULT_SIZE, FAULT_CMD, FAULT_BE32, FAULT_BE64 };

struct fault_action {
	enum fault_kind		kind;
	unsigned int		offset;
	long long		value;
};

struct fault {
	char			proto[TRACECMD_TSYNC_PNAME_LENGTH];
	unsigned int		cmd;
	struct fault_action	actions[FAULT_ACTIONS];
	int			nr_actions;
	unsigned long		from;
};

static int parse_action(const char *str, struct fault_action *f)
{
	char width[8];
	int len = 0;

	if (sscanf(str, "size=%lli%n", &f->value, &len) == 1 && !str[len]) {
		f->kind = FAULT_SIZE;
		return f->value >= 0 && f->value <= FAULT_ROOM ? 0 : -1;
	}
	if (sscanf(str, "cmd=%lli%n", &f->value, &len) == 1 && !str[len]) {
		f->kind = FAULT_CMD;
		return 0;
	}
	if (sscanf(str, "%7[be3264]@%u=%lli%n", width, &f->offset, &f->value, &len) == 3 &&
	    !str[len] && (!strcmp(width, "be32") || !strcmp(width, "be64"))) {
		f->kind = strcmp(width, "be32") ? FAULT_BE64 : FAULT_BE32;
		return f->offset <= FAULT_ROOM - 8 ? 0 : -1;
	}
	return -1;
}

static int parse_fault(const char *spec, struct fault *f)
{
	char proto[TRACECMD_TSYNC_PNAME_LENGTH], actions[128], *action, *save;
	int len = 0, end = 0;

	memset(f, 0, sizeof(*f));
	if (sscanf(spec, "%15[^:]:%u:%127[^:]%n", proto, &f->cmd, actions, &len) != 3)
		return -1;
	if (spec[len] && (sscanf(spec + len, ":%lu%n", &f->from, &end) != 1 || spec[len + end]))
		return -1;
	strcpy(f->proto, proto);
	for (action = strtok_r(actions, "+", &save); action; action = strtok_r(NULL, "+", &save))
		if (f->nr_actions == FAULT_ACTIONS ||
		    parse_action(action, &f->actions[f->nr_actions++]))
			return -1;
	return f->nr_actions ? 0 : -1;
}

/* The fault asked for, or NULL; a bad TSYNC_FAULT is said once */
static const struct fault *wanted_fault(void)
{
	static struct fault fault;
	static int state;	/* 0 unread, 1 none, 2 armed */
	const char *spec;

	if (!state) {
		spec = getenv("TSYNC_FAULT");
		state = 1;
		if (spec && parse_fault(spec, &fault))
			tsync_err("TSYNC_FAULT=%s: expected PROTO:CMD:ACTION[:FROM]", spec);
		else if (spec)
			state = 2;
	}
	return state == 2 ? &fault : NULL;
}

static void corrupt(const struct fault_action *f, unsigned char *buf, unsigned int *cmd,
		    unsigned int *size)
{
	uint32_t v32 = htobe32((uint32_t)f->value);
	uint64_t v64 = htobe64((uint64_t)f->value);

	switch (f->kind) {
	case FAULT_SIZE:
		*size = f->value;
		break;
	case FAULT_CMD:
		*cmd = f->value;
		break;
	case FAULT_BE32:
		memcpy(buf + f->offset, &v32, sizeof(v32));
		break;
	case FAULT_BE64:
		memcpy(buf + f->offset, &v64, sizeof(v64));
		break;
	}
}

void tsync_fault_inject(const char *proto, unsigned int *cmd, const void **payload,
			unsigned int *size)
{
	static __thread unsigned char buf[FAULT_ROOM];
	static unsigned long seen;
	const struct fault *f = wanted_fault();
	unsigned int old_cmd = *cmd, old_size = *size;
	int i;

	if (!f || strcmp(proto, f->proto) || *cmd != f->cmd || seen++ < f->from)
		return;
	memset(buf, 0, sizeof(buf));
	if (*payload && *size)
		memcpy(buf, *payload, *size < sizeof(buf) ? *size : sizeof(buf));
	for (i = 0; i < f->nr_actions; i++)
		corrupt(&f->actions[i], buf, cmd, size);
	*payload = buf;
	if (seen == f->from + 1)
		tsync_info("injected fault %s (command %u, %u bytes) as command %u, %u bytes",
			  getenv("TSYNC_FAULT"), old_cmd, old_size, *cmd, *size);
}
