// SPDX-License-Identifier: LGPL-2.1
/*
 * Guest: how far each CPU's clock is from CPU 0's, measured inside the guest.
 *
 * trace-cmd syncs a guest's CPUs one after another, each with its own probes
 * over the network.  Inside the guest, a round trip from CPU to CPU through
 * shared memory is far shorter than one over the network, so tsync-ptp.2
 * probes CPU 0 only and asks the guest for the gap between CPU 0's clock and
 * every other CPU's.  The gap is bounded the way a probe bounds an offset
 * (ptp-estimator.c), with CPU 0 as the host and the other CPU as the guest:
 *
 *	CPU 0			CPU n (a thread pinned there)
 *	t1 = clock
 *	ask = trip	---->	t = clock
 *			<----	answer = trip
 *	t4 = clock
 *
 *	t1 - t  <=  clock 0 - clock n  <=  t4 - t
 *
 * A clock user space cannot read is stamped with trace markers instead
 * (clock-marker.c): t1 and t4 are markers CPU 0 writes, t one the other CPU
 * writes, all read back once every CPU has answered.
 *
 * A CPU that does not answer within SPREAD_WAIT_MS (offline, or its vCPU not
 * running) has no gap: the host then probes it over the network as before.
 * Its thread may still start later; until it has ended, that CPU gets no
 * other, so a CPU that never runs it costs one thread, not one a sync point.
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsync/plugin.h"

/* Round trips from CPU 0 to each other CPU: their intervals intersect */
#define SPREAD_TRIPS	16

/* How long a CPU may take to start answering and to answer them all */
#define SPREAD_WAIT_MS	20

/* All CPUs together: well within the host's TSYNC_ANSWER_MS */
#define SPREAD_BUDGET_MS	1000

/* The peer answers this when it did not start on its CPU */
#define SPREAD_ELSEWHERE	UINT_MAX

/* The peer only spins and stamps */
#define SPREAD_STACK	(64 * 1024)

struct spread_peer {
	const struct tsync_clock	*clock;		/* NULL: trace markers */
	struct tsync_marker_clock	marker;		/* its own trace_marker fd */
	int				cpu;
	unsigned int			seq;	/* the marker number of its first trip */
	unsigned int			ask;	/* CPU 0: the trip it waits for */
	unsigned int			answer;	/* the peer: the trip it answered */
	long long			stamp;	/* the peer's clock at that trip */
	bool				quit;	/* CPU 0 is done with the peer */
	int				users;	/* CPU 0 and the peer: the last frees it */
};

/* Each CPU's peer thread that has not ended: no second one while it lives */
static int peer_alive[CPU_SETSIZE];

/* Both sides drop the peer when done: the last one frees it */
static void peer_put(struct spread_peer *p)
{
	if (__atomic_sub_fetch(&p->users, 1, __ATOMIC_ACQ_REL))
		return;
	if (p->marker.fd >= 0)
		close(p->marker.fd);
	free(p);
}

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* The peer: answer CPU 0's trips until it has them all or CPU 0 quits */
static void *peer_answer(void *arg)
{
	struct spread_peer *p = arg;
	unsigned int trip = 0;
	int cpu = p->cpu;

	if (sched_getcpu() != p->cpu) {
		__atomic_store_n(&p->answer, SPREAD_ELSEWHERE, __ATOMIC_RELEASE);
		trip = SPREAD_TRIPS;
	}
	while (trip < SPREAD_TRIPS && !__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&p->ask, __ATOMIC_ACQUIRE) != trip + 1) {
			spin_pause();
			continue;
		}
		if (p->clock)
			__atomic_store_n(&p->stamp, tsync_clock_read(p->clock), __ATOMIC_RELAXED);
		else
			tsync_marker_write(&p->marker, p->seq + trip, 'p');
		__atomic_store_n(&p->answer, ++trip, __ATOMIC_RELEASE);
	}
	peer_put(p);
	__atomic_sub_fetch(&peer_alive[cpu], 1, __ATOMIC_RELEASE);
	return NULL;
}

