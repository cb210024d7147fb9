/* SPDX-License-Identifier: LGPL-2.1 */
/* The suites of the offline unit tests, each file's own */
#ifndef _UNIT_OFFLINE_H
#define _UNIT_OFFLINE_H

void add_record_fits_tests(void);

#endif
