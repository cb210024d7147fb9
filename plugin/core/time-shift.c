// SPDX-License-Identifier: LGPL-2.1
/*
 * The TIME_SHIFT option's payload, as trace-cmd 3.1.6 reads it
 * (trace-input.c, tsync_cpu_offsets_load):
 *
 *	u64 peer (host) trace id, u32 flags, u32 CPU count
 *	per CPU: u32 count, s64 times[count], s64 offsets[count],
 *		 s64 scalings[count]
 *	per CPU: s64 fraction bits[count]	(absent before trace-cmd 3.0)
 *
 * in the file's byte order.  Decoding is strict: the bytes come from a file
 * anyone may have written, so every count is checked against what is left
 * before anything is allocated, and a payload report would misread (no
 * samples for a CPU, trailing bytes, shifts beyond 63) or cannot compute
 * with in 64 bits (negative times, times 2^63 apart, which crash report,
 * an offset of -2^63) is refused.  The encoder writes none of them either.
 *
 * trace-cmd's own writer sizes every CPU's fractions by the last CPU's
 * count; the encoder writes each CPU's own, which is what report reads.
 */
#include <endian.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tsync/core.h"

typedef __int128 s128;

struct cursor {
	const unsigned char	*p;
	size_t			left;
	bool			big_endian;
};

/**
 * tsync_get_number - an unsigned number of @bytes bytes in a file's byte order
 * @p: where it is
 * @bytes: 1 to 8
 * @big_endian: the file's byte order
 */
unsigned long long tsync_get_number(const void *p, int bytes, bool big_endian)
{
	const unsigned char *b = p;
	unsigned long long v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v |= (unsigned long long)b[i] << (big_endian ? 8 * (bytes - 1 - i) : 8 * i);
	return v;
}

void tsync_put_number(void *p, int bytes, unsigned long long val, bool big_endian)
{
	unsigned char *b = p;
	int i;

	for (i = 0; i < bytes; i++)
		b[i] = (unsigned char)(val >> (big_endian ? 8 * (bytes - 1 - i) : 8 * i));
}

/* The next @bytes bytes as a number: the caller knows they are there */
static unsigned long long next(struct cursor *c, int bytes)
{
	unsigned long long v = tsync_get_number(c->p, bytes, c->big_endian);

	c->p += bytes;
	c->left -= bytes;
	return v;
}

static bool take(struct cursor *c, int bytes, unsigned long long *val)
{
	if ((size_t)bytes > c->left)
		return false;
	*val = next(c, bytes);
	return true;
}

/* One field of each sample: the payload keeps them as arrays */
#define FIELD(f)	offsetof(struct tsync_sample, f)

/* The counts were checked against the bytes left: they are there */
static void take_field(struct cursor *c, struct tsync_samples *cpu, size_t field)
{
	int i;

	for (i = 0; i < cpu->nr; i++)
		*(long long *)((char *)&cpu->at[i] + field) = (long long)next(c, 8);
}

/**
 * tsync_time_shift_alloc - room for @cpu_count CPUs, without samples
 * @ts: the option to set up
 * @cpu_count: its CPUs
 *
 * Returns 0, or -1 when memory runs out.
 */
int tsync_time_shift_alloc(struct tsync_time_shift *ts, int cpu_count)
{
	memset(ts, 0, sizeof(*ts));
	ts->cpus = calloc(cpu_count ? cpu_count : 1, sizeof(*ts->cpus));
	if (!ts->cpus)
		return -1;
	ts->cpu_count = cpu_count;
	return 0;
}

void tsync_time_shift_free(struct tsync_time_shift *ts)
{
	tsync_samples_free_cpus(ts->cpus, ts->cpu_count);
	ts->cpus = NULL;
	ts->cpu_count = 0;
}

static int alloc_samples(struct tsync_samples *cpu, int count)
{
	cpu->at = calloc(count, sizeof(*cpu->at));
	if (!cpu->at)
		return -1;
	cpu->size = cpu->nr = count;
	return 0;
}

/*
 * What keeps report from computing with a CPU's samples, or NULL.  report
 * sorts them by time as signed numbers, looks a guest time up among them
 * as an unsigned one, divides by the distance of two of them in signed 64
 * bits, and takes the absolute value of an offset.  @cpu has samples.
 */
static const char *check_samples(const struct tsync_samples *cpu)
{
	long long lo = cpu->at[0].guest_ts, hi = lo;
	int i;

	for (i = 0; i < cpu->nr; i++) {
		if (cpu->at[i].scaling <= 0)
			return "a sample's scaling is not positive";
		if (cpu->at[i].frac < 0 || cpu->at[i].frac > 63)
			return "a sample's fraction bits are not 0 to 63";
		if (cpu->at[i].offset == LLONG_MIN)
			return "a sample's offset is -2^63: report takes its absolute value, "
			       "which 64 bits cannot hold";
		if (!tsync_sample_offset_fits(&cpu->at[i]))
			return "a sample's host time minus its guest time does not fit in 64 bits";
		if (cpu->at[i].guest_ts < lo)
			lo = cpu->at[i].guest_ts;
		if (cpu->at[i].guest_ts > hi)
			hi = cpu->at[i].guest_ts;
	}
	if ((unsigned long long)hi - (unsigned long long)lo > LLONG_MAX)
		return "two samples' times are 2^63 or more apart: report's distance between them "
		       "overflows 64 bits, and trace-cmd report can crash (SIGFPE) dividing by it";
	if (lo < 0)
		return "a sample's time is negative: report sorts the times as signed numbers "
		       "but looks them up as unsigned ones";
	return NULL;
}

