// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-ptp: PTP-like probes over the agent connection, for any trace clock.
 *
 * One sync point of one guest CPU, driven by the host:
 *
 *	host			guest (pinned to the CPU by trace-cmd)
 *	t1 = clock
 *	PROBE {seq}	---->	t2 = clock
 *				t3 = clock
 *			<----	PROBE {seq, t2, t3}
 *	t4 = clock
 *	... up to ptp_probes times, within ptp_budget_ms ...
 *	END {record}	---->	the record goes into the guest's trace
 *
 * The host turns the probes into one TIME_SHIFT sample (ptp-estimator.c,
 * ptp-fit.c) and tells the guest the sample and its error bound in the END
 * message; the guest writes them into its own trace (sync-record.c), after
 * the probes, where they cannot disturb them.
 *
 * A clock user space cannot read (local, global, ...) is stamped with trace
 * markers instead (clock-marker.c): the reply then carries no time stamps,
 * and after a round of probes the host asks for them:
 *
 *	COLLECT {count}	---->	read the round's markers back
 *			<----	RESULTS {first, count, (t2, t3)...}, in chunks
 *
 * Version 2 (tsync-ptp.2): at CPU 0's sync point, after the probes, the
 * host asks the guest for the gap between CPU 0's clock and each CPU's,
 * which the guest measures itself (cpu-spread.c):
 *
 *	SPREAD {count}	---->	measure CPUs 0 to count - 1
 *			<----	SPREAD {first, count, (lower, upper)...}, in chunks
 *
 * The other CPUs' sync points then take no probes: their samples are CPU
 * 0's plus the gap (tsync_ptp_spread()), and each is only an END.  A CPU
 * whose gap the guest could not measure is probed as in version 1.
 */
#include <endian.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tsync/plugin.h"

#define PTP_CMD_PROBE	1
#define PTP_CMD_END	2
#define PTP_CMD_COLLECT	3
#define PTP_CMD_RESULTS	4
#define PTP_CMD_FAIL	5
#define PTP_CMD_SPREAD	6	/* version 2 */

/* trace-cmd's messages carry at most 8 KiB: results go in chunks */
#define PTP_CHUNK	256

/* A busy sync point may take this many times the usual probes */
#define PTP_MORE	4

/* Rounds of probes of a sync point while the session has no history */
#define PTP_WARM_UP	4

/* A round ends after this many probes once it is as narrow as the session's usual */
#define PTP_ENOUGH	32

/* Lower than trace-cmd's ptp (6000): when both sides have it, tsync wins */
#define PTP_ACCURACY	100
/* Version 2 wins over version 1 where both sides speak it */
#define PTP2_ACCURACY	(PTP_ACCURACY - 1)

struct ptp_request {
	uint32_t	seq;
} __attribute__((packed));

struct ptp_reply {
	uint32_t	seq;
	uint32_t	reserved;
	uint64_t	guest_recv;
	uint64_t	guest_send;
} __attribute__((packed));

struct ptp_collect {
	uint32_t	count;
} __attribute__((packed));

/* RESULTS: t2, t3 of each probe; SPREAD: the lower, upper end of each gap */
struct ptp_pairs {
	uint32_t	first;
	uint32_t	count;
	uint64_t	pair[2 * PTP_CHUNK];
} __attribute__((packed));

struct ptp_session {
	const char			*wire;		/* the version's name */
	bool				v2;
	const struct tsync_clock	*clock;		/* NULL: trace markers */
	struct tsync_marker_clock	marker;
	int				max_probes;
	int				marker_probes;	/* host: the next round's */
	long long			*sent, *received; /* marker time stamps */
	struct tsync_probe		*probes;	/* host */
	struct tsync_ptp_history	history;	/* host */
	struct tsync_samples		*samples;	/* host: each guest CPU's */
	unsigned int			round;		/* guest: probes so far */
	unsigned int			arrivals;	/* guest: messages so far */
	unsigned int			round_first;	/* guest: arrival of probe 0 */
	int				records;	/* guest: its trace_marker */
	struct tsync_records_kept	kept;		/* host: every record sent */
	long long			*gap_lower;	/* v2: clock 0 - clock n, */
	long long			*gap_upper;	/* one per guest CPU */
	struct tsync_estimate		cpu0;		/* v2 host: CPU 0's, this sync point */
	int				gaps;		/* v2 host: CPUs whose gap is known */
};

