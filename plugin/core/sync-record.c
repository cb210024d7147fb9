// SPDX-License-Identifier: LGPL-2.1
/*
 * The record of one sync point: what the host estimated for one guest CPU,
 * told to the guest at the end of the sync point and kept by the guest as a
 * print event in its own trace, where inspect reads the error bound back:
 *
 *	tsync-sync: proto=<name> cpu=<guest cpu> ts=<guest clock> offset=<host-guest> bound=<b>
 *
 * decimal, in trace clock units; bound=-1 when it is not proven.
 *
 * On the wire: cpu (32 bits), guest time, offset, bound (64 bits, two's
 * complement), big endian.  Pure encoding and parsing, no I/O.
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tsync/core.h"

struct wire_record {
	uint32_t	cpu;
	uint64_t	guest_ts;
	uint64_t	offset;
	uint64_t	bound;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_record) == TSYNC_RECORD_SIZE, "record size");

void tsync_record_encode(const struct tsync_sync_record *r, void *buf)
{
	struct wire_record w = {
		.cpu = htobe32(r->cpu),
		.guest_ts = htobe64(r->guest_ts),
		.offset = htobe64(r->offset),
		.bound = htobe64(r->bound),
	};

	memcpy(buf, &w, sizeof(w));
}

/**
 * tsync_record_decode - take the record of a sync point from the host
 * @buf: the payload
 * @size: its size
 * @cpu: the guest CPU being synced: the record must be for it
 * @r: returns the record
 *
 * Returns 0, or -1 for a record of the wrong size, of another CPU, or with
 * a bound below -1.
 */
int tsync_record_decode(const void *buf, unsigned int size, unsigned int cpu,
			struct tsync_sync_record *r)
{
	struct wire_record w;

	if (size != sizeof(w))
		return -1;
	memcpy(&w, buf, sizeof(w));
	r->cpu = be32toh(w.cpu);
	r->guest_ts = be64toh(w.guest_ts);
	r->offset = be64toh(w.offset);
	r->bound = be64toh(w.bound);
	return r->cpu == cpu && r->bound >= -1 ? 0 : -1;
}

/**
 * tsync_record_line - the record as the guest's trace keeps it
 * @buf: where the line goes
 * @size: its size
 * @proto: the protocol's name
 * @r: the record
 *
 * Returns the line's length, without a newline, or -1 if @buf is too small.
 */
int tsync_record_line(char *buf, size_t size, const char *proto,
		      const struct tsync_sync_record *r)
{
	int len;

	len = snprintf(buf, size, TSYNC_RECORD_PREFIX " proto=%s cpu=%u ts=%lld offset=%lld bound=%lld",
		       proto, r->cpu, r->guest_ts, r->offset, r->bound);
	return len < 0 || (size_t)len >= size ? -1 : len;
}

static int take_field(const char **p, const char *end, const char *key, bool is_signed,
		      long long *val)
{
	size_t klen = strlen(key);
	const char *v;

	while (*p < end && **p == ' ')
		(*p)++;
	if ((size_t)(end - *p) <= klen || strncmp(*p, key, klen))
		return -1;
	v = *p + klen;
	for (*p = v; *p < end && **p != ' ' && **p != '\n'; (*p)++)
		;
	return tsync_parse_number(v, *p - v, is_signed, val);
}

/**
 * tsync_record_parse - read a record back from its line (tsync_record_line())
 * @text: the print event's text, not necessarily NUL-terminated
 * @len: its length
 * @proto: returns the protocol's name
 * @r: returns the record
 *
 * Returns 0, or -1 when @text is not such a line, or a field is wrong.
 */
int tsync_record_parse(const char *text, size_t len, char proto[TSYNC_PROTO_NAME_MAX],
		       struct tsync_sync_record *r)
{
	const char *p = text, *end = text + len, *name;
	size_t plen = strlen(TSYNC_RECORD_PREFIX);
	long long cpu;

	while (end > p && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\0'))
		end--;
	if (len < plen || strncmp(p, TSYNC_RECORD_PREFIX, plen))
		return -1;
	p += plen;
	while (p < end && *p == ' ')
		p++;
	if (end - p < 6 || strncmp(p, "proto=", 6))
		return -1;
	for (name = p += 6; p < end && *p != ' '; p++)
		;
	if (p == name || p - name >= TSYNC_PROTO_NAME_MAX)
		return -1;
	memcpy(proto, name, p - name);
	proto[p - name] = '\0';
	/* unsigned numbers beyond 2^63 - 1 read as negative ones */
	if (take_field(&p, end, "cpu=", false, &cpu) || cpu < 0 || cpu >= TSYNC_MAX_CPUS ||
	    take_field(&p, end, "ts=", false, &r->guest_ts) || r->guest_ts < 0 ||
	    take_field(&p, end, "offset=", true, &r->offset) ||
	    take_field(&p, end, "bound=", true, &r->bound) || r->bound < -1)
		return -1;
	r->cpu = (unsigned int)cpu;
	/* the end was trimmed of blanks: anything left is more than blanks */
	return p == end ? 0 : -1;
}

/**
 * tsync_record_is_sample - whether @r records one of @ts's samples
 * @ts: a TIME_SHIFT option
 * @r: a sync record
 *
 * Its CPU's sample at the record's guest time with the record's offset
 * (tsync-ptp's samples are unscaled): how a host's copy of the records
 * finds its guest file among several.
 */
bool tsync_record_is_sample(const struct tsync_time_shift *ts, const struct tsync_sync_record *r)
{
	const struct tsync_samples *s;
	int i;

	if (r->cpu >= (unsigned int)ts->cpu_count)
		return false;
	s = &ts->cpus[r->cpu];
	for (i = 0; i < s->nr; i++)
		if (s->at[i].guest_ts == r->guest_ts && s->at[i].offset == r->offset &&
		    s->at[i].scaling == 1 && !s->at[i].frac)
			return true;
	return false;
}
