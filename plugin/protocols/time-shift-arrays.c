// SPDX-License-Identifier: LGPL-2.1
/*
 * trace-cmd writes the TIME_SHIFT option from four arrays per guest CPU in
 * its clock context; tsync's protocols keep their samples in the core's
 * lists and publish them here, the only place that knows those arrays.
 * trace-cmd's own path drops every sample whose offset is 0 (a true value
 * under KVM without offsetting) and writes every CPU's sample count from
 * one variable, so counts must also stay equal.
 */
#include <errno.h>
#include <stdlib.h>

#include "tsync/plugin.h"

static int grow(long long **array, int size)
{
	long long *bigger = realloc(*array, size * sizeof(**array));

	if (!bigger)
		return -1;
	*array = bigger;
	return 0;
}

/* trace-cmd frees each array with free(): keep them realloc'ed */
static int reserve(struct clock_sync_offsets *cpu, int want)
{
	int size = cpu->sync_size ? cpu->sync_size : 16;

	if (want <= cpu->sync_size)
		return 0;
	while (size < want) {
		if (size > (1 << 29)) {
			errno = ENOMEM;
			return -1;
		}
		size *= 2;
	}
	if (grow(&cpu->sync_ts, size) || grow(&cpu->sync_offsets, size) ||
	    grow(&cpu->sync_scalings, size) || grow(&cpu->sync_frac, size))
		return -1;
	cpu->sync_size = size;
	return 0;
}

static void put(struct clock_sync_offsets *cpu, int i, const struct tsync_sample *s)
{
	cpu->sync_ts[i] = s->guest_ts;
	cpu->sync_offsets[i] = s->offset;
	cpu->sync_scalings[i] = s->scaling;
	cpu->sync_frac[i] = s->frac;
}

/* The samples changed since the last time, copied */
static int copy_cpu(struct clock_sync_offsets *cpu, struct tsync_samples *ss)
{
	int i = ss->dirty < cpu->sync_count ? ss->dirty : cpu->sync_count;

	if (reserve(cpu, ss->nr))
		return -1;
	for (; i < ss->nr; i++)
		put(cpu, i, &ss->at[i]);
	cpu->sync_count = ss->nr;
	tsync_samples_clean(ss);
	return 0;
}

/* The CPU nearest to @cpu that has samples, the lower one on a tie; -1 if none */
static int nearest_with_samples(const struct tsync_samples *cpus, int nr, int cpu)
{
	int d;

	for (d = 1; d < nr; d++) {
		if (cpu - d >= 0 && cpus[cpu - d].nr)
			return cpu - d;
		if (cpu + d < nr && cpus[cpu + d].nr)
			return cpu + d;
	}
	return -1;
}

/*
 * trace-cmd writes every CPU's count from one variable: unequal counts
 * would frame the TIME_SHIFT option wrongly.  A CPU short of samples
 * repeats its last one (report drops samples of equal time after reading
 * them).  A CPU with none takes the nearest CPU's: a guest's CPUs share
 * one clock, and dropping every CPU's samples instead would leave the
 * guest's sync records with no TIME_SHIFT at all.
 */
static int equalize(struct clock_sync_context *ctx, const struct tsync_samples *cpus)
{
	int max = 0, i, j, from;

	for (i = 0; i < ctx->cpu_count; i++)
		if (cpus[i].nr > max)
			max = cpus[i].nr;
	for (i = 0; i < ctx->cpu_count; i++) {
		struct clock_sync_offsets *cpu = &ctx->offsets[i];
		const struct tsync_samples *own = &cpus[i];

		if (!max) {
			cpu->sync_count = 0;
			continue;
		}
		if (reserve(cpu, max))
			return -1;
		if (!own->nr) {
			from = nearest_with_samples(cpus, ctx->cpu_count, i);
			own = &cpus[from];
			for (j = 0; j < own->nr; j++)
				put(cpu, j, &own->at[j]);
		}
		for (j = own->nr; j < max; j++)
			put(cpu, j, &own->at[own->nr - 1]);
		cpu->sync_count = max;
	}
	return 0;
}

/**
 * tsync_arrays_borrowed - say which CPUs had no sample of their own
 * @proto: the protocol's name
 * @cpus: every guest CPU's samples
 * @nr: how many CPUs
 *
 * For the end of a session: each CPU with none took the nearest CPU's.
 */
void tsync_arrays_borrowed(const char *proto, const struct tsync_samples *cpus, int nr)
{
	int i, from;

	for (i = 0; cpus && i < nr; i++) {
		if (cpus[i].nr)
			continue;
		from = nearest_with_samples(cpus, nr, i);
		if (from >= 0)
			tsync_err("%s: guest CPU %d has no sample of its own: TIME_SHIFT gives "
				  "it CPU %d's", proto, i, from);
	}
}

/**
 * tsync_arrays_publish - a session's samples into trace-cmd's arrays
 * @ctx: the session's clock context
 * @cpus: every guest CPU's samples, ctx->cpu_count of them
 *
 * Returns 0, or -1 with errno set: the arrays then hold no sample.
 */
int tsync_arrays_publish(struct clock_sync_context *ctx, struct tsync_samples *cpus)
{
	int i;

	if (!ctx || !ctx->offsets || ctx->cpu_count <= 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < ctx->cpu_count; i++) {
		if (copy_cpu(&ctx->offsets[i], &cpus[i]))
			goto fail;
	}
	if (!equalize(ctx, cpus))
		return 0;
fail:
	for (i = 0; i < ctx->cpu_count; i++)
		ctx->offsets[i].sync_count = 0;
	return -1;
}