static struct ptp_session *session_of(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;

	return ctx ? ctx->proto_data : NULL;
}

static int ptp_free(struct tracecmd_time_sync *tsync);

/* Guest: the top trace_marker, whose buffer the agent records */
static int open_records(void)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/trace_marker", tsync_cfg.tracefs);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		tsync_info("%s: no sync records in the guest's trace: %s: %m",
			   TSYNC_PTP_NAME, path);
	return fd;
}

static int start_wire(struct tracecmd_time_sync *tsync, const char *wire)
{
	struct clock_sync_context *ctx = tsync->context;
	const char *name = tsync->clock_str ? tsync->clock_str : "local";
	int cpus = ctx->cpu_count > 0 ? ctx->cpu_count : 1;
	struct ptp_session *ptp;

	ptp = calloc(1, sizeof(*ptp));
	if (!ptp)
		return -1;
	ctx->proto_data = ptp;
	ptp->wire = wire;
	ptp->v2 = !strcmp(wire, TSYNC_PTP2_NAME);
	ptp->marker.fd = -1;
	ptp->records = ctx->is_guest ? open_records() : -1;
	/* the host's probe count is its own setting: a guest takes any */
	ptp->max_probes = PTP_MORE * (ctx->is_guest ? TSYNC_PTP_MAX_PROBES : tsync_cfg.ptp_probes);
	ptp->marker_probes = tsync_cfg.ptp_probes;
	ptp->clock = tsync_clock_find(name);
	if (!ptp->clock) {
		ptp->sent = calloc(ptp->max_probes, sizeof(*ptp->sent));
		ptp->received = calloc(ptp->max_probes, sizeof(*ptp->received));
		if (!ptp->sent || !ptp->received ||
		    tsync_marker_open(&ptp->marker, ctx->instance, name))
			goto fail;
	}
	if (!ctx->is_guest) {
		tsync_msg_timeout(tsync, TSYNC_ANSWER_MS);
		ptp->probes = calloc(ptp->max_probes, sizeof(*ptp->probes));
		ptp->samples = calloc(cpus, sizeof(*ptp->samples));
		if (!ptp->probes || !ptp->samples)
			goto fail;
		if (ptp->v2) {
			ptp->gap_lower = calloc(cpus, sizeof(*ptp->gap_lower));
			ptp->gap_upper = calloc(cpus, sizeof(*ptp->gap_upper));
			if (!ptp->gap_lower || !ptp->gap_upper)
				goto fail;
		}
		tsync_info("%s: syncing %d guest CPUs, clock %s (%s), %d probes per sync point",
			   TSYNC_PTP_NAME, ctx->cpu_count, name,
			   ptp->clock ? "read directly" : "trace markers", tsync_cfg.ptp_probes);
	}
	return 0;
fail:
	ptp_free(tsync);
	return -1;
}

/**
 * tsync_ptp_start - a tsync-ptp session (version 1) on @tsync
 * @tsync: the session; its context's proto_data becomes tsync-ptp's
 *
 * Returns 0, or -1 after freeing what it made.
 */
int tsync_ptp_start(struct tracecmd_time_sync *tsync)
{
	return start_wire(tsync, TSYNC_PTP_NAME);
}

static int ptp_init(struct tracecmd_time_sync *tsync)
{
	if (tsync_abi_session_check(tsync, TSYNC_PTP_NAME))
		return -1;
	return start_wire(tsync, TSYNC_PTP_NAME);
}

