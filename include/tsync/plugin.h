/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * The plugin's internal interface: the pieces of tsync.so that run inside
 * trace-cmd, over the core (core.h) and trace-cmd's private tsync interface
 * (tracecmd-abi.h).  Everything here is hidden from the plugin's users.
 */
#ifndef _TSYNC_PLUGIN_H
#define _TSYNC_PLUGIN_H

#include <sys/socket.h>
#include <time.h>

#include "core.h"
#include "tracecmd-abi.h"

_Static_assert(TSYNC_PROTO_NAME_MAX == TRACECMD_TSYNC_PNAME_LENGTH,
	       "a protocol's name has trace-cmd's room");
_Static_assert(TSYNC_FLAG_INTERPOLATE == TRACECMD_TSYNC_FLAG_INTERPOLATE,
	       "bit 0 of the flags is trace-cmd's interpolate");

/* ---- abi-check.c: a trace-cmd whose private layout tsync knows ---- */
const char *tsync_abi_refusal(char *why, size_t size) __hidden;
int tsync_abi_session_check(const struct tracecmd_time_sync *tsync, const char *name) __hidden;

/* ---- config.c: what the launcher asked for, from the environment ---- */
enum tsync_choice {
	TSYNC_CHOICE_AUTO,	/* tsync's protocols first, built-ins for stock peers */
	TSYNC_CHOICE_KVM,	/* tsync-kvm only */
	TSYNC_CHOICE_PTP,	/* tsync-ptp only */
	TSYNC_CHOICE_BUILTIN,	/* trace-cmd's own protocols, for comparisons */
};

/* Most probes a round may take: the guest sizes its buffers for it */
#define TSYNC_PTP_MAX_PROBES	4096

struct tsync_config {
	enum tsync_choice	choice;
	int			ptp_probes;	/* probes per sync point */
	int			ptp_budget_ms;	/* time limit of one sync point */
	const char		*vm;		/* --tsync-vm: pid or QEMU name */
	const char		*guest_vms;	/* "ADDR PORT VM" lines: each guest's */
	const char		*debugfs;	/* where kvm/ lives */
	const char		*tracefs;
	bool			verbose;
	const char		*records;	/* the launcher's file of sync records */
	int			timeout_s;	/* --tsync-timeout; 0: none */
};

int tsync_config_load(struct tsync_config *cfg, char *why, size_t size) __hidden;
extern struct tsync_config tsync_cfg __hidden;

/* ---- records-kept.c: the host's copy of a session's sync records ---- */
struct tsync_records_kept {
	struct tsync_sync_record	*at;
	int				nr;
	long				size;
};

int tsync_records_keep(struct tsync_records_kept *k, const struct tsync_sync_record *r) __hidden;
void tsync_records_flush(struct tsync_records_kept *k, const char *proto) __hidden;

/* ---- clock-read.c: trace clocks that user space can read directly ---- */
struct tsync_clock {
	const char	*name;		/* trace_clock name */
	clockid_t	posix_id;	/* for clock_gettime(), unless tsc */
	bool		tsc;		/* read with rdtsc */
	unsigned int	tracecmd_bit;	/* enum tracecmd_clocks */
};

const struct tsync_clock *tsync_clock_find(const char *name) __hidden;
unsigned int tsync_clock_readable_mask(void) __hidden;
long long tsync_clock_read(const struct tsync_clock *clock) __hidden;
long long tsync_mono_ms(void) __hidden;

/* ---- clock-marker.c: other clocks, from trace markers read back ---- */
struct tep_handle;
struct tep_format_field;
struct kbuffer;

struct tsync_marker_clock {
	struct tracefs_instance	*instance;	/* whose clock is the trace clock */
	struct tep_handle	*tep;
	int			fd;		/* its trace_marker */
	int			print_id;	/* a marker's event, */
	struct tep_format_field	*text;		/* and its text */
	int			cpus;
	int			*raw;		/* each CPU's trace_pipe_raw, or -1 */
	struct kbuffer		*kbuf;		/* reads them */
	void			*page;		/* one sub-buffer */
	int			page_size;
};

bool tsync_marker_available(void) __hidden;
int tsync_marker_open(struct tsync_marker_clock *m, struct tracefs_instance *instance,
		      const char *clock) __hidden;
int tsync_marker_write(struct tsync_marker_clock *m, unsigned int seq, char kind) __hidden;
int tsync_marker_collect(struct tsync_marker_clock *m, unsigned int first, int count,
			 const char *kinds, long long **stamps) __hidden;
int tsync_marker_collect_probes(struct tsync_marker_clock *m, unsigned int first,
				long long *sent, long long *received, int count) __hidden;
void tsync_marker_close(struct tsync_marker_clock *m) __hidden;

/* ---- time-shift-arrays.c: a session's samples in trace-cmd's arrays ---- */
int tsync_arrays_publish(struct clock_sync_context *ctx, struct tsync_samples *cpus) __hidden;
void tsync_arrays_borrowed(const char *proto, const struct tsync_samples *cpus, int nr) __hidden;

/* ---- msg.c: typed time-sync messages over trace-cmd's connection ---- */
int tsync_msg_send(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int cmd, const void *payload, unsigned int size) __hidden;
int tsync_msg_recv(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int *cmd, void *payload, unsigned int *size) __hidden;
void tsync_msg_wait(struct tracecmd_time_sync *tsync) __hidden;
void tsync_msg_timeout(struct tracecmd_time_sync *tsync, int ms) __hidden;
const char *tsync_msg_peer(struct tracecmd_time_sync *tsync, char *buf, size_t size) __hidden;

