/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * Trace files: what libtracecmd.so.1 exports beyond its public header, in
 * tsync's words (trace-cmd 3.1.x, unchanged up to 3.4).  Used by
 * tsync-offline only, which links libtracecmd (the plugin does not).
 * trace-cmd itself appends TIME_SHIFT to a finished guest file this way:
 * an output handle on the open file, the option added, and (version 7) a
 * new options section chained at the end of the file.
 */
#ifndef _TSYNC_TRACECMD_FILE_H
#define _TSYNC_TRACECMD_FILE_H

#include <stddef.h>

struct tracecmd_input;
struct tracecmd_output;
struct tracecmd_option;

/* Ids of the options tsync-offline reads or writes (the file format's) */
#define TRACECMD_OPTION_DONE		0	/* v6: the end; v7: next section */
#define TRACECMD_OPTION_BUFFER		3
#define TRACECMD_OPTION_TRACEID		11
#define TRACECMD_OPTION_TIME_SHIFT	12
#define TRACECMD_OPTION_GUEST		13	/* a host file: per guest, its vCPUs' threads */

/* tracecmd_set_flag(): timestamps as recorded, no TIME_SHIFT, no offsets */
#define TRACECMD_FL_RAW_TS		(1 << 3)

void tracecmd_set_flag(struct tracecmd_input *handle, int flag);
int tracecmd_cpus(struct tracecmd_input *handle);
int tracecmd_page_size(struct tracecmd_input *handle);
unsigned long tracecmd_get_in_file_version(struct tracecmd_input *handle);
/* v6: where the first option starts; v7: the first options section */
size_t tracecmd_get_options_offset(struct tracecmd_input *handle);
struct tep_record *tracecmd_read_cpu_last(struct tracecmd_input *handle, int cpu);
/* The trace clock the file was recorded with ("x86-tsc"), NULL when it names none */
const char *tracecmd_get_trace_clock(struct tracecmd_input *handle);

/* An output handle that appends to @fd, a complete trace file open for writing */
struct tracecmd_output *tracecmd_get_output_handle_fd(int fd);
struct tracecmd_option *tracecmd_add_option(struct tracecmd_output *handle, unsigned short id,
					    int size, const void *data);
/* v7: writes the added options as a new section and links the last one to it */
int tracecmd_append_options(struct tracecmd_output *handle);
/* Flushes (v7: options, strings), closes the fd, frees the handle */
void tracecmd_output_close(struct tracecmd_output *handle);

#endif /* _TSYNC_TRACECMD_FILE_H */