static int ptp2_init(struct tracecmd_time_sync *tsync)
{
	if (tsync_abi_session_check(tsync, TSYNC_PTP2_NAME))
		return -1;
	return start_wire(tsync, TSYNC_PTP2_NAME);
}

static int ptp_free(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;
	struct ptp_session *ptp = session_of(tsync);

	if (!ptp)
		return 0;
	tsync_marker_close(&ptp->marker);
	tsync_records_flush(&ptp->kept, TSYNC_PTP_NAME);
	if (ptp->records >= 0)
		close(ptp->records);
	free(ptp->sent);
	free(ptp->received);
	free(ptp->probes);
	free(ptp->gap_lower);
	free(ptp->gap_upper);
	tsync_arrays_borrowed(TSYNC_PTP_NAME, ptp->samples, ctx->cpu_count);
	tsync_samples_free_cpus(ptp->samples, ctx->cpu_count);
	free(ptp);
	ctx->proto_data = NULL;
	return 0;
}

/* A time stamp now: a direct read, or a marker read back later (0 here) */
static long long stamp(struct ptp_session *ptp, unsigned int seq, char kind)
{
	if (ptp->clock)
		return tsync_clock_read(ptp->clock);
	tsync_marker_write(&ptp->marker, seq, kind);
	return 0;
}

/* One round trip; returns 0 and fills @probe, or -1 naming the cause */
static int ptp_probe(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		     uint32_t seq, struct tsync_probe *probe)
{
	struct ptp_request req = { .seq = htobe32(seq) };
	struct ptp_reply reply;
	unsigned int size = sizeof(reply);
	unsigned int cmd;
	char peer[64];

	probe->host_send = stamp(ptp, seq, 's');
	if (tsync_msg_send(tsync, ptp->wire, PTP_CMD_PROBE, &req, sizeof(req)))
		goto fail;
	tsync_msg_wait(tsync);
	probe->host_recv = stamp(ptp, seq, 'r');
	if (tsync_msg_recv(tsync, ptp->wire, &cmd, &reply, &size))
		goto fail;
	if (cmd != PTP_CMD_PROBE || size != sizeof(reply) || be32toh(reply.seq) != seq) {
		tsync_err("%s: malformed reply to probe %u (command %u, %u bytes, seq %u)",
			  TSYNC_PTP_NAME, seq, cmd, size, be32toh(reply.seq));
		return -1;
	}
	probe->guest_recv = be64toh(reply.guest_recv);
	probe->guest_send = be64toh(reply.guest_send);
	return 0;
fail:
	tsync_err("%s: probe %u to guest %s: %m", TSYNC_PTP_NAME, seq,
		  tsync_msg_peer(tsync, peer, sizeof(peer)));
	return -1;
}

/* TSYNC_PTP_PROBE_LOG=FILE: every probe, "cpu t1 t2 t3 t4", to tune the estimator */
static void log_probes(unsigned int cpu, const struct tsync_probe *p, int n)
{
	const char *path = getenv("TSYNC_PTP_PROBE_LOG");
	FILE *f;
	int i;

	if (!path || !(f = fopen(path, "a")))
		return;
	for (i = 0; i < n; i++)
		fprintf(f, "%u %lld %lld %lld %lld\n", cpu, p[i].host_send, p[i].guest_recv,
			p[i].guest_send, p[i].host_recv);
	fprintf(f, "end\n");
	fclose(f);
}

/**
 * tsync_ptp_take_pairs - decode one RESULTS or SPREAD message from the guest
 * @msg: the payload
 * @size: its size in bytes
 * @got: pairs that arrived before; this chunk must start there
 * @n: pairs expected in all
 * @first: the first value of each pair goes there (t2; a gap's lower end)
 * @second: and the second (t3; a gap's upper end)
 *
 * Returns the number of pairs the chunk covered, or -1 if it is malformed.
 */
