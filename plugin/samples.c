// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync records its TIME_SHIFT samples itself, in the arrays trace-cmd writes
 * the option from.  trace-cmd's own path drops every sample whose offset is
 * 0 (a true value under KVM without offsetting) and writes every CPU's
 * sample count from one variable, so counts must also stay equal.
 */
#include <errno.h>
#include <stdlib.h>

#include "tsync/tsync.h"

static int grow(long long **array, int size)
{
	long long *bigger = realloc(*array, size * sizeof(**array));

	if (!bigger)
		return -1;
	*array = bigger;
	return 0;
}

static int reserve(struct clock_sync_offsets *cpu)
{
	int size;

	if (cpu->sync_count < cpu->sync_size)
		return 0;
	size = cpu->sync_size ? cpu->sync_size * 2 : 16;
	/* trace-cmd frees each array with free(): keep them realloc'ed */
	if (grow(&cpu->sync_ts, size) || grow(&cpu->sync_offsets, size) ||
	    grow(&cpu->sync_scalings, size) || grow(&cpu->sync_frac, size))
		return -1;
	cpu->sync_size = size;
	return 0;
}

/**
 * tsync_samples_add - append one TIME_SHIFT sample of a guest CPU
 * @ctx: the session's clock context
 * @cpu: guest CPU the sample belongs to
 * @sample: the sample
 *
 * report looks samples up by guest time, with a binary search: a sample
 * earlier than the CPU's last one (a guest whose clock went back, or that
 * lies) would make it pick wrong ones, and is refused.
 *
 * Returns 0, or -1 with errno set: EINVAL if @cpu is out of range, ERANGE
 * for a sample before the last one, ENOMEM if memory ran out.
 */
int tsync_samples_add(struct clock_sync_context *ctx, int cpu,
		      const struct tsync_sample *sample)
{
	struct clock_sync_offsets *offsets;
	int i;

	if (!ctx || !ctx->offsets || cpu < 0 || cpu >= ctx->cpu_count) {
		errno = EINVAL;
		return -1;
	}
	offsets = &ctx->offsets[cpu];
	if (offsets->sync_count &&
	    sample->guest_ts < offsets->sync_ts[offsets->sync_count - 1]) {
		errno = ERANGE;
		return -1;
	}
	if (reserve(offsets))
		return -1;
	i = offsets->sync_count++;
	offsets->sync_ts[i] = sample->guest_ts;
	offsets->sync_offsets[i] = sample->offset;
	offsets->sync_scalings[i] = sample->scaling;
	offsets->sync_frac[i] = sample->frac;
	return 0;
}

/**
 * tsync_samples_drop_from - forget a CPU's samples from guest time @start on
 * @ctx: the session's clock context
 * @cpu: the guest CPU
 * @start: where an offset write took over
 *
 * Returns how many samples the CPU keeps.
 */
int tsync_samples_drop_from(struct clock_sync_context *ctx, int cpu, unsigned long long start)
{
	struct clock_sync_offsets *o = &ctx->offsets[cpu];

	while (o->sync_count && (unsigned long long)o->sync_ts[o->sync_count - 1] >= start)
		o->sync_count--;
	return o->sync_count;
}

/**
 * tsync_samples_equalize - give every CPU the same number of samples
 * @ctx: the session's clock context
 *
 * trace-cmd writes every CPU's count from one variable: unequal counts
 * would frame the TIME_SHIFT option wrongly.  A CPU short of samples
 * repeats its last one (report drops samples of equal time after reading
 * them); if any CPU has none, no CPU keeps any, and no option is written.
 */
void tsync_samples_equalize(struct clock_sync_context *ctx)
{
	struct clock_sync_offsets *cpu;
	int min, max, i, last;

	if (!ctx || !ctx->offsets || ctx->cpu_count <= 0)
		return;
	min = max = ctx->offsets[0].sync_count;
	for (i = 1; i < ctx->cpu_count; i++) {
		if (ctx->offsets[i].sync_count < min)
			min = ctx->offsets[i].sync_count;
		if (ctx->offsets[i].sync_count > max)
			max = ctx->offsets[i].sync_count;
	}
	for (i = 0; i < ctx->cpu_count; i++) {
		cpu = &ctx->offsets[i];
		if (!min) {
			cpu->sync_count = 0;
			continue;
		}
		last = cpu->sync_count - 1;
		while (cpu->sync_count < max) {
			struct tsync_sample again = {
				.guest_ts = cpu->sync_ts[last],
				.offset = cpu->sync_offsets[last],
				.scaling = cpu->sync_scalings[last],
				.frac = cpu->sync_frac[last],
			};

			if (tsync_samples_add(ctx, i, &again)) {
				cpu->sync_count = last + 1;
				break;
			}
		}
	}
}
