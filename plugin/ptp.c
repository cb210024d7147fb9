// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-ptp: PTP-like probes over the agent connection, for any trace clock
 * that user space can read directly.
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
 *	END		---->	back to trace-cmd's loop
 *
 * The host turns the probes into one TIME_SHIFT sample (ptp-estimator.c).
 */
#include <endian.h>
#include <stdio.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsync/tsync.h"

#define PTP_CMD_PROBE	1
#define PTP_CMD_END	2

/* A busy sync point may take this many times the usual probes */
#define PTP_MORE	4

/* Rounds of probes of a sync point while the session has no history */
#define PTP_WARM_UP	4

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

struct ptp_session {
	const struct tsync_clock	*clock;
	/* host only */
	struct tsync_probe		*probes;
	struct tsync_ptp_history	history;
};

static struct ptp_session *session_of(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;

	return ctx ? ctx->proto_data : NULL;
}

static int ptp_init(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;
	const struct tsync_clock *clock;
	struct ptp_session *ptp;

	clock = tsync_clock_find(tsync->clock_str);
	if (!clock) {
		tsync_err("%s: trace clock '%s' cannot be read from user space",
			  TSYNC_PTP_NAME, tsync->clock_str ? tsync->clock_str : "(none)");
		return -1;
	}
	ptp = calloc(1, sizeof(*ptp));
	if (!ptp)
		return -1;
	ptp->clock = clock;
	if (!ctx->is_guest) {
		ptp->probes = calloc(PTP_MORE * tsync_cfg.ptp_probes, sizeof(*ptp->probes));
		ptp->history.cpu_count = ctx->cpu_count;
		ptp->history.cpus = calloc(ctx->cpu_count, sizeof(*ptp->history.cpus));
		if (!ptp->probes || !ptp->history.cpus) {
			free(ptp->probes);
			free(ptp->history.cpus);
			free(ptp);
			return -1;
		}
		tsync_info("%s: syncing %d guest CPUs, clock %s, up to %d probes per sync point",
			   TSYNC_PTP_NAME, ctx->cpu_count, clock->name, tsync_cfg.ptp_probes);
	}
	ctx->proto_data = ptp;
	return 0;
}

static int ptp_free(struct tracecmd_time_sync *tsync)
{
	struct clock_sync_context *ctx = tsync->context;
	struct ptp_session *ptp = session_of(tsync);

	if (!ptp)
		return 0;
	free(ptp->probes);
	free(ptp->history.cpus);
	free(ptp);
	ctx->proto_data = NULL;
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

	probe->host_send = tsync_clock_read(ptp->clock);
	if (tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_PROBE, &req, sizeof(req)) ||
	    tsync_msg_recv(tsync, TSYNC_PTP_NAME, &cmd, &reply, &size)) {
		tsync_err("%s: probe %u: %m", TSYNC_PTP_NAME, seq);
		return -1;
	}
	probe->host_recv = tsync_clock_read(ptp->clock);
	if (cmd != PTP_CMD_PROBE || size != sizeof(reply) || be32toh(reply.seq) != seq) {
		tsync_err("%s: malformed reply to probe %u (command %u, %u bytes, seq %u)",
			  TSYNC_PTP_NAME, seq, cmd, size, be32toh(reply.seq));
		return -1;
	}
	probe->guest_recv = be64toh(reply.guest_recv);
	probe->guest_send = be64toh(reply.guest_send);
	return 0;
}