/*
 * Tests only (tests/helpers/hostile-peer.c): corrupts what this side sends,
 * as TSYNC_FAULT says.  Production builds contain none of it.
 */
#ifdef TSYNC_FAULT_INJECTION
void tsync_fault_inject(const char *proto, unsigned int *cmd, const void **payload,
			unsigned int *size) __hidden;
#else
static inline void tsync_fault_inject(const char *proto, unsigned int *cmd,
				      const void **payload, unsigned int *size)
{
	(void)proto, (void)cmd, (void)payload, (void)size;
}
#endif

/* How long the host waits for one answer of the guest */
#define TSYNC_ANSWER_MS		5000

/* ---- nodelay.c: TCP_NODELAY on trace-cmd's connections ---- */
void tsync_nodelay_enable(void) __hidden;

/* ---- peer-conns.c: the TCP connections of record -A and its recorders ---- */
#define TSYNC_CONNS_MAX		1024

struct tcp_info;

struct tsync_conn {
	_Atomic int		ready;	/* set last: the entry is whole */
	int			pid;	/* the process that holds fd */
	int			fd;
	unsigned long		ino;	/* its socket's: fd may be reused */
	struct sockaddr_storage	peer;
};

int tsync_conns_open(void) __hidden;
struct tsync_conn *tsync_conns_add(int fd) __hidden;
struct tsync_conn *tsync_conns_get(int i) __hidden;
int tsync_conns_info(const struct tsync_conn *c, struct tcp_info *info) __hidden;
bool tsync_conns_unread(const struct tsync_conn *c) __hidden;
void tsync_conns_cut(const struct tsync_conn *c) __hidden;
const struct tsync_conn *tsync_conns_control(int fd) __hidden;
bool tsync_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
		     bool port) __hidden;

/* ---- peer-watch.c: guests that stop answering do not hold record ---- */
void tsync_watch_arm(int timeout_s) __hidden;
void tsync_watch_connected(int fd) __hidden;

/* ---- kvm-debugfs.c: the VM and its vCPUs under debugfs ---- */
struct tsync_kvm_vm {
	char	dir[4096];	/* <debugfs>/kvm/<pid>-<fd> */
	int	pid;
	int	nr_vcpus;
	int	*vcpu_ids;	/* ascending */
	const char *found_by;	/* trace-cmd's pid, --tsync-vm or the only VM */
};

int tsync_kvm_vm_find(int guest_pid, const char *spec, struct tsync_kvm_vm *vm) __hidden;
void tsync_kvm_vm_release(struct tsync_kvm_vm *vm) __hidden;
int tsync_kvm_read_tsc(const struct tsync_kvm_vm *vm, int vcpu_id, struct tsync_tsc *tsc) __hidden;
int tsync_kvm_host_vms(char *why, size_t size) __hidden;

/* ---- hypervisor.c: a guest of another hypervisor than KVM ---- */
const char *tsync_other_hypervisor(char sig[13]) __hidden;

/* ---- guest-vm.c: the VM --tsync-vm named for a session's guest ---- */
int tsync_guest_vm(struct tracecmd_time_sync *tsync, const char **vm, char *buf,
		   size_t size) __hidden;

/* ---- kvm-offset-events.c: offset writes followed while the trace runs ---- */
struct tsync_kvm_events {
	char				dir[4096];	/* tracefs instance */
	int				fd;		/* its trace_pipe */
	int				tgid;		/* the VM's process */
	struct tsync_offset_write	*changes;	/* read, not yet applied */
	int				nr_changes;
	long				size;		/* capacity of changes */
	char				buf[1024];	/* a partial line */
	size_t				len;
};

int tsync_kvm_events_open(struct tsync_kvm_events *ev, int tgid) __hidden;
int tsync_kvm_events_read(struct tsync_kvm_events *ev) __hidden;
void tsync_kvm_events_close(struct tsync_kvm_events *ev) __hidden;

/* ---- cpu-spread.c: a guest's CPU clocks against CPU 0's, measured in the guest ---- */
int tsync_cpu_spread(const struct tsync_clock *clock, struct tsync_marker_clock *marker,
		     int nr_cpus, long long *lower, long long *upper) __hidden;

/* ---- handover.c: a tsync-kvm.2 session that goes on as tsync-ptp ---- */
int tsync_handover_to_ptp(struct tracecmd_time_sync *tsync) __hidden;
bool tsync_handed_over(const struct tracecmd_time_sync *tsync) __hidden;

/* ---- ptp.c and kvm.c: the protocols, and their peer-message decoders ---- */
int tsync_ptp_take_pairs(const void *msg, unsigned int size, int got, int n,
			 long long *first, long long *second) __hidden;
int tsync_kvm_take_info(void *msg, unsigned int size, unsigned int cpu) __hidden;
#define TSYNC_KVM_INFO_MAX	(16 + 4096 * 4)

int tsync_ptp_start(struct tracecmd_time_sync *tsync) __hidden;
int tsync_ptp_calc(struct tracecmd_time_sync *tsync, long long *offset, long long *scaling,
		   long long *frac, long long *timestamp, unsigned int cpu) __hidden;
int tsync_ptp_register(unsigned int roles) __hidden;
int tsync_kvm_register(unsigned int roles) __hidden;

#endif /* _TSYNC_PLUGIN_H */
