/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * tsync's core: what both front ends share, the plugin inside trace-cmd
 * and the offline tool on files.  Pure code over tsync's own types: it
 * knows no socket, no file and none of trace-cmd's private structures
 * (those stay in tracecmd-abi.h, which only the plugin includes).  Built
 * once as libtsync-core.a; tests/unit/ tests it as it ships.
 */
#ifndef _TSYNC_CORE_H
#define _TSYNC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define __hidden __attribute__((visibility("hidden")))

/*
 * trace-cmd negotiates a time-sync protocol by name alone, so a name stands
 * for one version of a protocol's messages: these names are version 1 of
 * each, as tsync's first releases spoke them.  A change to the messages is a
 * new name ("tsync-ptp.2"), registered beside the old ones with a better
 * accuracy, so that two releases settle on the newest version both speak
 * (Documentation/tsync-wire.7.txt).
 */
#define TSYNC_PTP_NAME		"tsync-ptp"
/* Version 2: the guest measures its CPUs' clocks against CPU 0's itself */
#define TSYNC_PTP2_NAME		"tsync-ptp.2"
#define TSYNC_PTP_WIRE		2
#define TSYNC_KVM_NAME		"tsync-kvm"
/* Version 2: a host that cannot sync with tsync-kvm hands over to tsync-ptp */
#define TSYNC_KVM2_NAME		"tsync-kvm.2"
#define TSYNC_KVM_WIRE		2
/* A protocol's name with its NUL: trace-cmd's limit (tracecmd-abi.h checks) */
#define TSYNC_PROTO_NAME_MAX	16

/*
 * TIME_SHIFT flags of tsync's protocols.  Bit 0 is trace-cmd's interpolate
 * flag; report ignores the others, so bit 31 marks a TIME_SHIFT written by
 * tsync and bits 24-27 name the protocol.  `trace-cmd dump --options` shows
 * them as "[peer's protocol flags]".
 */
#define TSYNC_FLAG_INTERPOLATE	0x1u
#define TSYNC_FLAG_MARK		0x80000000u
#define TSYNC_FLAG_KVM		(TSYNC_FLAG_MARK | (1u << 24))
#define TSYNC_FLAG_PTP		(TSYNC_FLAG_MARK | (2u << 24))

/* More guest CPUs than any VM has: bigger counts from peers and files are refused */
#define TSYNC_MAX_CPUS		65536

/* ---- array.c: arrays that double as their elements arrive ---- */
int tsync_array_room(void *array, long *size, long nr, size_t elem, long first) __hidden;

/* ---- log.c: one-line messages on stderr ---- */
void tsync_err(const char *fmt, ...) __attribute__((format(printf, 1, 2))) __hidden;
void tsync_info(const char *fmt, ...) __attribute__((format(printf, 1, 2))) __hidden;
void tsync_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2))) __hidden;
/* tsync_debug() prints only when a front end sets this */
extern bool tsync_log_verbose __hidden;

/* ---- number.c: strict decimal numbers (debugfs files, command lines) ---- */
int tsync_parse_number(const char *buf, size_t len, bool is_signed, long long *val) __hidden;

/* ---- samples.c: one guest CPU's TIME_SHIFT samples, in guest time order ---- */
struct tsync_sample {
	long long	guest_ts;	/* guest clock at the sample */
	long long	offset;		/* host = (guest * scaling >> frac) + offset */
	long long	scaling;
	long long	frac;
};

struct tsync_samples {
	struct tsync_sample	*at;
	int			nr;
	long			size;		/* room in @at */
	int			dirty;		/* first sample changed since tsync_samples_clean() */
};

int tsync_samples_add(struct tsync_samples *ss, const struct tsync_sample *s) __hidden;
int tsync_samples_drop_from(struct tsync_samples *ss, unsigned long long start) __hidden;
void tsync_samples_clean(struct tsync_samples *ss) __hidden;
void tsync_samples_free(struct tsync_samples *ss) __hidden;
void tsync_samples_free_cpus(struct tsync_samples *cpus, int nr) __hidden;
long long tsync_sample_offset(const struct tsync_sample *s) __hidden;
bool tsync_sample_offset_fits(const struct tsync_sample *s) __hidden;

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
unsigned long long tsync_tsc_sample_time_before(const struct tsync_tsc *tsc,
						unsigned long long guest) __hidden;
unsigned long long tsync_tsc_step(const struct tsync_tsc *tsc) __hidden;
const char *tsync_tsc_inexact(const struct tsync_tsc *tsc, unsigned long long first,
			      unsigned long long last) __hidden;
