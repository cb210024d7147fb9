// SPDX-License-Identifier: LGPL-2.1
/*
 * One record as merge lists it: "comm-pid [cpu] event: fields", the way
 * trace-cmd report prints it, without the timestamp that merge places.
 */
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"

/**
 * tsync_record_text - @rec of @in as a line (free()), or NULL without memory
 * @in: the buffer that @rec was read from
 * @rec: a record that tsync_record_fits()
 */
char *tsync_record_text(struct tracecmd_input *in, struct tep_record *rec)
{
	struct trace_seq seq;
	char *text;

	trace_seq_init(&seq);
	tep_print_event(tracecmd_get_tep(in), &seq, rec, "%s-%d [%03d] %s: %s",
			TEP_PRINT_COMM, TEP_PRINT_PID, TEP_PRINT_CPU, TEP_PRINT_NAME,
			TEP_PRINT_INFO);
	trace_seq_terminate(&seq);
	text = seq.buffer ? strdup(seq.buffer) : NULL;
	trace_seq_destroy(&seq);
	return text;
}
