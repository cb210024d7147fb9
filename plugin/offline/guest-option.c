// SPDX-License-Identifier: LGPL-2.1
/*
 * The GUEST option of a host file: per guest of the record, its name, its
 * trace id, its CPU count and, per guest CPU, the host thread that runs it
 * (name '\0', trace id (8), count (4), then count x (cpu (4), pid (4))).
 * KernelShark pairs a guest's vCPUs with host tasks from it.  trace-cmd
 * 3.1.6 writes -1 for every vCPU of a guest reached over TCP: the threads
 * of the VM that the user names fill it here, the payload keeping its size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

/* A GUEST option's payload, checked: where its cpu/pid pairs start, how many */
struct guest_info {
	const char	*name;
	size_t		pairs;		/* offset of the first pair */
	int		cpus;
};

static int parse_guest(const struct tsync_trace_file *f, const char *data, size_t size,
		       struct guest_info *g)
{
	const char *end = memchr(data, '\0', size);
	unsigned long long cpus;

	if (!end || (size_t)(end + 1 - data) + 12 > size)
		return -1;
	g->name = data;
	g->pairs = end + 1 - data + 12;
	cpus = tsync_get_number(data + g->pairs - 4, 4, f->big_endian);
	if (cpus > TSYNC_MAX_CPUS || g->pairs + 8 * cpus != size)
		return -1;
	g->cpus = (int)cpus;
	return 0;
}

/* The GUEST option named @name, or the only one; its payload in @data */
static int find_guest(const struct tsync_trace_file *f, const char *name,
		      struct tsync_option *found, char **data, struct guest_info *g)
{
	struct tsync_option *opts;
	int i, nr, matches = 0;
	char *buf;

	*data = NULL;
	if (tsync_trace_options(f, &opts, &nr))
		return -1;
	for (i = 0; i < nr; i++) {
		if (opts[i].id != TRACECMD_OPTION_GUEST)
			continue;
		if (tsync_trace_read_option(f, &opts[i], (void **)&buf))
			break;
		if (parse_guest(f, buf, opts[i].size, g)) {
			tsync_err("%s: corrupt: its GUEST option at offset %lld", f->path,
				  (long long)opts[i].at);
			free(buf);
			break;
		}
		if (name && strcmp(g->name, name)) {
			free(buf);
			continue;
		}
		/* the last one of a name is the one readers take */
		free(*data);
		*data = buf;
		*found = opts[i];
		matches++;
	}
	free(opts);
	if (i < nr) {
		free(*data);
		return -1;
	}
	if (matches == 1 || (name && matches))
		return parse_guest(f, *data, found->size, g);
	free(*data);
	if (name)
		tsync_err("%s: no guest named '%s' in its GUEST options", f->path, name);
	else if (matches)
		tsync_err("%s: %d guests: name one with --guest NAME", f->path, matches);
	else
		tsync_err("%s: no GUEST option: not the host file of a record with -A", f->path);
	return -1;
}

/**
 * tsync_fill_vcpu_threads - the host thread of each vCPU of a guest
 * @f: the host file (claimed with tsync_output_claim() to change it)
 * @out: the new file, or NULL to change @f in place
 * @guest: the guest's name in the GUEST option, or NULL for the only guest
 * @tids: the VM's vCPU threads, by vCPU (0: none)
 * @nr_tids: their number
 *
 * Every guest CPU n gets the thread of vCPU n.  Returns 0, or -1 after
 * saying why: a guest CPU that the VM has no thread for, say.
 */
int tsync_fill_vcpu_threads(const struct tsync_trace_file *f, const char *out,
			    const char *guest, const int *tids, int nr_tids)
{
	struct tsync_option opt;
	struct guest_info g;
	char *data, *pair;
	unsigned long long cpu;
	int i, ret = 0;

	if (find_guest(f, guest, &opt, &data, &g))
		return -1;
	for (i = 0; !ret && i < g.cpus; i++) {
		pair = data + g.pairs + 8 * i;
		cpu = tsync_get_number(pair, 4, f->big_endian);
		if (cpu >= (unsigned long long)nr_tids || !tids[cpu]) {
			tsync_err("%s: guest %s: CPU %llu of %d: the VM has no thread for "
				  "vCPU %llu", f->path, g.name, cpu, g.cpus, cpu);
			ret = -1;
		} else {
			tsync_put_number(pair + 4, 4, (unsigned int)tids[cpu], f->big_endian);
		}
	}
	if (!ret)
		ret = tsync_trace_replace_option(f, out, &opt, data);
	free(data);
	return ret;
}
