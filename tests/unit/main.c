// SPDX-License-Identifier: LGPL-2.1
/* Runs every CUnit suite of tsync's pure code */
#include <CUnit/Basic.h>

#include "unit.h"

int main(void)
{
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	add_ptp_estimator_suite();
	add_ptp_fit_suite();
	add_sync_record_suite();
	add_array_suite();
	add_samples_suite();
	add_clock_read_suite();
	add_tsc_math_suite();
	add_vcpu_runs_suite();
	add_time_shift_suite();
	add_sync_stats_suite();
	add_msg_suite();
	add_kvm_timeline_suite();
	add_msg_recv_suite();
	add_number_suite();
	add_report_time_suite();
	add_offset_write_suite();
	add_plot_axes_suite();
	add_peer_silence_suite();
	add_guest_vm_suite();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
