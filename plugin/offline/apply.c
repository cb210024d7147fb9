// SPDX-License-Identifier: LGPL-2.1
/*
 * tsync-offline apply: a TIME_SHIFT option for a guest file recorded on its
 * own, from the KVM TSC parameters of its vCPUs (dmesg, a kprobe, debugfs)
 * or from the kvm_write_tsc_offset events of a host trace (the offset in
 * force at each moment), turned into samples by tsc-math.c as tsync-kvm
 * lays them, and linked to the host's trace id so that report pairs the
 * two files.  With --vcpu-threads, the other way round: a host file's
 * GUEST option gets the host thread of each vCPU (guest-option.c).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"
#include "tsync/vm-process.h"

/* One value per vCPU: a default and those given as VCPU=VALUE */
struct per_vcpu {
	long long	all;
	bool		has_all;
	long long	*one;
	bool		*has_one;
	int		nr;
};

/* A list of numbers: --vcpus, --apic-ids */
struct id_list {
	int		*id;
	uint32_t	*u;		/* the same, for the core's APIC ids */
	int		nr;
};

struct apply_args {
	const char		*guest;
	const char		*out;
	const char		*host;
	const char		*events;	/* host trace with offset writes */
	const char		*vm;		/* --vcpu-threads: the VM, GUEST.dat a host file */
	const char		*guest_name;	/* --guest: its GUEST option */
	unsigned long long	host_id;
	bool			has_host_id;
	bool			in_place;
	struct per_vcpu		offset, ratio, frac;
	struct id_list		vcpus, apic;
};

