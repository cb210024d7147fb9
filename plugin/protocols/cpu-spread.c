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
 * A CPU that does not answer within SPREAD_WAIT_MS (offline, or its vCPU not
 * running) has no gap: the host then probes it over the network as before.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "tsync/plugin.h"

/* Round trips from CPU 0 to each other CPU: their intervals intersect */
#define SPREAD_TRIPS	16

/* How long a CPU may take to start answering and to answer them all */
#define SPREAD_WAIT_MS	20

/* The peer answers this when it did not start on its CPU */
#define SPREAD_ELSEWHERE	UINT_MAX

struct spread_peer {
	const struct tsync_clock	*clock;
	int				cpu;
	unsigned int			ask;	/* CPU 0: the trip it waits for */
	unsigned int			answer;	/* the peer: the trip it answered */
	long long			stamp;	/* the peer's clock at that trip */
	bool				quit;	/* CPU 0 is done with the peer */
	int				users;	/* CPU 0 and the peer: the last frees it */
};

static void peer_put(struct spread_peer *p)
{
	if (!__atomic_sub_fetch(&p->users, 1, __ATOMIC_ACQ_REL))
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

	if (sched_getcpu() != p->cpu) {
		__atomic_store_n(&p->answer, SPREAD_ELSEWHERE, __ATOMIC_RELEASE);
		trip = SPREAD_TRIPS;
	}
	while (trip < SPREAD_TRIPS && !__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&p->ask, __ATOMIC_ACQUIRE) != trip + 1) {
			spin_pause();
			continue;
		}
		__atomic_store_n(&p->stamp, tsync_clock_read(p->clock), __ATOMIC_RELAXED);
		__atomic_store_n(&p->answer, ++trip, __ATOMIC_RELEASE);
	}
	peer_put(p);
	return NULL;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* CPU 0: the trips to one peer; false if it did not answer them all in time */
static bool trips(struct spread_peer *p, long long *lower, long long *upper)
{
	long long deadline = mono_ms() + SPREAD_WAIT_MS;
	struct tsync_probe trip;
	unsigned int k, answer;

	for (k = 1; k <= SPREAD_TRIPS; k++) {
		trip.host_send = tsync_clock_read(p->clock);
		__atomic_store_n(&p->ask, k, __ATOMIC_RELEASE);
		while ((answer = __atomic_load_n(&p->answer, __ATOMIC_ACQUIRE)) != k) {
			if (answer == SPREAD_ELSEWHERE || mono_ms() > deadline)
				return false;
			spin_pause();
		}
		trip.host_recv = tsync_clock_read(p->clock);
		trip.guest_recv = trip.guest_send = __atomic_load_n(&p->stamp, __ATOMIC_RELAXED);
		tsync_ptp_bounds(&trip, lower, upper);
	}
	return *lower <= *upper;
}

/* The gap between CPU 0's clock and @cpu's; false if it could not be measured */
static bool measure_cpu(const struct tsync_clock *clock, int cpu, long long *lower,
			long long *upper)
{
	struct spread_peer *p = calloc(1, sizeof(*p));
	pthread_attr_t attr;
	pthread_t thread;
	cpu_set_t set;
	bool ok;

	if (!p)
		return false;
	*p = (struct spread_peer) { .clock = clock, .cpu = cpu, .users = 2 };
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_attr_init(&attr)) {
		free(p);
		return false;
	}
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_attr_setaffinity_np(&attr, sizeof(set), &set) ||
	    pthread_create(&thread, &attr, peer_answer, p)) {
		pthread_attr_destroy(&attr);
		free(p);
		return false;
	}
	pthread_attr_destroy(&attr);
	*lower = LLONG_MIN;
	*upper = LLONG_MAX;
	ok = trips(p, lower, upper);
	__atomic_store_n(&p->quit, true, __ATOMIC_RELEASE);
	peer_put(p);
	return ok;
}

/**
 * tsync_cpu_spread - the gap between CPU 0's clock and each CPU's
 * @clock: the trace clock, read directly
 * @nr_cpus: the guest's CPUs
 * @lower: returns each CPU's lower end of clock 0 - clock n
 * @upper: returns its upper end; below the lower end for a CPU not measured
 *
 * The caller runs on CPU 0 (trace-cmd pins the sync thread to the CPU it
 * syncs); from anywhere else, no CPU is measured.  Returns the number of
 * CPUs measured, CPU 0 included.
 */
int tsync_cpu_spread(const struct tsync_clock *clock, int nr_cpus, long long *lower,
		     long long *upper)
{
	int cpu, measured = 0;

	for (cpu = 0; cpu < nr_cpus; cpu++) {
		lower[cpu] = LLONG_MAX;
		upper[cpu] = LLONG_MIN;
	}
	if (nr_cpus <= 0 || sched_getcpu() != 0)
		return 0;
	lower[0] = upper[0] = 0;
	for (cpu = 1, measured = 1; cpu < nr_cpus; cpu++) {
		if (measure_cpu(clock, cpu, &lower[cpu], &upper[cpu])) {
			measured++;
			continue;
		}
		lower[cpu] = LLONG_MAX;
		upper[cpu] = LLONG_MIN;
	}
	return measured;
}