int tsync_ptp_take_pairs(const void *msg, unsigned int size, int got, int n,
			 long long *first, long long *second)
{
	const struct ptp_pairs *res = msg;
	unsigned int start, count, i;

	if (size < 8 || got < 0 || n < got)
		return -1;
	start = be32toh(res->first);
	count = be32toh(res->count);
	if (!count || count > PTP_CHUNK || start != (unsigned int)got ||
	    count > (unsigned int)(n - got) || size != 8 + 16 * count)
		return -1;
	for (i = 0; i < count; i++) {
		first[start + i] = be64toh(res->pair[2 * i]);
		second[start + i] = be64toh(res->pair[2 * i + 1]);
	}
	return count;
}

/*
 * Host: the @n pairs the guest sends in chunks of @want, into @first and
 * @second; @what names them for errors.  Returns 0, 1 when the guest
 * answered FAIL, or -1.
 */
static int recv_pairs(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		      unsigned int want, int n, long long *first, long long *second,
		      const char *what)
{
	struct ptp_pairs res;
	unsigned int size, cmd;
	int got = 0, count;

	while (got < n) {
		size = sizeof(res);
		if (tsync_msg_recv(tsync, ptp->wire, &cmd, &res, &size)) {
			tsync_err("%s: waiting for the guest's %s: %m", TSYNC_PTP_NAME, what);
			return -1;
		}
		if (cmd == PTP_CMD_FAIL && !size && !got)
			return 1;
		count = cmd == want ? tsync_ptp_take_pairs(&res, size, got, n, first, second) : -1;
		if (count < 0) {
			tsync_err("%s: malformed %s from the guest (command %u, %u bytes)",
				  TSYNC_PTP_NAME, what, cmd, size);
			return -1;
		}
		got += count;
	}
	return 0;
}

/* Guest: @n pairs, in chunks of @cmd */
static int send_pairs(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		      unsigned int cmd, unsigned int n, const long long *first,
		      const long long *second)
{
	struct ptp_pairs res;
	unsigned int start, i, count;

	for (start = 0; start < n; start += count) {
		count = n - start < PTP_CHUNK ? n - start : PTP_CHUNK;
		res.first = htobe32(start);
		res.count = htobe32(count);
		for (i = 0; i < count; i++) {
			res.pair[2 * i] = htobe64(first[start + i]);
			res.pair[2 * i + 1] = htobe64(second[start + i]);
		}
		if (tsync_msg_send(tsync, ptp->wire, cmd, &res, 8 + 16 * count))
			return -1;
	}
	return 0;
}

/* Marker clocks: the round's time stamps, the host's and the guest's */
static int collect_round(struct tracecmd_time_sync *tsync, struct ptp_session *ptp, int n)
{
	struct ptp_collect req = { .count = htobe32(n) };
	int i, ret;

	if (tsync_marker_collect_probes(&ptp->marker, 0, ptp->sent, ptp->received, n))
		return -1;
	for (i = 0; i < n; i++) {
		ptp->probes[i].host_send = ptp->sent[i];
		ptp->probes[i].host_recv = ptp->received[i];
	}
	/* the host's are in the probes: the guest's take their place */
	if (tsync_msg_send(tsync, ptp->wire, PTP_CMD_COLLECT, &req, sizeof(req)))
		return -1;
	ret = recv_pairs(tsync, ptp, PTP_CMD_RESULTS, n, ptp->received, ptp->sent, "time stamps");
	if (ret > 0)
		tsync_err("%s: the guest could not read its trace markers back", TSYNC_PTP_NAME);
	if (ret)
		return -1;
	for (i = 0; i < n; i++) {
		ptp->probes[i].guest_recv = ptp->received[i];
		ptp->probes[i].guest_send = ptp->sent[i];
	}
	return 0;
}