/* "0,1,2": at most TSYNC_MAX_CPUS ids, each below it */
static int set_list(struct id_list *l, const char *name, const char *arg)
{
	const char *p = arg, *comma;
	long long val;

	free(l->id);
	free(l->u);
	l->nr = 0;
	l->id = calloc(TSYNC_MAX_CPUS, sizeof(*l->id));
	l->u = calloc(TSYNC_MAX_CPUS, sizeof(*l->u));
	if (!l->id || !l->u)
		return -1;
	for (;;) {
		comma = strchr(p, ',');
		if (l->nr == TSYNC_MAX_CPUS ||
		    tsync_parse_number(p, comma ? (size_t)(comma - p) : strlen(p), false, &val) ||
		    val >= TSYNC_MAX_CPUS) {
			tsync_err("--%s %s: expected ID[,ID...], each below %d", name, arg,
				  TSYNC_MAX_CPUS);
			return -1;
		}
		l->id[l->nr] = (int)val;
		l->u[l->nr++] = (uint32_t)val;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int set_value(struct per_vcpu *v, const char *name, const char *arg, bool is_signed)
{
	const char *eq = strchr(arg, '='), *num = eq ? eq + 1 : arg;
	long long val, vcpu = -1;

	if ((eq && tsync_parse_number(arg, eq - arg, false, &vcpu)) ||
	    (eq && (vcpu < 0 || vcpu >= TSYNC_MAX_CPUS)) ||
	    tsync_parse_number(num, strlen(num), is_signed, &val)) {
		tsync_err("apply: --%s %s: expected [VCPU=]NUMBER", name, arg);
		return -1;
	}
	if (!eq) {
		v->all = val;
		v->has_all = true;
		return 0;
	}
	if (vcpu >= v->nr) {
		long long *one = realloc(v->one, (vcpu + 1) * sizeof(*one));
		bool *has = realloc(v->has_one, (vcpu + 1) * sizeof(*has));

		if (one)
			v->one = one;
		if (has)
			v->has_one = has;
		if (!one || !has)
			return -1;
		memset(has + v->nr, 0, (vcpu + 1 - v->nr) * sizeof(*has));
		v->nr = vcpu + 1;
	}
	v->one[vcpu] = val;
	v->has_one[vcpu] = true;
	return 0;
}

/* @v's value for @vcpu; @dflt when none is given */
static bool get_value(const struct per_vcpu *v, int vcpu, long long dflt, long long *val)
{
	if (vcpu < v->nr && v->has_one[vcpu])
		*val = v->one[vcpu];
	else if (v->has_all)
		*val = v->all;
	else {
		*val = dflt;
		return false;
	}
	return true;
}

/*
 * @first: the vCPU's first offset write, which says the offset before it;
 * @from, @to: the trace's guest times, where the samples must be exact.
 * Returns 0, or the exit status after naming what is missing or wrong:
 * TSYNC_EXIT_USAGE for the options, TSYNC_EXIT_FAILED for the events.
 */
static int vcpu_tsc(const struct apply_args *a, int vcpu, const struct tsync_offset_write *first,
		    unsigned long long from, unsigned long long to, struct tsync_tsc *tsc)
{
	long long offset, ratio, frac;
	bool from_events = false;
	const char *why;

	/* a value for this vCPU, else what its first write replaced, else one for all */
	if (vcpu < a->offset.nr && a->offset.has_one[vcpu]) {
		offset = a->offset.one[vcpu];
	} else if (first) {
		offset = first->prev;
		from_events = true;
	} else if (!get_value(&a->offset, vcpu, 0, &offset)) {
		tsync_err("apply: no --tsc-offset for vCPU %d%s", vcpu,
			  a->events ? ", and no kvm_write_tsc_offset event" : "");
		return TSYNC_EXIT_USAGE;
	}
	get_value(&a->frac, vcpu, 0, &frac);
	if (frac < 0 || frac > 63) {
		tsync_err("apply: vCPU %d: --tsc-frac %llu: expected 0 to 63", vcpu,
			  (unsigned long long)frac);
		return TSYNC_EXIT_USAGE;
	}
	get_value(&a->ratio, vcpu, (long long)(1ULL << frac), &ratio);
	*tsc = (struct tsync_tsc){ offset, (unsigned long long)ratio, (unsigned int)frac };
	why = tsync_tsc_inexact(tsc, from, to);
	if (!why)
		return 0;
	if (!from_events || !tsync_tsc_valid(tsc)) {
		tsync_err("apply: vCPU %d: --tsc-offset %lld --tsc-ratio %llu --tsc-frac %u: %s",
			  vcpu, tsc->offset, tsc->ratio, tsc->frac, why);
		return TSYNC_EXIT_USAGE;
	}
	tsync_err("%s: vCPU %d: offset %lld before its first kvm_write_tsc_offset, ratio %llu, "
		  "%u fraction bits: %s", a->events, vcpu, tsc->offset, tsc->ratio, tsc->frac, why);
	return TSYNC_EXIT_FAILED;
}

static const struct tsync_offset_write *first_write(const struct tsync_offset_write *w, int nr,
						    int vcpu)
{
	int i;

	for (i = 0; i < nr; i++)
		if (w[i].vcpu == vcpu)
			return &w[i];
	return NULL;
}

static int host_trace_id(const struct apply_args *a, unsigned long long *id)
{
	struct tsync_trace_file host;

	if (a->has_host_id) {
		*id = a->host_id;
		return 0;
	}
	if (tsync_trace_open(&host, a->host ? a->host : a->events))
		return -1;
	*id = tracecmd_get_traceid(host.in);
	tsync_trace_close(&host);
	return 0;
}

static int read_writes(const struct apply_args *a, struct tsync_offset_write **w, int *nr)
{
	struct tsync_trace_file host;
	int ret;

	*w = NULL;
	*nr = 0;
	if (!a->events)
		return 0;
	if (tsync_trace_open(&host, a->events))
		return -1;
	ret = tsync_read_offset_writes(&host, w, nr);
	tsync_trace_close(&host);
	return ret;
}

/*
 * The vCPU of each guest CPU, as tsync-kvm maps them (kvm-map.c): by the
 * guest's APIC ids (--apic-ids) when they name the VM's vCPUs, else by rank
 * among the VM's vCPU ids (--vcpus; by default 0 to the guest's CPUs - 1).
 */
static int *map_vcpus(const struct apply_args *a, int nr_cpus)
{
	int *vcpu_of = calloc(nr_cpus, sizeof(*vcpu_of)), *ids = a->vcpus.id;
	int i, nr_ids = a->vcpus.nr;
	int *identity = NULL;

	if (!vcpu_of)
		return NULL;
	if (!nr_ids) {
		identity = calloc(nr_cpus, sizeof(*identity));
		if (!identity) {
			free(vcpu_of);
			return NULL;
		}
		for (i = 0; i < nr_cpus; i++)
			identity[i] = i;
		ids = identity;
		nr_ids = nr_cpus;
	}
	if (tsync_kvm_map(a->apic.u, a->apic.nr, nr_cpus, ids, nr_ids, vcpu_of) < 0) {
		tsync_err("%s: %d CPUs, but --vcpus names %d vCPUs", a->guest, nr_cpus, nr_ids);
		free(vcpu_of);
		vcpu_of = NULL;
	}
	free(identity);
	return vcpu_of;
}

/*
 * One guest CPU's samples through its vCPU's offset writes, as tsync-kvm
 * lays them (kvm-timeline.c), from at or before the file's first event to
 * at or after its last: report never extrapolates.  Returns 0 or the exit
 * status, after saying why.
 */
static int lay_cpu(const struct apply_args *a, struct tsync_samples *samples, int vcpu,
		   const struct tsync_offset_write *w, int nr, unsigned long long first,
		   unsigned long long last)
{
	struct tsync_kvm_timeline tl;
	struct tsync_tsc tsc;
	int i;

	struct tsync_tsc next;
	const char *why;
	int ret;

	ret = vcpu_tsc(a, vcpu, first_write(w, nr, vcpu), first, last, &tsc);
	if (ret)
		return ret;
	tsync_timeline_init(&tl, &tsc, samples);
	if (tsync_timeline_start(&tl, first))
		return TSYNC_EXIT_FAILED;
	for (i = 0; i < nr; i++) {
		if (w[i].vcpu != vcpu)
			continue;
		next = tl.tsc;
		next.offset = w[i].next;
		why = tsync_tsc_inexact(&next, first, last);
		if (why) {
			tsync_err("%s: vCPU %d: kvm_write_tsc_offset to %lld at host TSC %llu: %s",
				  a->events, vcpu, w[i].next, w[i].host_ts, why);
			return TSYNC_EXIT_FAILED;
		}
		if (tsync_timeline_write(&tl, &w[i]))
			return TSYNC_EXIT_FAILED;
	}
	return tsync_timeline_lay_until(&tl, last, false) ? TSYNC_EXIT_FAILED : 0;
}

/* Returns 0 or the exit status, after saying why */
static int build(const struct apply_args *a, const struct tsync_trace_file *g,
		 struct tsync_time_shift *ts)
{
	struct tsync_offset_write *w;
	unsigned long long first, last;
	int cpu, nr, *vcpu_of, ret = 0;

	if (tsync_trace_range(g, &first, &last)) {
		tsync_err("%s: holds no event", g->path);
		return TSYNC_EXIT_FAILED;
	}
	if (read_writes(a, &w, &nr))
		return TSYNC_EXIT_FAILED;
	vcpu_of = map_vcpus(a, g->cpus);
	if (!vcpu_of || tsync_time_shift_alloc(ts, g->cpus)) {
		free(vcpu_of);
		free(w);
		return TSYNC_EXIT_FAILED;
	}
	ts->flags = TSYNC_FLAG_KVM | TSYNC_FLAG_INTERPOLATE;
	for (cpu = 0; !ret && cpu < g->cpus; cpu++)
		ret = lay_cpu(a, &ts->cpus[cpu], vcpu_of[cpu], w, nr, first, last);
	free(vcpu_of);
	free(w);
	if (!ret && host_trace_id(a, &ts->peer_trace_id))
		ret = TSYNC_EXIT_FAILED;
	return ret;
}

/* --vcpu-threads: the VM's vCPU threads into the host file's GUEST option */
static int fill_threads(const struct apply_args *a)
{
	struct tsync_trace_file host;
	int pid, *tids, nr, ret = TSYNC_EXIT_FAILED;

	pid = tsync_vm_pid(a->vm, "--vcpu-threads");
	if (pid <= 0 || tsync_vm_vcpu_threads(pid, &tids, &nr))
		return TSYNC_EXIT_FAILED;
	if (!tsync_trace_open(&host, a->guest)) {
		if ((!a->in_place || !tsync_output_claim(&host)) &&
		    !tsync_fill_vcpu_threads(&host, a->in_place ? NULL : a->out, a->guest_name,
					     tids, nr))
			ret = 0;
		tsync_trace_close(&host);
	}
	free(tids);
	return ret;
}

/* Returns the exit status */
static int apply(const struct apply_args *a)
{
	struct tsync_time_shift ts = { 0 }, old;
	struct tsync_trace_file g;
	const char *why = NULL;
	void *payload = NULL;
	size_t len;
	int ret;

	if (tsync_trace_open(&g, a->guest))
		return TSYNC_EXIT_FAILED;
	if (a->in_place && tsync_output_claim(&g)) {
		tsync_trace_close(&g);
		return TSYNC_EXIT_FAILED;
	}
	ret = tsync_trace_time_shift(&g, &old);
	if (!ret) {
		tsync_time_shift_free(&old);
		tsync_err("%s: already has a TIME_SHIFT option; apply adds none", a->guest);
	}
	if (ret == 1)
		ret = build(a, &g, &ts);
	else
		ret = TSYNC_EXIT_FAILED;
	len = tsync_time_shift_size(&ts);
	if (!ret)
		payload = malloc(len);
	if (!ret && (!payload || tsync_time_shift_encode(&ts, g.big_endian, payload, len, &why))) {
		tsync_err("%s: its new TIME_SHIFT option: %s", a->guest,
			  why ? why : "out of memory");
		ret = TSYNC_EXIT_FAILED;
	}
	if (!ret && tsync_trace_add_option(&g, a->in_place ? NULL : a->out,
					   TRACECMD_OPTION_TIME_SHIFT, payload, len))
		ret = TSYNC_EXIT_FAILED;
	free(payload);
	tsync_time_shift_free(&ts);
	tsync_trace_close(&g);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out,
"usage: trace-cmd-tsync apply (--host HOST.dat | --host-id ID | --events HOST.dat)\n"
"                             (-o OUT.dat | --in-place) [--tsc-offset [VCPU=]N...]\n"
"                             [--tsc-ratio [VCPU=]R...] [--tsc-frac [VCPU=]F...]\n"
"                             [--vcpus ID,...] [--apic-ids ID,...] GUEST.dat\n"
"       trace-cmd-tsync apply --vcpu-threads PID|NAME [--guest NAME]\n"
"                             (-o OUT.dat | --in-place) HOST.dat\n"
"  Writes a TIME_SHIFT option into GUEST.dat's copy OUT.dat (or GUEST.dat itself)\n"
"  from KVM's TSC parameters, guest TSC = (host TSC * R >> F) + N, for every vCPU\n"
"  or VCPU alone, N changing at each kvm_write_tsc_offset event of --events;\n"
"  then trace-cmd report -i HOST.dat -i OUT.dat merges both.\n"
"  With --vcpu-threads, writes the host thread of each vCPU of the VM (its\n"
"  pid or QEMU -name) into HOST.dat's GUEST option for guest NAME (or the\n"
"  only guest), for KernelShark: trace-cmd leaves it -1 for TCP guests.\n");
}

enum { OPT_HOST = 256, OPT_HOST_ID, OPT_EVENTS, OPT_IN_PLACE, OPT_OFFSET, OPT_RATIO, OPT_FRAC,
       OPT_VCPUS, OPT_APIC, OPT_VCPU_THREADS, OPT_GUEST };

static const char *output_missing(const struct apply_args *a)
{
	if (!a->out && !a->in_place)
		return "no output: -o OUT.dat, or --in-place";
	if (a->out && a->in_place)
		return "-o and --in-place exclude each other";
	return NULL;
}

/* What the options leave out or give twice; NULL when they are complete */
static const char *incomplete(int argc, const struct apply_args *a)
{
	const char *missing;

	if (optind == argc)
		return a->vm ? "no HOST.dat given" : "no GUEST.dat given";
	if (optind < argc - 1)
		return a->vm ? "one HOST.dat only, options before it" :
			       "one GUEST.dat only, options before it";
	if (a->vm && !*a->vm)
		return "--vcpu-threads needs a pid or a VM name";
	if (a->guest_name && !a->vm)
		return "--guest names a guest for --vcpu-threads only";
	if (a->vm && (a->host || a->has_host_id || a->events || a->offset.has_all ||
		      a->offset.nr || a->ratio.has_all || a->ratio.nr || a->frac.has_all ||
		      a->frac.nr || a->vcpus.nr || a->apic.nr))
		return "--vcpu-threads writes a host file's GUEST option: no TIME_SHIFT options";
	if (a->vm)
		return output_missing(a);
	if (!a->host && !a->has_host_id && !a->events)
		return "no host trace: --host HOST.dat, --host-id ID or --events HOST.dat";
	missing = output_missing(a);
	if (missing)
		return missing;
	if (!a->events && !a->offset.has_all && !a->offset.nr)
		return "no TSC offset: --tsc-offset [VCPU=]N, or --events HOST.dat";
	return NULL;
}

/* -1 to go on, else the exit status: 0 after --help, 2 for a usage error */
static int parse(int argc, char **argv, struct apply_args *a)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, OPT_HOST },
		{ "host-id", required_argument, NULL, OPT_HOST_ID },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "in-place", no_argument, NULL, OPT_IN_PLACE },
		{ "tsc-offset", required_argument, NULL, OPT_OFFSET },
		{ "tsc-ratio", required_argument, NULL, OPT_RATIO },
		{ "tsc-frac", required_argument, NULL, OPT_FRAC },
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		{ "apic-ids", required_argument, NULL, OPT_APIC },
		{ "vcpu-threads", required_argument, NULL, OPT_VCPU_THREADS },
		{ "guest", required_argument, NULL, OPT_GUEST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *missing;
	long long id;
	int c, err = 0;

	while (!err && (c = tsync_getopt(argc, argv, "o:h", longopts)) != -1) {
		switch (c) {
		case 'o':		a->out = optarg; break;
		case OPT_HOST:		a->host = optarg; break;
		case OPT_EVENTS:	a->events = optarg; break;
		case OPT_IN_PLACE:	a->in_place = true; break;
		case OPT_OFFSET:	err = set_value(&a->offset, "tsc-offset", optarg, true); break;
		case OPT_RATIO:		err = set_value(&a->ratio, "tsc-ratio", optarg, false); break;
		case OPT_FRAC:		err = set_value(&a->frac, "tsc-frac", optarg, false); break;
		case OPT_VCPUS:		err = set_list(&a->vcpus, "vcpus", optarg); break;
		case OPT_APIC:		err = set_list(&a->apic, "apic-ids", optarg); break;
		case OPT_VCPU_THREADS:	a->vm = optarg; break;
		case OPT_GUEST:		a->guest_name = optarg; break;
		case OPT_HOST_ID:
			err = tsync_parse_number(optarg, strlen(optarg), false, &id);
			if (err)
				tsync_err("apply: --host-id %s: expected a decimal number", optarg);
			a->host_id = (unsigned long long)id;
			a->has_host_id = true;
			break;
		case 'h':		usage(stdout); return 0;
		default:		err = -1; break;
		}
	}
	missing = err ? NULL : incomplete(argc, a);
	if (missing)
		tsync_err("apply: %s", missing);
	if (err || missing) {
		usage(stderr);
		return TSYNC_EXIT_USAGE;
	}
	a->guest = argv[optind];
	return -1;
}

static void free_per_vcpu(struct per_vcpu *v)
{
	free(v->one);
	free(v->has_one);
}

int tsync_offline_apply(int argc, char **argv)
{
	struct apply_args a = { 0 };
	int ret;

	ret = parse(argc, argv, &a);
	if (ret < 0)
		ret = a.vm ? fill_threads(&a) : apply(&a);
	free_per_vcpu(&a.offset);
	free_per_vcpu(&a.ratio);
	free_per_vcpu(&a.frac);
	free(a.vcpus.id);
	free(a.vcpus.u);
	free(a.apic.id);
	free(a.apic.u);
	return ret;
}
