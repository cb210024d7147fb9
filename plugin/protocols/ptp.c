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

/* trace-cmd's messages carry at most 8 KiB: results go in chunks */
#define PTP_CHUNK	256

/* A busy sync point may take this many times the usual probes */
#define PTP_MORE	4

/* Rounds of probes of a sync point while the session has no history */
#define PTP_WARM_UP	4

/* A round ends after this many probes once it is as narrow as the session's narrowest */
#define PTP_ENOUGH	32

/* Lower than trace-cmd's ptp (6000): when both sides have it, tsync wins */
#define PTP_ACCURACY	100

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

struct ptp_results {
	uint32_t	first;
	uint32_t	count;
	uint64_t	stamp[2 * PTP_CHUNK];	/* t2, t3 of each probe */
} __attribute__((packed));

struct ptp_session {
	const struct tsync_clock	*clock;		/* NULL: trace markers */
	struct tsync_marker_clock	marker;
	int				max_probes;
	long long			*sent, *received; /* marker time stamps */
	struct tsync_probe		*probes;	/* host */
	struct tsync_ptp_history	history;	/* host */
	struct tsync_samples		*samples;	/* host: each guest CPU's */
	unsigned int			round;		/* guest: probes so far */
	unsigned int			arrivals;	/* guest: messages so far */
	unsigned int			round_first;	/* guest: arrival of probe 0 */
	int				records;	/* guest: its trace_marker */
	struct tsync_records_kept	kept;		/* host: every record sent */
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

/**
 * tsync_ptp_start - a tsync-ptp session on @tsync, whose layout is checked
 * @tsync: the session; its context's proto_data becomes tsync-ptp's
 *
 * Returns 0, or -1 after freeing what it made.
 */
int tsync_ptp_start(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;
	const char *name = tsync->clock_str ? tsync->clock_str : "local";
	struct ptp_session *ptp;

	ptp = calloc(1, sizeof(*ptp));
	if (!ptp)
		return -1;
	ctx->proto_data = ptp;
	ptp->marker.fd = -1;
	ptp->records = ctx->is_guest ? open_records() : -1;
	/* the host's probe count is its own setting: a guest takes any */
	ptp->max_probes = PTP_MORE * (ctx->is_guest ? TSYNC_PTP_MAX_PROBES : tsync_cfg.ptp_probes);
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
		ptp->samples = calloc(ctx->cpu_count > 0 ? ctx->cpu_count : 1,
				      sizeof(*ptp->samples));
		if (!ptp->probes || !ptp->samples)
			goto fail;
		tsync_info("%s: syncing %d guest CPUs, clock %s (%s), %d probes per sync point",
			   TSYNC_PTP_NAME, ctx->cpu_count, name,
			   ptp->clock ? "read directly" : "trace markers", tsync_cfg.ptp_probes);
	}
	return 0;
fail:
	ptp_free(tsync);
	return -1;
}

static int ptp_init(struct tracecmd_time_sync *tsync)
{
	if (tsync_abi_session_check(tsync, TSYNC_PTP_NAME))
		return -1;
	return tsync_ptp_start(tsync);
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

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
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
	if (tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_PROBE, &req, sizeof(req)))
		goto fail;
	tsync_msg_wait(tsync);
	probe->host_recv = stamp(ptp, seq, 'r');
	if (tsync_msg_recv(tsync, TSYNC_PTP_NAME, &cmd, &reply, &size))
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
 * tsync_ptp_take_results - decode one RESULTS message from the guest
 * @msg: the payload
 * @size: its size in bytes
 * @got: probes whose time stamps arrived before; this chunk must start there
 * @n: probes in the round
 * @probes: the round's probes; the chunk's guest time stamps go there
 *
 * Returns the number of probes the chunk covered, or -1 if it is malformed.
 */
int tsync_ptp_take_results(const void *msg, unsigned int size, int got, int n,
			   struct tsync_probe *probes)
{
	const struct ptp_results *res = msg;
	unsigned int first, count, i;

	if (size < 8 || got < 0 || n < got)
		return -1;
	first = be32toh(res->first);
	count = be32toh(res->count);
	if (!count || count > PTP_CHUNK || first != (unsigned int)got ||
	    count > (unsigned int)(n - got) || size != 8 + 16 * count)
		return -1;
	for (i = 0; i < count; i++) {
		probes[first + i].guest_recv = be64toh(res->stamp[2 * i]);
		probes[first + i].guest_send = be64toh(res->stamp[2 * i + 1]);
	}
	return count;
}

/* Marker clocks: the round's time stamps, the host's and the guest's */
static int collect_round(struct tracecmd_time_sync *tsync, struct ptp_session *ptp, int n)
{
	struct ptp_collect req = { .count = htobe32(n) };
	struct ptp_results res;
	unsigned int size, cmd, i;
	int got = 0, count;

	if (tsync_marker_collect(&ptp->marker, 0, ptp->sent, ptp->received, n))
		return -1;
	for (i = 0; i < (unsigned int)n; i++) {
		ptp->probes[i].host_send = ptp->sent[i];
		ptp->probes[i].host_recv = ptp->received[i];
	}
	if (tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_COLLECT, &req, sizeof(req)))
		return -1;
	while (got < n) {
		size = sizeof(res);
		if (tsync_msg_recv(tsync, TSYNC_PTP_NAME, &cmd, &res, &size)) {
			tsync_err("%s: waiting for the guest's time stamps: %m", TSYNC_PTP_NAME);
			return -1;
		}
		if (cmd == PTP_CMD_FAIL) {
			tsync_err("%s: the guest could not read its trace markers back",
				  TSYNC_PTP_NAME);
			return -1;
		}
		count = cmd == PTP_CMD_RESULTS ?
			tsync_ptp_take_results(&res, size, got, n, ptp->probes) : -1;
		if (count < 0) {
			tsync_err("%s: malformed time stamps from the guest (command %u, %u bytes)",
				  TSYNC_PTP_NAME, cmd, size);
			return -1;
		}
		got += count;
	}
	return 0;
}