unsigned long long tsync_tsc_handover(const struct tsync_tsc *old, const struct tsync_tsc *next,
				      unsigned long long host,
				      unsigned long long *old_end) __hidden;

/* ---- offset-write.c: one kvm_write_tsc_offset event ---- */
struct tsync_offset_write {
	unsigned long long	host_ts;	/* host TSC of the write */
	long long		prev, next;	/* the offsets before and after */
	int			vcpu;		/* vcpu_id */
};

int tsync_offset_write_parse(const char *line, int *tgid,
			     struct tsync_offset_write *w) __hidden;
void tsync_offset_writes_sort(struct tsync_offset_write *w, int nr) __hidden;

/* ---- kvm-timeline.c: a guest CPU's samples through its vCPU's offset writes ---- */
struct tsync_kvm_timeline {
	struct tsync_tsc	tsc;		/* in force at the last sample */
	struct tsync_samples	*samples;	/* where its samples go */
};

void tsync_timeline_init(struct tsync_kvm_timeline *tl, const struct tsync_tsc *tsc,
			 struct tsync_samples *samples) __hidden;
int tsync_timeline_start(struct tsync_kvm_timeline *tl, unsigned long long guest) __hidden;
int tsync_timeline_lay_until(struct tsync_kvm_timeline *tl, unsigned long long end,
			     bool exact) __hidden;
int tsync_timeline_write(struct tsync_kvm_timeline *tl, const struct tsync_offset_write *w) __hidden;

/* ---- kvm-map.c: which vCPU each guest CPU runs on ---- */
bool tsync_kvm_by_apic(const uint32_t *apic, int nr_apic, int nr_cpus, const int *vcpu_ids,
		       int nr_vcpus) __hidden;
int tsync_kvm_map(const uint32_t *apic, int nr_apic, int nr_cpus, const int *vcpu_ids,
		  int nr_vcpus, int *vcpu_of) __hidden;

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
int tsync_ptp_spread(const struct tsync_estimate *base, long long lower, long long upper,
		     struct tsync_estimate *est) __hidden;

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
long long tsync_ptp_usual_width(const struct tsync_ptp_history *h) __hidden;
bool tsync_ptp_as_usual(unsigned long long width, long long usual) __hidden;
int tsync_ptp_next_round(const struct tsync_probe *probes, int count, long long usual,
			 int least, int most) __hidden;
unsigned int tsync_ptp_known(const struct tsync_ptp_history *h, long long host_ms) __hidden;

/* ---- sync-record.c: a sync point's estimate, on the wire and as a trace line ---- */
struct tsync_sync_record {
	unsigned int	cpu;		/* guest CPU */
	long long	guest_ts;	/* the sample's guest time */
	long long	offset;		/* the sample's host - guest */
	long long	bound;		/* proven error bound; -1: none */
};

#define TSYNC_RECORD_SIZE	28	/* on the wire */
#define TSYNC_RECORD_LINE	160	/* longest line, with its NUL */
/* How a record's line starts in the guest's trace */
#define TSYNC_RECORD_PREFIX	"tsync-sync:"

void tsync_record_encode(const struct tsync_sync_record *r, void *buf) __hidden;
int tsync_record_decode(const void *buf, unsigned int size, unsigned int cpu,
			struct tsync_sync_record *r) __hidden;
int tsync_record_line(char *buf, size_t size, const char *proto,
		      const struct tsync_sync_record *r) __hidden;
int tsync_record_parse(const char *text, size_t len, char proto[TSYNC_PROTO_NAME_MAX],
		       struct tsync_sync_record *r) __hidden;
struct tsync_time_shift;
bool tsync_record_is_sample(const struct tsync_time_shift *ts,
			    const struct tsync_sync_record *r) __hidden;

/* ---- time-shift.c: the TIME_SHIFT option's payload ---- */
struct tsync_time_shift {
	unsigned long long	peer_trace_id;	/* the host's trace id */
	unsigned int		flags;
	int			cpu_count;
	struct tsync_samples	*cpus;		/* cpu_count entries */
};

int tsync_time_shift_decode(const void *buf, size_t size, bool big_endian,
			    struct tsync_time_shift *ts, const char **why) __hidden;
size_t tsync_time_shift_size(const struct tsync_time_shift *ts) __hidden;
int tsync_time_shift_encode(const struct tsync_time_shift *ts, bool big_endian,
			    void *buf, size_t size, const char **why) __hidden;
