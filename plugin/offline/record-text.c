// SPDX-License-Identifier: LGPL-2.1
/*
 * One record as merge lists it: "comm-pid [cpu] event: fields", the way
 * trace-cmd report prints it, without the timestamp that merge places.
 *
 * libtraceevent 1.7 computes a print format's "/" and "%" without looking
 * at the divisor: a corrupt format ("REC->next_p%d", an unknown atom that
 * reads as 0) traps with SIGFPE.  The division is the last thing it did,
 * so printing leaves by siglongjmp() from the trap, and the line says why.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

static sigjmp_buf divided_by_zero;

static void trap(int sig)
{
	(void)sig;
	siglongjmp(divided_by_zero, 1);
}

/**
 * tsync_record_text - @rec as a line (free()), or NULL without memory
 * @tep: the event formats of the file that @rec was read from
 * @rec: a record that tsync_record_fits()
 */
char *tsync_record_text(struct tep_handle *tep, struct tep_record *rec)
{
	struct sigaction on_fpe = { .sa_handler = trap }, old;
	struct trace_seq seq;
	char *text;

	trace_seq_init(&seq);
	sigemptyset(&on_fpe.sa_mask);
	sigaction(SIGFPE, &on_fpe, &old);
	if (!sigsetjmp(divided_by_zero, 1)) {
		tep_print_event(tep, &seq, rec, "%s-%d [%03d] %s: %s", TEP_PRINT_COMM,
				TEP_PRINT_PID, TEP_PRINT_CPU, TEP_PRINT_NAME, TEP_PRINT_INFO);
	} else {
		trace_seq_reset(&seq);
		trace_seq_printf(&seq, "[event %d: its print format divides by 0]",
				 tep_data_type(tep, rec));
	}
	sigaction(SIGFPE, &old, NULL);
	trace_seq_terminate(&seq);
	text = seq.buffer ? strdup(seq.buffer) : NULL;
	trace_seq_destroy(&seq);
	return text;
}
