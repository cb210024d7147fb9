/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * The part of trace-cmd's private time-sync interface that tsync uses.
 *
 * trace-cmd does not install these declarations: they live in its private
 * headers.  This is tsync's own description of that binary interface, as
 * found in trace-cmd 3.1.x (unchanged up to 3.4).  Nothing else in tsync
 * may depend on trace-cmd internals.
 *
 * Every function is a weak reference.  The plugin is preloaded into
 * trace-cmd, which exports these symbols, but the environment (and so the
 * preload) is inherited by the command that "record" runs: there the symbols
 * resolve to NULL and the plugin stays idle instead of failing to load.
 */
#ifndef _TSYNC_TRACECMD_ABI_H
#define _TSYNC_TRACECMD_ABI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest protocol name on the wire, including the terminating NUL */
#define TRACECMD_TSYNC_PNAME_LENGTH	16

/* Longest message trace-cmd sends or accepts, header included */
#define TRACECMD_MSG_MAX		8192

/*
 * A time-sync message on the wire: the header, the time-sync part, then the
 * protocol's payload.  Integers are big-endian; size counts all three.
 */
#define TRACECMD_MSG_TIME_SYNC		9

struct tracecmd_msg_wire_header {
	uint32_t	size;
	uint32_t	cmd;		/* TRACECMD_MSG_TIME_SYNC */
	uint32_t	cmd_size;	/* sizeof(struct tracecmd_msg_wire_tsync) */
} __attribute__((packed));

struct tracecmd_msg_wire_tsync {
	char		proto[TRACECMD_TSYNC_PNAME_LENGTH];
	uint32_t	id;		/* the protocol's own command */
} __attribute__((packed));

/* Name used by the framework's own probe messages (not a protocol) */
#define TRACECMD_TSYNC_PROTO_NONE	"none"

/* The framework asks a guest for a sample of one CPU with this command */
#define TRACECMD_TIME_SYNC_CMD_PROBE	1
#define TRACECMD_TIME_SYNC_CMD_STOP	2

/* Which side of a session a protocol can serve */
enum tracecmd_time_sync_role {
	TRACECMD_TIME_SYNC_ROLE_HOST	= 1 << 0,	/* vsock host, guest pid known */
	TRACECMD_TIME_SYNC_ROLE_GUEST	= 1 << 1,	/* the agent */
	TRACECMD_TIME_SYNC_ROLE_CLIENT	= 1 << 2,	/* host of a network agent */
	TRACECMD_TIME_SYNC_ROLE_SERVER	= 1 << 3,
};

/* Trace clocks as bits of a protocol's supported_clocks mask */
enum tracecmd_clocks {
	TRACECMD_CLOCK_UNKNOWN	= 0,
	TRACECMD_CLOCK_LOCAL	= 1 << 0,
	TRACECMD_CLOCK_GLOBAL	= 1 << 1,
	TRACECMD_CLOCK_COUNTER	= 1 << 2,
	TRACECMD_CLOCK_UPTIME	= 1 << 3,
	TRACECMD_CLOCK_PERF	= 1 << 4,
	TRACECMD_CLOCK_MONO	= 1 << 5,
	TRACECMD_CLOCK_MONO_RAW	= 1 << 6,
	TRACECMD_CLOCK_BOOT	= 1 << 7,
	TRACECMD_CLOCK_X86_TSC	= 1 << 8,
};

/* TIME_SHIFT flag: report interpolates the offset between two samples */
#define TRACECMD_TSYNC_FLAG_INTERPOLATE	0x1

/* The connection to the peer; only the socket is used by tsync */
struct tracecmd_msg_handle {
	int			fd;
	/* more fields follow in trace-cmd; never allocated by tsync */
};

struct tsync_proto;

/* One time-sync session, allocated by trace-cmd */
struct tracecmd_time_sync {
	pthread_t			thread;
	bool				thread_running;
	unsigned long long		trace_id;
	char				*proto_name;
	int				loop_interval;
	pthread_mutex_t			lock;
	pthread_cond_t			cond;
	pthread_barrier_t		first_sync;
	char				*clock_str;
	struct tracecmd_msg_handle	*msg_handle;
	struct tsync_proto		*proto;
	void				*context;	/* struct clock_sync_context */
	int				guest_pid;	/* -1 or 0 when unknown */
	int				vcpu_count;
	int				remote_id;
	int				local_id;
};

/*
 * Samples of one guest CPU, as four parallel arrays grown with realloc()
 * and released by trace-cmd with free().  TIME_SHIFT is written from them.
 */
struct clock_sync_offsets {
	int				sync_size;	/* allocated entries */
	int				sync_count;	/* used entries */
	long long			*sync_ts;	/* guest time of the sample */
	long long			*sync_offsets;	/* host - guest */
	long long			*sync_scalings;
	long long			*sync_frac;
};

struct tracefs_instance;

/* What a protocol sees of a session: tsync->context points here */
struct clock_sync_context {
	void				*proto_data;	/* owned by the protocol */
	bool				is_server;	/* true on the guest */
	bool				is_guest;
	struct tracefs_instance		*instance;	/* "clock_synch-<id>" */
	int				cpu_count;
	struct clock_sync_offsets	*offsets;	/* cpu_count entries */
	unsigned int			local_id;
	unsigned int			remote_id;
};

typedef int (*tracecmd_tsync_init_fn)(struct tracecmd_time_sync *tsync);
typedef int (*tracecmd_tsync_free_fn)(struct tracecmd_time_sync *tsync);
typedef int (*tracecmd_tsync_calc_fn)(struct tracecmd_time_sync *tsync,
				      long long *offset, long long *scaling,
				      long long *frac, long long *timestamp,
				      unsigned int cpu);

/* Fails when the name is taken: the first registration wins */
extern int tracecmd_tsync_proto_register(const char *proto_name, int accuracy,
					 int roles, int supported_clocks,
					 unsigned int flags,
					 tracecmd_tsync_init_fn init,
					 tracecmd_tsync_free_fn free,
					 tracecmd_tsync_calc_fn calc)
	__attribute__((weak));

extern int tracecmd_tsync_proto_unregister(char *proto_name) __attribute__((weak));

extern enum tracecmd_clocks tracecmd_clock_str2id(const char *clock) __attribute__((weak));

/*
 * A sync session's two ends, as trace-cmd's record and agent start them:
 * for the tests that run both (tests/helpers/tsync-session.c), linked
 * against libtracecmd.so.1.  The names: the protocols registered for a role
 * and clock, in registration order.
 */
struct tracecmd_tsync_protos {
	char	**names;	/* NULL-terminated */
};

void tracecmd_tsync_init(void);
int tracecmd_tsync_proto_getall(struct tracecmd_tsync_protos **protos, const char *clock,
				int role);
struct tracecmd_time_sync *tracecmd_tsync_with_host(int fd, const char *proto,
						    const char *clock, int remote_id,
						    int local_id);
int tracecmd_tsync_with_host_stop(struct tracecmd_time_sync *tsync);
struct tracecmd_time_sync *tracecmd_tsync_with_guest(unsigned long long trace_id,
						     int loop_interval, unsigned int fd,
						     int guest_pid, int guest_cpus,
						     const char *proto_name, const char *clock);
int tracecmd_tsync_with_guest_stop(struct tracecmd_time_sync *tsync);
int tracecmd_tsync_get_offsets(struct tracecmd_time_sync *tsync, int cpu, int *count,
			       long long **ts, long long **offsets, long long **scalings,
			       long long **frac);
void tracecmd_tsync_free(struct tracecmd_time_sync *tsync);

#endif /* _TSYNC_TRACECMD_ABI_H */