/* Guest, marker clocks: send the round's time stamps */
static int send_results(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
			unsigned int n)
{
	if (n != ptp->round ||
	    tsync_marker_collect_probes(&ptp->marker, ptp->round_first, ptp->sent, ptp->received, n))
		return tsync_msg_send(tsync, ptp->wire, PTP_CMD_FAIL, NULL, 0) ? -1 : 0;
	ptp->round = 0;
	return send_pairs(tsync, ptp, PTP_CMD_RESULTS, n, ptp->received, ptp->sent);
}

/*
 * Host, version 2: the gap between CPU 0's clock and each CPU's, after
 * CPU 0's probes.  The later CPUs of this sync point use the gaps known;
 * a guest that could not measure them (FAIL) has each CPU probed.
 */
static int ask_spread(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		      const struct tsync_estimate *cpu0)
{
	struct clock_sync_context *ctx = tsync->context;
	struct ptp_collect req = { .count = htobe32(ctx->cpu_count) };
	int cpu, measured = 0, ret;

	if (tsync_msg_send(tsync, ptp->wire, PTP_CMD_SPREAD, &req, sizeof(req)))
		return -1;
	ret = recv_pairs(tsync, ptp, PTP_CMD_SPREAD, ctx->cpu_count, ptp->gap_lower,
			 ptp->gap_upper, "CPU clocks' gaps");
	if (ret > 0)
		tsync_debug("%s: the guest could not measure its CPUs' clocks: each is probed",
			    TSYNC_PTP_NAME);
	if (ret)
		return ret < 0 ? -1 : 0;
	for (cpu = 1; cpu < ctx->cpu_count; cpu++)
		measured += ptp->gap_lower[cpu] <= ptp->gap_upper[cpu];
	tsync_debug("%s: the guest measured %d of its %d other CPUs' clocks against CPU 0's",
		    TSYNC_PTP_NAME, measured, ctx->cpu_count - 1);
	ptp->cpu0 = *cpu0;
	ptp->gaps = ctx->cpu_count;
	return 0;
}

/* Guest, version 2: measure the gaps the host asked for, and send them */
static int send_spread(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		       unsigned int count)
{
	long long *lower = calloc(count, sizeof(*lower));
	long long *upper = calloc(count, sizeof(*upper));
	int ret;

	if (!lower || !upper) {
		ret = tsync_msg_send(tsync, ptp->wire, PTP_CMD_FAIL, NULL, 0) ? -1 : 0;
	} else {
		tsync_cpu_spread(ptp->clock, &ptp->marker, count, lower, upper);
		ret = send_pairs(tsync, ptp, PTP_CMD_SPREAD, count, lower, upper);
	}
	free(lower);
	free(upper);
	return ret;
}

/*
 * One round of probes into ptp->probes, at most @max; returns how many,
 * or -1
 */
static int probe_round(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		       int max, long long deadline)
{
	long long usual = tsync_ptp_usual_width(&ptp->history);
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	int enough = tsync_cfg.ptp_probes < PTP_ENOUGH ? tsync_cfg.ptp_probes : PTP_ENOUGH;
	int usual_probes = ptp->clock ? tsync_cfg.ptp_probes : ptp->marker_probes;
	unsigned long long width;
	bool judged, narrow, wide;
	int n = 0;

	/*
	 * The usual probes, fewer once the interval is as narrow as the
	 * session's usual one (the fit over sync points does the rest); on a
	 * busy sync point whose interval is still twice as wide, more within
	 * the budget, for a fast way each way.
	 */
	while (n < max && (n < 4 || tsync_mono_ms() < deadline)) {
		judged = ptp->clock && usual > 0 && lower > LLONG_MIN && upper < LLONG_MAX;
		width = (unsigned long long)upper - lower;
		narrow = judged && tsync_ptp_as_usual(width, usual);
		wide = judged && width > 2 * (unsigned long long)usual;
		if (narrow ? n >= enough : !wide && n >= usual_probes)
			break;
		if (ptp_probe(tsync, ptp, n, &ptp->probes[n]))
			return -1;
		tsync_ptp_bounds(&ptp->probes[n], &lower, &upper);
		n++;
	}
	if (!ptp->clock) {
		if (collect_round(tsync, ptp, n))
			return -1;
		/* its time stamps come only now: the next round is told */
		ptp->marker_probes = tsync_ptp_next_round(ptp->probes, n, usual, enough,
							  tsync_cfg.ptp_probes);
	}
	return n;
}