static void unmeasured(long long *lower, long long *upper)
{
	*lower = LLONG_MAX;
	*upper = LLONG_MIN;
}

/*
 * CPU 0: the trips to one peer, into @lower and @upper (clocks read
 * directly) or as markers; false if it did not answer them all in time
 */
static bool trips(struct spread_peer *p, long long deadline, long long *lower,
		  long long *upper)
{
	struct tsync_probe trip;
	unsigned int k, answer;

	for (k = 1; k <= SPREAD_TRIPS; k++) {
		if (p->clock)
			trip.host_send = tsync_clock_read(p->clock);
		else
			tsync_marker_write(&p->marker, p->seq + k - 1, 'a');
		__atomic_store_n(&p->ask, k, __ATOMIC_RELEASE);
		while ((answer = __atomic_load_n(&p->answer, __ATOMIC_ACQUIRE)) != k) {
			if (answer == SPREAD_ELSEWHERE || tsync_mono_ms() > deadline)
				return false;
			spin_pause();
		}
		if (!p->clock) {
			tsync_marker_write(&p->marker, p->seq + k - 1, 'b');
			continue;
		}
		trip.host_recv = tsync_clock_read(p->clock);
		trip.guest_recv = trip.guest_send = __atomic_load_n(&p->stamp, __ATOMIC_RELAXED);
		tsync_ptp_bounds(&trip, lower, upper);
	}
	/* markers: bounded once read back */
	return !p->clock || (*lower <= *upper && *lower != LLONG_MIN && *upper != LLONG_MAX);
}

/*
 * A peer pinned to @cpu, answering from its start; NULL if there is none
 * (its last one still alive, or no thread could be made there)
 */
static struct spread_peer *peer_start(const struct tsync_clock *clock,
				      const struct tsync_marker_clock *marker, int cpu)
{
	struct spread_peer *p;
	pthread_attr_t attr;
	pthread_t thread;
	cpu_set_t set;
	int ret;

	if (__atomic_load_n(&peer_alive[cpu], __ATOMIC_ACQUIRE) || !(p = malloc(sizeof(*p))))
		return NULL;
	*p = (struct spread_peer) {
		.clock = clock, .cpu = cpu, .seq = cpu * SPREAD_TRIPS, .users = 2,
	};
	p->marker.fd = -1;
	if (!clock) {
		/* the peer may outlive the session and its marker: a fd of its own */
		p->marker = *marker;
		p->marker.fd = dup(marker->fd);
		if (p->marker.fd < 0) {
			free(p);
			return NULL;
		}
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ret = pthread_attr_init(&attr);
	if (!ret) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, SPREAD_STACK);
		ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		__atomic_add_fetch(&peer_alive[cpu], 1, __ATOMIC_ACQ_REL);
		if (!ret)
			ret = pthread_create(&thread, &attr, peer_answer, p);
		if (ret)
			__atomic_sub_fetch(&peer_alive[cpu], 1, __ATOMIC_ACQ_REL);
		pthread_attr_destroy(&attr);
	}
	if (ret) {
		p->users = 1;
		peer_put(p);
		return NULL;
	}
	return p;
}

/* The gap between CPU 0's clock and @cpu's (markers: the trips' markers) */
static void measure_cpu(const struct tsync_clock *clock, const struct tsync_marker_clock *marker,
			int cpu, long long budget_end, long long *lower, long long *upper)
{
	long long deadline = tsync_mono_ms() + SPREAD_WAIT_MS;
	struct spread_peer *p = peer_start(clock, marker, cpu);

	*lower = LLONG_MIN;
	*upper = LLONG_MAX;
	if (!p || !trips(p, deadline < budget_end ? deadline : budget_end, lower, upper))
		unmeasured(lower, upper);
	if (!p)
		return;
	__atomic_store_n(&p->quit, true, __ATOMIC_RELEASE);
	peer_put(p);
}