/* Guest, marker clocks: send the round's time stamps in chunks */
static int send_results(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
			unsigned int n)
{
	struct ptp_results res;
	unsigned int first, i, count;

	if (n != ptp->round ||
	    tsync_marker_collect(&ptp->marker, ptp->round_first, ptp->sent, ptp->received, n))
		return tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_FAIL, NULL, 0) ? -1 : 0;
	for (first = 0; first < n; first += count) {
		count = n - first < PTP_CHUNK ? n - first : PTP_CHUNK;
		res.first = htobe32(first);
		res.count = htobe32(count);
		for (i = 0; i < count; i++) {
			res.stamp[2 * i] = htobe64(ptp->received[first + i]);
			res.stamp[2 * i + 1] = htobe64(ptp->sent[first + i]);
		}
		if (tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_RESULTS, &res, 8 + 16 * count))
			return -1;
	}
	ptp->round = 0;
	return 0;
}

/*
 * One round of probes into ptp->probes, at most @max; returns how many,
 * or -1
 */
static int probe_round(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		       int max, long long deadline)
{
	long long narrowest = tsync_ptp_narrowest(&ptp->history);
	long long lower = LLONG_MIN, upper = LLONG_MAX;
	int enough = tsync_cfg.ptp_probes < PTP_ENOUGH ? tsync_cfg.ptp_probes : PTP_ENOUGH;
	bool judged, narrow;
	int n = 0;

	/*
	 * The usual probes, fewer once the interval is as narrow as the
	 * session's narrowest: more would not narrow it; then, on a busy sync
	 * point whose interval is still wide, more within the budget, for a
	 * fast way each way.  Marker time stamps are known only after the
	 * round: no stopping early, no going on then.
	 */
	while (n < max && (n < 4 || now_ms() < deadline)) {
		judged = ptp->clock && narrowest > 0 && lower <= upper;
		narrow = judged && (unsigned long long)upper - lower <=
				   (unsigned long long)(narrowest + narrowest / 20);
		if (narrow ? n >= enough : !judged && n >= tsync_cfg.ptp_probes)
			break;
		if (ptp_probe(tsync, ptp, n, &ptp->probes[n]))
			return -1;
		tsync_ptp_bounds(&ptp->probes[n], &lower, &upper);
		n++;
	}
	if (!ptp->clock && collect_round(tsync, ptp, n))
		return -1;
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
		return tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_END, NULL, 0);
	record = (struct tsync_sync_record) {
		.cpu = cpu,
		.guest_ts = est->guest_ts,
		.offset = est->offset,
		.bound = est->bounded ? est->bound : -1,
	};
	tsync_record_encode(&record, payload);
	if (tsync_records_keep(&ptp->kept, &record))
		tsync_debug("%s: sync record not kept: %m", TSYNC_PTP_NAME);
	return tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_END, payload, sizeof(payload));
}

static int ptp_host(struct tracecmd_time_sync *tsync, unsigned int cpu)
{
	struct clock_sync_context *ctx = tsync->context;
	struct ptp_session *ptp = session_of(tsync);
	struct tsync_estimate est;
	struct tsync_sample sample;
	long long deadline;
	int rounds, n;
	bool warm_up;

	if (cpu >= (unsigned int)ctx->cpu_count)
		return -1;
	/*
	 * A sync point with too little history that still counts (the
	 * session's first, or the first after a long pause) makes its own
	 * first: rounds of the usual probes, each with a budget of its own,
	 * as the first exchanges of a session are slow (cold caches, a
	 * guest's page faults) and reading markers back takes long on a slow
	 * guest.
	 */
	warm_up = tsync_ptp_known(&ptp->history, now_ms()) < PTP_WARM_UP;
	for (rounds = warm_up ? PTP_WARM_UP : 1; rounds; rounds--) {
		deadline = now_ms() + tsync_cfg.ptp_budget_ms;
		n = probe_round(tsync, ptp, warm_up ? tsync_cfg.ptp_probes : ptp->max_probes,
				deadline);
		if (n < 0)
			return -1;
		if (tsync_ptp_estimate(ptp->probes, n, &est)) {
			tsync_err("%s: CPU %u: none of %d probes is causal", TSYNC_PTP_NAME, cpu, n);
			return -1;
		}
		est.host_ms = now_ms();
		tsync_ptp_refine(&ptp->history, &est);
		log_probes(cpu, ptp->probes, n);
	}
	tsync_debug("%s: CPU %u offset %lld +- %lld%s at %lld, %d/%d probes",
		    TSYNC_PTP_NAME, cpu, est.offset, est.bound,
		    !est.bounded ? " (unproven)" : est.fitted ? " (fit)" : " (middle)",
		    est.guest_ts, est.used, n);
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
		if (tsync_msg_recv(tsync, TSYNC_PTP_NAME, &cmd, msg, &size)) {
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
		if (tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_PROBE, &reply, sizeof(reply)))
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

int tsync_ptp_register(unsigned int roles)
{
	/* with trace markers, any clock: 0 */
	unsigned int clocks = tsync_marker_available() ? 0 : tsync_clock_readable_mask();

	return tracecmd_tsync_proto_register(TSYNC_PTP_NAME, PTP_ACCURACY, roles, clocks,
					     TRACECMD_TSYNC_FLAG_INTERPOLATE | TSYNC_FLAG_PTP,
					     ptp_init, ptp_free, tsync_ptp_calc);
}
