/* SPDX-License-Identifier: LGPL-2.1 */
#ifndef _TSYNC_UNIT_H
#define _TSYNC_UNIT_H

void add_ptp_estimator_suite(void);
void add_ptp_fit_suite(void);
void add_sync_record_suite(void);
void add_array_suite(void);
void add_samples_suite(void);
void add_clock_read_suite(void);
void add_tsc_math_suite(void);
void add_vcpu_runs_suite(void);
void add_time_shift_suite(void);
void add_sync_stats_suite(void);
void add_msg_suite(void);
void add_kvm_timeline_suite(void);
void add_msg_recv_suite(void);
void add_number_suite(void);
void add_report_time_suite(void);
void add_offset_write_suite(void);
void add_plot_axes_suite(void);
void add_peer_silence_suite(void);
void add_guest_vm_suite(void);

/* the core, and the plugin's pieces the unit tests link (msg.c, ...) */
#include "tsync/plugin.h"

/* alloc-fail.c: the @nth allocation from now on fails; 0: none */
void unit_fail_alloc(int nth);

/* ptp-paths.c: synthetic paths whose truth is known */
#define PATH_PROBES	64

struct path {
	long long	offset;		/* true host - guest at guest time 0 */
	double		drift;		/* guest clock rate error, in ppm */
	long long	start;		/* guest time of the first probe; 0: 1 s */
	long long	fwd_min;	/* fastest host -> guest delay */
	long long	back_min;	/* fastest guest -> host delay */
	long long	jitter;		/* extra delay, uniform in [0, jitter) */
	int		late_every;	/* every Nth probe is delayed 1 ms */
	int		lost_every;	/* every Nth probe is lost */
};

void path_seed(unsigned long long seed);
long long path_random(long long n);
long long path_host(const struct path *p, long long g);
long long path_offset(const struct path *p, long long g);
int path_probes(const struct path *p, struct tsync_probe *probes);

#endif