/* Markers: each measured CPU's gap from its trips' markers, read back now */
static void marker_gaps(struct tsync_marker_clock *marker, int nr_cpus, long long *lower,
			long long *upper)
{
	int count = nr_cpus * SPREAD_TRIPS, cpu, k, i;
	long long *stamps[3] = {};
	struct tsync_probe trip;

	for (i = 0; i < 3; i++)
		stamps[i] = calloc(count, sizeof(long long));
	if (!stamps[0] || !stamps[1] || !stamps[2]) {
		for (cpu = 1; cpu < nr_cpus; cpu++)
			unmeasured(&lower[cpu], &upper[cpu]);
		goto out;
	}
	/* 'a'sked and 'b'ack on CPU 0, 'p'eer on the other */
	tsync_marker_collect(marker, 0, count, "apb", stamps);
	for (cpu = 1; cpu < nr_cpus; cpu++) {
		if (lower[cpu] > upper[cpu])
			continue;
		lower[cpu] = LLONG_MIN;
		upper[cpu] = LLONG_MAX;
		for (k = cpu * SPREAD_TRIPS; k < (cpu + 1) * SPREAD_TRIPS; k++) {
			/* 0: a marker not found */
			if (!stamps[0][k] || !stamps[1][k] || !stamps[2][k])
				continue;
			trip = (struct tsync_probe) {
				.host_send = stamps[0][k], .guest_recv = stamps[1][k],
				.guest_send = stamps[1][k], .host_recv = stamps[2][k],
			};
			tsync_ptp_bounds(&trip, &lower[cpu], &upper[cpu]);
		}
		if (lower[cpu] == LLONG_MIN || upper[cpu] == LLONG_MAX || lower[cpu] > upper[cpu])
			unmeasured(&lower[cpu], &upper[cpu]);
	}
out:
	for (i = 0; i < 3; i++)
		free(stamps[i]);
}

/**
 * tsync_cpu_spread - the gap between CPU 0's clock and each CPU's
 * @clock: the trace clock, read directly; NULL: @marker's
 * @marker: the trace clock as trace markers stamp it
 * @nr_cpus: the guest's CPUs
 * @lower: returns each CPU's lower end of clock 0 - clock n
 * @upper: returns its upper end; below the lower end for a CPU not measured
 *
 * The caller runs on CPU 0 (trace-cmd pins the sync thread to the CPU it
 * syncs); from anywhere else, no CPU is measured.  So are CPUs beyond what
 * a cpu_set_t holds, and those left when SPREAD_BUDGET_MS is spent.
 * Returns the number of CPUs measured, CPU 0 included.
 */
int tsync_cpu_spread(const struct tsync_clock *clock, struct tsync_marker_clock *marker,
		     int nr_cpus, long long *lower, long long *upper)
{
	int cpu, measured, nr = nr_cpus < CPU_SETSIZE ? nr_cpus : CPU_SETSIZE;
	long long budget_end = tsync_mono_ms() + SPREAD_BUDGET_MS;

	for (cpu = 0; cpu < nr_cpus; cpu++)
		unmeasured(&lower[cpu], &upper[cpu]);
	if (nr <= 0 || sched_getcpu() != 0)
		return 0;
	lower[0] = upper[0] = 0;
	for (cpu = 1; cpu < nr && tsync_mono_ms() < budget_end; cpu++)
		measure_cpu(clock, marker, cpu, budget_end, &lower[cpu], &upper[cpu]);
	for (; cpu < nr; cpu++)
		unmeasured(&lower[cpu], &upper[cpu]);
	if (!clock)
		marker_gaps(marker, nr, lower, upper);
	for (cpu = 0, measured = 0; cpu < nr; cpu++)
		measured += lower[cpu] <= upper[cpu];
	return measured;
}