/*
 * Host: the sync point is over; the guest keeps the record of its sample,
 * or none (@est NULL) for a sample that was refused
 */
static int send_end(struct tracecmd_time_sync *tsync, unsigned int cpu,
		    const struct tsync_estimate *est)
{
	struct ptp_session *ptp = session_of(tsync);
	struct tsync_sync_record record;
	char payload[TSYNC_RECORD_SIZE];

	if (!est)
		return tsync_msg_send(tsync, ptp->wire, PTP_CMD_END, NULL, 0);
	record = (struct tsync_sync_record) {
		.cpu = cpu,
		.guest_ts = est->guest_ts,
		.offset = est->offset,
		.bound = est->bounded ? est->bound : -1,
	};
	tsync_record_encode(&record, payload);
	if (tsync_records_keep(&ptp->kept, &record))
		tsync_debug("%s: sync record not kept: %m", TSYNC_PTP_NAME);
	return tsync_msg_send(tsync, ptp->wire, PTP_CMD_END, payload, sizeof(payload));
}

/* Host: one CPU's estimate from its own probes; returns 0, or -1 */
static int probe_cpu(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		     unsigned int cpu, struct tsync_estimate *est)
{
	long long deadline;
	int rounds, n;
	bool warm_up;

	/*
	 * A sync point with too little history that still counts (the
	 * session's first, or the first after a long pause) makes its own
	 * first: rounds of the usual probes, each with a budget of its own,
	 * as the first exchanges of a session are slow (cold caches, a
	 * guest's page faults) and reading markers back takes long on a slow
	 * guest.
	 */
	warm_up = tsync_ptp_known(&ptp->history, tsync_mono_ms()) < PTP_WARM_UP;
	for (rounds = warm_up ? PTP_WARM_UP : 1; rounds; rounds--) {
		deadline = tsync_mono_ms() + tsync_cfg.ptp_budget_ms;
		n = probe_round(tsync, ptp, warm_up ? tsync_cfg.ptp_probes : ptp->max_probes,
				deadline);
		if (n < 0)
			return -1;
		if (tsync_ptp_estimate(ptp->probes, n, est)) {
			tsync_err("%s: CPU %u: none of %d probes is causal", TSYNC_PTP_NAME, cpu, n);
			return -1;
		}
		est->host_ms = tsync_mono_ms();
		tsync_ptp_refine(&ptp->history, est);
		log_probes(cpu, ptp->probes, n);
	}
	tsync_debug("%s: CPU %u offset %lld +- %lld%s at %lld, %d/%d probes",
		    TSYNC_PTP_NAME, cpu, est->offset, est->bound,
		    !est->bounded ? " (unproven)" : est->fitted ? " (fit)" : " (middle)",
		    est->guest_ts, est->used, n);
	return 0;
}

/*
 * Host, version 2: CPU @cpu's estimate from CPU 0's and the gap the guest
 * measured, unless the gap is unknown or wider than CPU 0's own interval:
 * probing would then do better
 */
