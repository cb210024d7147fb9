// SPDX-License-Identifier: LGPL-2.1
/*
 * The record of one sync point: what the host estimated for one guest CPU,
 * told to the guest at the end of the sync point and kept by the guest as a
 * print event in its own trace, where inspect tools read the error bound:
 *
 *	tsync-sync: proto=<name> cpu=<guest cpu> ts=<guest clock> offset=<host-guest> bound=<b>
 *
 * decimal, in trace clock units; bound=-1 when it is not proven.
 *
 * On the wire: cpu (32 bits), guest time, offset, bound (64 bits, two's
 * complement), big endian.  Pure encoding, no I/O.
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tsync/tsync.h"

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

	len = snprintf(buf, size, "tsync-sync: proto=%s cpu=%u ts=%lld offset=%lld bound=%lld",
		       proto, r->cpu, r->guest_ts, r->offset, r->bound);
	return len < 0 || (size_t)len >= size ? -1 : len;
}
