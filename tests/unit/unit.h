/* SPDX-License-Identifier: LGPL-2.1 */
#ifndef _TSYNC_UNIT_H
#define _TSYNC_UNIT_H

void add_ptp_estimator_suite(void);
void add_samples_suite(void);
void add_clock_read_suite(void);
void add_tsc_math_suite(void);
void add_time_shift_suite(void);
void add_sync_stats_suite(void);

#include "tsync/tsync.h"

/* trace-cmd report's use of TIME_SHIFT samples (plugin/offline/report-time.c) */
#include "tsync/offline.h"

#endif