static bool from_gap(struct ptp_session *ptp, unsigned int cpu, struct tsync_estimate *est)
{
	if (!cpu || (int)cpu >= ptp->gaps ||
	    tsync_ptp_spread(&ptp->cpu0, ptp->gap_lower[cpu], ptp->gap_upper[cpu], est) ||
	    (ptp->cpu0.bounded && est->bound - ptp->cpu0.bound > ptp->cpu0.bound))
		return false;
	tsync_debug("%s: CPU %u offset %lld +- %lld from CPU 0's and a gap of [%lld, %lld]",
		    TSYNC_PTP_NAME, cpu, est->offset, est->bound, ptp->gap_lower[cpu],
		    ptp->gap_upper[cpu]);
	return true;
}

static int ptp_host(struct tracecmd_time_sync *tsync, unsigned int cpu)
{
	struct clock_sync_context *ctx = tsync->context;
	struct ptp_session *ptp = session_of(tsync);
	struct tsync_estimate est;
	struct tsync_sample sample;

	if (cpu >= (unsigned int)ctx->cpu_count)
		return -1;
	/* trace-cmd syncs CPU 0 first: the gaps of its sync point, if any, follow */
	if (!cpu)
		ptp->gaps = 0;
	if (!from_gap(ptp, cpu, &est)) {
		if (probe_cpu(tsync, ptp, cpu, &est))
			return -1;
		if (!cpu && ptp->v2 && ctx->cpu_count > 1 && ask_spread(tsync, ptp, &est))
			return -1;
	}
	sample = (struct tsync_sample) {
		.guest_ts = est.guest_ts,
		.offset = est.offset,
		.scaling = 1,
		.frac = 0,
	};
	if (!tsync_samples_add(&ptp->samples[cpu], &sample) &&
	    !tsync_arrays_publish(ctx, ptp->samples))
		return send_end(tsync, cpu, &est) ? -1 : 0;
	if (errno == ERANGE)
		tsync_err("%s: CPU %u: the guest's time %lld is before its last sample's: "
			  "its clock went back", TSYNC_PTP_NAME, cpu, est.guest_ts);
	/* no CPU follows from a sample that was refused */
	ptp->gaps = 0;
	send_end(tsync, cpu, NULL);
	return -1;
}

/* Guest: the host's END, and the sync point's record into the trace */
static int take_end(struct ptp_session *ptp, unsigned int cpu, const void *msg,
		    unsigned int size)
{
	struct tsync_sync_record record;
	char line[TSYNC_RECORD_LINE];
	int len;

	/* no record: a refused sample, or a host of tsync before records */
	if (!size)
		return 0;
	if (tsync_record_decode(msg, size, cpu, &record)) {
		tsync_err("%s: malformed end of the sync point of CPU %u (%u bytes)",
			  TSYNC_PTP_NAME, cpu, size);
		return -1;
	}
	len = tsync_record_line(line, sizeof(line), TSYNC_PTP_NAME, &record);
	if (ptp->records >= 0 && len > 0 && write(ptp->records, line, len) != len)
		tsync_debug("%s: sync record not written: %m", TSYNC_PTP_NAME);
	return 0;
}

