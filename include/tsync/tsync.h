/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * tsync's internal interface: the pieces the plugin's files share.
 *
 * The math (estimators, TSC arithmetic) is pure and has no I/O, so the unit
 * tests link it alone.  Everything here is hidden from the plugin's users.
 */
#ifndef _TSYNC_H
#define _TSYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "tracecmd-abi.h"

#define __hidden __attribute__((visibility("hidden")))

#define TSYNC_PTP_NAME		"tsync-ptp"
#define TSYNC_KVM_NAME		"tsync-kvm"

/*
 * TIME_SHIFT flags of tsync's protocols.  Bit 0 is trace-cmd's interpolate
 * flag; report ignores the others, so bit 31 marks a TIME_SHIFT written by
 * tsync and bits 24-27 name the protocol.  `trace-cmd dump --options` shows
 * them as "[peer's protocol flags]".
 */
#define TSYNC_FLAG_MARK		0x80000000u
#define TSYNC_FLAG_KVM		(TSYNC_FLAG_MARK | (1u << 24))
#define TSYNC_FLAG_PTP		(TSYNC_FLAG_MARK | (2u << 24))

/* ---- array.c: arrays that double as their elements arrive ---- */
int tsync_array_room(void *array, long *size, long nr, size_t elem, long first) __hidden;

/* ---- log.c: one-line messages on stderr: "tsync: error: ", or "tsync: " ---- */
void tsync_err(const char *fmt, ...) __attribute__((format(printf, 1, 2))) __hidden;
void tsync_info(const char *fmt, ...) __attribute__((format(printf, 1, 2))) __hidden;
void tsync_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2))) __hidden;

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
	const char		*debugfs;	/* where kvm/ lives */
	const char		*tracefs;
	bool			verbose;
};

int tsync_config_load(struct tsync_config *cfg) __hidden;
extern struct tsync_config tsync_cfg __hidden;

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

/* ---- clock-marker.c: other clocks, from trace markers read back ---- */
struct tep_handle;

struct tsync_marker_clock {
	struct tracefs_instance	*instance;	/* whose clock is the trace clock */
	struct tep_handle	*tep;
	int			fd;		/* its trace_marker */
};

bool tsync_marker_available(void) __hidden;
int tsync_marker_open(struct tsync_marker_clock *m, struct tracefs_instance *instance,
		      const char *clock) __hidden;
int tsync_marker_write(struct tsync_marker_clock *m, unsigned int seq, char kind) __hidden;
int tsync_marker_collect(struct tsync_marker_clock *m, unsigned int first, long long *sent,
			 long long *received, int count) __hidden;
void tsync_marker_close(struct tsync_marker_clock *m) __hidden;

/* ---- samples.c: TIME_SHIFT samples kept in trace-cmd's arrays ---- */
struct tsync_sample {
	long long	guest_ts;	/* guest clock at the sample */
	long long	offset;		/* host = (guest * scaling >> frac) + offset */
	long long	scaling;
	long long	frac;
};

int tsync_samples_add(struct clock_sync_context *ctx, int cpu,
		      const struct tsync_sample *sample) __hidden;
void tsync_samples_equalize(struct clock_sync_context *ctx) __hidden;
int tsync_samples_drop_from(struct clock_sync_context *ctx, int cpu,
			    unsigned long long start) __hidden;

/* ---- msg.c: typed time-sync messages over trace-cmd's connection ---- */
int tsync_msg_send(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int cmd, const void *payload, unsigned int size) __hidden;
int tsync_msg_recv(struct tracecmd_time_sync *tsync, const char *proto,
		   unsigned int *cmd, void *payload, unsigned int *size) __hidden;
void tsync_msg_wait(struct tracecmd_time_sync *tsync) __hidden;
void tsync_msg_timeout(struct tracecmd_time_sync *tsync, int ms) __hidden;

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

/* ---- ptp-estimator.c: offset of a guest clock from PTP-like probes ---- */
struct tsync_probe {
	long long	host_send;	/* t1: host clock before the request */
	long long	guest_recv;	/* t2: guest clock when it arrived */
	long long	guest_send;	/* t3: guest clock before the reply */
	long long	host_recv;	/* t4: host clock when the reply arrived */
};

struct tsync_estimate {
	long long	guest_ts;	/* guest time the estimate holds for */
	long long	offset;		/* host - guest */
	long long	bound;		/* |true offset - offset| <= bound */
	long long	lower, upper;	/* the offset's interval, when bounded */
	long long	fastest;	/* middle of the fastest probe's interval */
	long long	host_ms;	/* host's monotonic clock then, in ms */
	int		used;		/* probes that decided the estimate */
	bool		bounded;	/* bound is proven by causality */
	bool		fitted;		/* offset from the session's fit */
};

int tsync_ptp_estimate(const struct tsync_probe *probes, int count,
		       struct tsync_estimate *est) __hidden;
bool tsync_ptp_bounds(const struct tsync_probe *p, long long *lower,
		      long long *upper) __hidden;

/* ---- ptp-fit.c: a session's sync points, fitted by a robust line ---- */
#define TSYNC_PTP_WIDTHS	8	/* interval widths remembered */
#define TSYNC_PTP_WINDOW	16	/* middles the offset is the median of */
#define TSYNC_PTP_BLOCK		8	/* sync points per point of the slope fit */
#define TSYNC_PTP_BLOCKS	16	/* points of the slope fit */
#define TSYNC_PTP_STALE_MS	1000	/* age of a middle no slope carries */

struct tsync_ptp_point {
	long long	ts;		/* guest time */
	long long	offset;		/* host - guest */
	long long	host_ms;	/* when it was taken */
};

