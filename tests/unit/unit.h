/* SPDX-License-Identifier: LGPL-2.1 */
#ifndef _TSYNC_UNIT_H
#define _TSYNC_UNIT_H

void add_ptp_estimator_suite(void);
void add_samples_suite(void);
void add_clock_read_suite(void);

#endif