static int ptp_guest(struct tracecmd_time_sync *tsync, unsigned int cpu)
{
	struct clock_sync_context *ctx = tsync->context;
	struct ptp_session *ptp = session_of(tsync);
	unsigned char msg[TSYNC_RECORD_SIZE];	/* the largest message from the host */
	struct ptp_request req;
	struct ptp_reply reply;
	unsigned int size, cmd, arrival;
	long long t2;

	for (;;) {
		/*
		 * Stamped as it arrives: trace-cmd's reads add only to the way
		 * in.  What arrived is known only after, so every arrival has a
		 * number of its own, and the markers of those that were no probe
		 * are never collected.
		 */
		tsync_msg_wait(tsync);
		arrival = ptp->arrivals++;
		t2 = stamp(ptp, arrival, 'r');
		size = sizeof(msg);
		if (tsync_msg_recv(tsync, ptp->wire, &cmd, msg, &size)) {
			tsync_err("%s: waiting for a probe: %m", TSYNC_PTP_NAME);
			return -1;
		}
		if (cmd == PTP_CMD_END)
			return take_end(ptp, cpu, msg, size);
		memcpy(&req, msg, sizeof(req));
		if (cmd == PTP_CMD_COLLECT && size == sizeof(struct ptp_collect) && !ptp->clock) {
			if (send_results(tsync, ptp, be32toh(req.seq)))
				return -1;
			continue;
		}
		/* version 2, at CPU 0's sync point: the guest's own CPUs, each once */
		if (cmd == PTP_CMD_SPREAD && size == sizeof(struct ptp_collect) && ptp->v2 &&
		    !cpu && !ptp->round && be32toh(req.seq) == (unsigned int)ctx->cpu_count) {
			if (send_spread(tsync, ptp, be32toh(req.seq)))
				return -1;
			continue;
		}
		if (cmd != PTP_CMD_PROBE || size != sizeof(req) ||
		    (!ptp->clock && (be32toh(req.seq) != ptp->round ||
				     ptp->round >= (unsigned int)ptp->max_probes))) {
			tsync_err("%s: malformed message from the host (command %u, %u bytes)",
				  TSYNC_PTP_NAME, cmd, size);
			return -1;
		}
		if (!ptp->round)
			ptp->round_first = arrival;
		reply = (struct ptp_reply) {
			.seq = req.seq,
			.guest_recv = htobe64(t2),
		};
		reply.guest_send = htobe64(stamp(ptp, arrival, 's'));
		if (!ptp->clock)
			ptp->round++;
		if (tsync_msg_send(tsync, ptp->wire, PTP_CMD_PROBE, &reply, sizeof(reply)))
			return -1;
	}
}

/*
 * Samples go into trace-cmd's arrays directly (time-shift-arrays.c); the
 * zero offset returned here tells trace-cmd not to record a sample of its
 * own.
 */
int tsync_ptp_calc(struct tracecmd_time_sync *tsync, long long *offset,
		   long long *scaling, long long *frac, long long *timestamp,
		   unsigned int cpu)
{
	struct clock_sync_context *ctx = tsync->context;
	int ret;

	*offset = *timestamp = *frac = 0;
	*scaling = 1;
	if (!session_of(tsync))
		return -1;
	if (ctx->is_guest) {
		/*
		 * The host's receives carry a time limit, and with it a timer
		 * that makes them slower: the guest's carry the same, within a
		 * sync point, so that both ways stay alike.  Between sync
		 * points the guest waits for trace-cmd without limit.
		 */
		tsync_msg_timeout(tsync, TSYNC_ANSWER_MS);
		ret = ptp_guest(tsync, cpu);
		tsync_msg_timeout(tsync, 0);
		return ret;
	}
	ret = ptp_host(tsync, cpu);
	if (ret)
		tsync_arrays_publish(ctx, session_of(tsync)->samples);
	return ret;
}

/**
 * tsync_ptp_register - register tsync-ptp, versions 1 and 2
 * @roles: the roles tsync offers
 *
 * Version 1 stays for older peers.
 */
int tsync_ptp_register(unsigned int roles)
{
	/* with trace markers, any clock: 0 */
	unsigned int clocks = tsync_marker_available() ? 0 : tsync_clock_readable_mask();

	if (tracecmd_tsync_proto_register(TSYNC_PTP_NAME, PTP_ACCURACY, roles, clocks,
					  TRACECMD_TSYNC_FLAG_INTERPOLATE | TSYNC_FLAG_PTP,
					  ptp_init, ptp_free, tsync_ptp_calc))
		return -1;
	return tracecmd_tsync_proto_register(TSYNC_PTP2_NAME, PTP2_ACCURACY, roles, clocks,
					     TRACECMD_TSYNC_FLAG_INTERPOLATE | TSYNC_FLAG_PTP,
					     ptp2_init, ptp_free, tsync_ptp_calc);
}