/* Rings: nr_* counts every entry ever kept, modulo the ring's size */
struct tsync_ptp_history {
	long long		width[TSYNC_PTP_WIDTHS];
	unsigned int		nr_width;
	struct tsync_ptp_point	window[TSYNC_PTP_WINDOW];
	unsigned int		nr_window;
	struct tsync_ptp_point	pending[TSYNC_PTP_BLOCK];	/* the open block */
	unsigned int		nr_pending;
	struct tsync_ptp_point	block[TSYNC_PTP_BLOCKS];	/* medians of blocks */
	unsigned int		nr_block;
	int			missed;		/* fits outside the interval in a row */
};

void tsync_ptp_refine(struct tsync_ptp_history *h, struct tsync_estimate *est) __hidden;
long long tsync_ptp_slope(const struct tsync_ptp_history *h) __hidden;
long long tsync_ptp_narrowest(const struct tsync_ptp_history *h) __hidden;
unsigned int tsync_ptp_known(const struct tsync_ptp_history *h, long long host_ms) __hidden;

/* ---- sync-record.c: a sync point's estimate, kept in the guest's trace ---- */
struct tsync_sync_record {
	unsigned int	cpu;		/* guest CPU */
	long long	guest_ts;	/* the sample's guest time */
	long long	offset;		/* the sample's host - guest */
	long long	bound;		/* proven error bound; -1: none */
};

#define TSYNC_RECORD_SIZE	28	/* on the wire */
#define TSYNC_RECORD_LINE	160	/* longest line, with its NUL */

void tsync_record_encode(const struct tsync_sync_record *r, void *buf) __hidden;
int tsync_record_decode(const void *buf, unsigned int size, unsigned int cpu,
			struct tsync_sync_record *r) __hidden;
int tsync_record_line(char *buf, size_t size, const char *proto,
		      const struct tsync_sync_record *r) __hidden;

/* ---- tsc-math.c: KVM's TSC arithmetic, inverted into samples ---- */
struct tsync_tsc {
	long long		offset;		/* guest = (host * ratio >> frac) + offset */
	unsigned long long	ratio;
	unsigned int		frac;
};

bool tsync_tsc_valid(const struct tsync_tsc *tsc) __hidden;
bool tsync_tsc_scaled(const struct tsync_tsc *tsc) __hidden;
unsigned long long tsync_tsc_guest(const struct tsync_tsc *tsc,
				   unsigned long long host) __hidden;
unsigned long long tsync_tsc_host(const struct tsync_tsc *tsc,
				  unsigned long long guest) __hidden;
struct tsync_sample tsync_tsc_sample(const struct tsync_tsc *tsc,
				     unsigned long long guest) __hidden;
unsigned long long tsync_tsc_sample_time(const struct tsync_tsc *tsc,
					 unsigned long long guest) __hidden;
unsigned long long tsync_tsc_step(const struct tsync_tsc *tsc) __hidden;
const char *tsync_tsc_inexact(const struct tsync_tsc *tsc, unsigned long long first,
			      unsigned long long last) __hidden;
unsigned long long tsync_tsc_handover(const struct tsync_tsc *old, const struct tsync_tsc *next,
				      unsigned long long host,
				      unsigned long long *old_end) __hidden;

/* ---- number.c: strict decimal numbers (debugfs files, command lines) ---- */
int tsync_parse_number(const char *buf, size_t len, bool is_signed, long long *val) __hidden;

/* ---- kvm-debugfs.c: the VM and its vCPUs under debugfs ---- */
struct tsync_kvm_vm {
	char	dir[4096];	/* <debugfs>/kvm/<pid>-<fd> */
	int	pid;
	int	nr_vcpus;
	int	*vcpu_ids;	/* ascending */
};

int tsync_kvm_vm_find(int guest_pid, struct tsync_kvm_vm *vm) __hidden;
void tsync_kvm_vm_release(struct tsync_kvm_vm *vm) __hidden;
int tsync_kvm_read_tsc(const struct tsync_kvm_vm *vm, int vcpu_id, struct tsync_tsc *tsc) __hidden;
bool tsync_kvm_host_has_vms(void) __hidden;

/* ---- kvm-offset-events.c: offset changes from kvm_write_tsc_offset ---- */
struct tsync_kvm_change {
	unsigned long long	host_ts;	/* host TSC of the write */
	long long		offset;		/* the new offset */
	int			vcpu;		/* vcpu id */
};

struct tsync_kvm_events {
	char			dir[4096];	/* tracefs instance */
	int			fd;		/* its trace_pipe */
	int			tgid;		/* the VM's process */
	struct tsync_kvm_change	*changes;	/* read, not yet applied */
	int			nr_changes;
	long			size;		/* capacity of changes */
	char			buf[1024];	/* a partial line */
	size_t			len;
};

int tsync_kvm_parse_event(const char *line, int *tgid,
			  struct tsync_kvm_change *change) __hidden;
int tsync_kvm_events_open(struct tsync_kvm_events *ev, int tgid) __hidden;
int tsync_kvm_events_read(struct tsync_kvm_events *ev) __hidden;
void tsync_kvm_events_close(struct tsync_kvm_events *ev) __hidden;

/* ---- ptp.c and kvm.c: the protocols, and their peer-message decoders ---- */
int tsync_ptp_take_results(const void *msg, unsigned int size, int got, int n,
			   struct tsync_probe *probes) __hidden;
int tsync_kvm_take_info(void *msg, unsigned int size, unsigned int cpu) __hidden;
bool tsync_kvm_by_apic(const void *info, int nr_cpus, const int *vcpu_ids,
		       int nr_vcpus) __hidden;
#define TSYNC_KVM_INFO_MAX	(16 + 4096 * 4)

int tsync_ptp_register(unsigned int roles) __hidden;
int tsync_kvm_register(unsigned int roles) __hidden;

#endif /* _TSYNC_H */