int tsync_time_shift_alloc(struct tsync_time_shift *ts, int cpu_count) __hidden;
void tsync_time_shift_free(struct tsync_time_shift *ts) __hidden;
unsigned long long tsync_get_number(const void *p, int bytes, bool big_endian) __hidden;
void tsync_put_number(void *p, int bytes, unsigned long long val, bool big_endian) __hidden;

/* ---- report-time.c: guest time to host time as report computes it, and back ---- */
unsigned long long tsync_report_host_time(const struct tsync_sample *s, int n,
					  bool interpolate, unsigned long long ts) __hidden;
unsigned long long tsync_report_guest_time(const struct tsync_sample *s, int n,
					   bool interpolate, unsigned long long host) __hidden;

/* ---- sync-stats.c: what a CPU's samples say ---- */
struct tsync_sync_stats {
	int			samples;
	long long		first_ts, last_ts;	/* guest clock */
	unsigned long long	span;			/* last_ts - first_ts */
	long long		min_offset, max_offset;	/* host - guest at the samples */
	double			drift_ppm;	/* least-squares slope of the offset */
	double			fit_first;	/* that line at at[0], less at[0]'s offset */
	double			jitter;		/* RMS distance from that line */
};

void tsync_sync_stats(const struct tsync_samples *cpu, struct tsync_sync_stats *st) __hidden;

/* ---- plot-axes.c: a sync's picture in seconds and ns or us ---- */
struct tsync_plot_axes {
	long long	start;		/* guest time at x = 0: the trace's start */
	double		unit_ns;	/* one trace clock unit in ns; 0: not known */
	const char	*x_unit;	/* "s", or "clock units" */
	const char	*y_unit;	/* "ns", "us", or "clock units" */
	double		x_scale;	/* x per clock unit */
	double		y_scale;	/* y per clock unit */
	double		reach;		/* the largest distance from a first offset */
};

void tsync_plot_axes_init(struct tsync_plot_axes *ax, long long start, double unit_ns) __hidden;
void tsync_plot_axes_reach(struct tsync_plot_axes *ax, long long offset, long long first,
			   long long bound) __hidden;
void tsync_plot_axes_done(struct tsync_plot_axes *ax) __hidden;
double tsync_plot_x(const struct tsync_plot_axes *ax, long long guest_ts) __hidden;
double tsync_plot_y(const struct tsync_plot_axes *ax, long long offset, long long first) __hidden;
double tsync_plot_fit_y(const struct tsync_plot_axes *ax, const struct tsync_sync_stats *st,
			long long first_ts, long long guest_ts) __hidden;

/* ---- peer-silence.c: when the host has waited too long on a guest ---- */
/* A look at a guest's connections; times in ms */
struct tsync_peer_look {
	long long		now;		/* a monotonic clock */
	unsigned long long	sent;		/* new bytes of the host's, control connection */
	unsigned long long	received;	/* the guest's bytes there */
	long long		sent_ago;	/* since the host's last bytes there */
	long long		received_ago;	/* since the guest's last bytes there */
	long long		heard_ago;	/* since its last bytes on any connection */
	bool			starting;	/* no data connection yet: the host waits */
	bool			unread;		/* its bytes wait for the host to read them */
};

/* The host's wait on a guest, look after look */
struct tsync_peer_wait {
	unsigned long long	sent, received;	/* at the last look */
	long long		asked;		/* the unanswered request's time; -1: none */
	long long		heard;		/* the guest's last bytes' */
	bool			starting;	/* at the last look */
};

enum tsync_peer_verdict {
	TSYNC_PEER_OWES_NOTHING,	/* the host waits for nothing from it */
	TSYNC_PEER_ANSWERING,		/* owes an answer, not silent for long */
	TSYNC_PEER_SILENT,		/* owes an answer, silent past the bound */
};

/* Data without an answer holds the host at most this many bounds */
#define TSYNC_PEER_MAX_BOUNDS	4

/* What the host saw of a silent guest, for the message */
struct tsync_peer_facts {
	bool		answered_once;	/* on the control connection */
	bool		starting;	/* before its data connections */
	bool		sending_data;	/* heard from more recently than asked */
	bool		unacknowledged;	/* the host's bytes wait for its TCP stack's ack */
};

void tsync_peer_wait_init(struct tsync_peer_wait *w) __hidden;
enum tsync_peer_verdict tsync_peer_look(struct tsync_peer_wait *w, const struct tsync_peer_look *l,
					long long bound_ms, long long *silent_ms) __hidden;
int tsync_peer_describe(char *buf, size_t size, const char *name,
			const struct tsync_peer_facts *facts, long long silent_ms) __hidden;

#endif /* _TSYNC_CORE_H */