/* Width of the offset interval of probes so far; -1 when none is causal */
static long long width_of(const struct tsync_probe *probes, int n)
{
	struct tsync_estimate est;

	if (tsync_ptp_estimate(probes, n, &est) || !est.bounded)
		return -1;
	return est.upper - est.lower;
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

/* One round of probes into ptp->probes; returns how many, or -1 */
static int probe_round(struct tracecmd_time_sync *tsync, struct ptp_session *ptp,
		       long long deadline)
{
	long long narrowest = tsync_ptp_narrowest(&ptp->history);
	int n = 0;

	while (n < tsync_cfg.ptp_probes && (n < 4 || now_ms() < deadline)) {
		if (ptp_probe(tsync, ptp, n, &ptp->probes[n]))
			return -1;
		n++;
	}
	/* a busy sync point: probe on, within the budget, for a fast way each way */
	while (narrowest > 0 && n < PTP_MORE * tsync_cfg.ptp_probes && now_ms() < deadline &&
	       width_of(ptp->probes, n) > narrowest + narrowest / 20) {
		if (ptp_probe(tsync, ptp, n, &ptp->probes[n]))
			return -1;
		n++;
	}
	return n;
}

static int ptp_host(struct tracecmd_time_sync *tsync, unsigned int cpu)
{
	struct ptp_session *ptp = session_of(tsync);
	struct tsync_estimate est;
	struct tsync_sample sample;
	long long deadline;
	int rounds, n;

	if (cpu >= (unsigned int)ptp->history.cpu_count)
		return -1;
	/* the session's first sync points make their own history first */
	rounds = ptp->history.nr_skew < PTP_WARM_UP ? PTP_WARM_UP : 1;
	deadline = now_ms() + tsync_cfg.ptp_budget_ms;
	while (rounds--) {
		n = probe_round(tsync, ptp, deadline);
		if (n < 0)
			return -1;
		if (tsync_ptp_estimate(ptp->probes, n, &est)) {
			tsync_err("%s: CPU %u: none of %d probes is causal", TSYNC_PTP_NAME, cpu, n);
			return -1;
		}
		tsync_ptp_refine(&ptp->history, cpu, &est);
		log_probes(cpu, ptp->probes, n);
	}
	if (tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_END, NULL, 0))
		return -1;
	tsync_debug("%s: CPU %u offset %lld +- %lld%s at %lld, %d/%d probes",
		    TSYNC_PTP_NAME, cpu, est.offset, est.bound,
		    est.bounded ? "" : " (unproven)", est.guest_ts, est.used, n);
	sample = (struct tsync_sample) {
		.guest_ts = est.guest_ts,
		.offset = est.offset,
		.scaling = 1,
		.frac = 0,
	};
	return tsync_samples_add(tsync->context, cpu, &sample);
}

static int ptp_guest(struct tracecmd_time_sync *tsync)
{
	struct ptp_session *ptp = session_of(tsync);
	struct ptp_request req;
	struct ptp_reply reply;
	unsigned int size, cmd;
	long long t2;

	for (;;) {
		size = sizeof(req);
		if (tsync_msg_recv(tsync, TSYNC_PTP_NAME, &cmd, &req, &size)) {
			tsync_err("%s: waiting for a probe: %m", TSYNC_PTP_NAME);
			return -1;
		}
		t2 = tsync_clock_read(ptp->clock);
		if (cmd == PTP_CMD_END && !size)
			return 0;
		if (cmd != PTP_CMD_PROBE || size != sizeof(req)) {
			tsync_err("%s: malformed message from the host (command %u, %u bytes)",
				  TSYNC_PTP_NAME, cmd, size);
			return -1;
		}
		reply = (struct ptp_reply) {
			.seq = req.seq,
			.guest_recv = htobe64(t2),
		};
		reply.guest_send = htobe64(tsync_clock_read(ptp->clock));
		if (tsync_msg_send(tsync, TSYNC_PTP_NAME, PTP_CMD_PROBE, &reply, sizeof(reply)))
			return -1;
	}
}

/*
 * Samples go into trace-cmd's arrays directly (samples.c); the zero offset
 * returned here tells trace-cmd not to record a sample of its own.
 */
static int ptp_calc(struct tracecmd_time_sync *tsync, long long *offset,
		    long long *scaling, long long *frac, long long *timestamp,
		    unsigned int cpu)
{
	struct clock_sync_context *ctx = tsync->context;
	int ret;

	*offset = *timestamp = *frac = 0;
	*scaling = 1;
	if (!session_of(tsync))
		return -1;
	if (ctx->is_guest)
		return ptp_guest(tsync);
	ret = ptp_host(tsync, cpu);
	if (ret)
		tsync_samples_equalize(ctx);
	return ret;
}

int tsync_ptp_register(unsigned int roles)
{
	return tracecmd_tsync_proto_register(TSYNC_PTP_NAME, PTP_ACCURACY, roles,
					     tsync_clock_readable_mask(),
					     TRACECMD_TSYNC_FLAG_INTERPOLATE | TSYNC_FLAG_PTP,
					     ptp_init, ptp_free, ptp_calc);
}