static const char *decode_cpus(struct cursor *c, struct tsync_time_shift *ts)
{
	struct tsync_samples *cpu;
	unsigned long long count;
	size_t total = 0;
	int i;

	for (i = 0; i < ts->cpu_count; i++) {
		cpu = &ts->cpus[i];
		if (!take(c, 4, &count))
			return "truncated in a CPU's sample count";
		if (!count)
			return "a CPU without samples (report would read past its samples)";
		if (count > c->left / 24)
			return "a CPU's sample count exceeds the option's size";
		if (alloc_samples(cpu, (int)count))
			return "out of memory";
		take_field(c, cpu, FIELD(guest_ts));
		take_field(c, cpu, FIELD(offset));
		take_field(c, cpu, FIELD(scaling));
		total += count;
	}
	if (!c->left)
		return NULL;	/* no fraction bits: all zero */
	if (c->left != total * 8)
		return "the fraction bits do not match the sample counts";
	for (i = 0; i < ts->cpu_count; i++)
		take_field(c, &ts->cpus[i], FIELD(frac));
	return NULL;
}

/**
 * tsync_time_shift_decode - read a TIME_SHIFT payload
 * @buf: the option's data
 * @size: its size
 * @big_endian: the file's byte order
 * @ts: returns the option (free with tsync_time_shift_free())
 * @why: returns the cause of a failure
 *
 * Returns 0, or -1 with @why set and nothing to free.
 */
int tsync_time_shift_decode(const void *buf, size_t size, bool big_endian,
			    struct tsync_time_shift *ts, const char **why)
{
	struct cursor c = { .p = buf, .left = size, .big_endian = big_endian };
	unsigned long long id, flags, cpus;
	const char *err = NULL;
	int i;

	memset(ts, 0, sizeof(*ts));
	if (!take(&c, 8, &id) || !take(&c, 4, &flags) || !take(&c, 4, &cpus)) {
		*why = "shorter than its 16-byte header";
		return -1;
	}
	if (!cpus || cpus > TSYNC_MAX_CPUS || cpus > c.left / 28) {
		*why = "its CPU count does not fit its size";
		return -1;
	}
	if (tsync_time_shift_alloc(ts, (int)cpus)) {
		*why = "out of memory";
		return -1;
	}
	ts->peer_trace_id = id;
	ts->flags = (unsigned int)flags;
	err = decode_cpus(&c, ts);
	for (i = 0; !err && i < ts->cpu_count; i++)
		err = check_samples(&ts->cpus[i]);
	if (err) {
		tsync_time_shift_free(ts);
		*why = err;
		return -1;
	}
	return 0;
}

/**
 * tsync_time_shift_size - bytes of @ts's payload, fraction bits included
 * @ts: the option
 */
size_t tsync_time_shift_size(const struct tsync_time_shift *ts)
{
	size_t size = 16;
	int i;

	for (i = 0; i < ts->cpu_count; i++)
		size += 4 + (size_t)ts->cpus[i].nr * 32;
	return size;
}

static void put(unsigned char **p, int bytes, unsigned long long val, bool big_endian)
{
	tsync_put_number(*p, bytes, val, big_endian);
	*p += bytes;
}

static void put_field(unsigned char **p, const struct tsync_samples *cpu, size_t field,
		      bool big_endian)
{
	int i;

	for (i = 0; i < cpu->nr; i++)
		put(p, 8, *(const unsigned long long *)((const char *)&cpu->at[i] + field),
		    big_endian);
}

/**
 * tsync_time_shift_encode - write @ts's payload
 * @ts: the option; every CPU needs at least one sample
 * @big_endian: the file's byte order
 * @buf: where to write
 * @size: its size, at least tsync_time_shift_size()
 * @why: returns the cause of a failure
 *
 * Returns 0, or -1 with @why set.
 */
int tsync_time_shift_encode(const struct tsync_time_shift *ts, bool big_endian,
			    void *buf, size_t size, const char **why)
{
	unsigned char *p = buf;
	const char *err = NULL;
	int i;

	if (ts->cpu_count <= 0 || ts->cpu_count > TSYNC_MAX_CPUS)
		err = "no CPUs, or too many";
	for (i = 0; !err && i < ts->cpu_count; i++) {
		if (ts->cpus[i].nr <= 0)
			err = "a CPU without samples";
		else
			err = check_samples(&ts->cpus[i]);
	}
	if (!err && size < tsync_time_shift_size(ts))
		err = "the buffer is too small";
	if (err) {
		*why = err;
		return -1;
	}
	put(&p, 8, ts->peer_trace_id, big_endian);
	put(&p, 4, ts->flags, big_endian);
	put(&p, 4, (unsigned int)ts->cpu_count, big_endian);
	for (i = 0; i < ts->cpu_count; i++) {
		const struct tsync_samples *cpu = &ts->cpus[i];

		put(&p, 4, (unsigned int)cpu->nr, big_endian);
		put_field(&p, cpu, FIELD(guest_ts), big_endian);
		put_field(&p, cpu, FIELD(offset), big_endian);
		put_field(&p, cpu, FIELD(scaling), big_endian);
	}
	for (i = 0; i < ts->cpu_count; i++)
		put_field(&p, &ts->cpus[i], FIELD(frac), big_endian);
	return 0;
}
