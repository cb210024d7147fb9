// SPDX-License-Identifier: LGPL-2.1
/*
 * kvm-test-vm: a real KVM VM for tsync's tests, made through /dev/kvm.
 *
 * usage: kvm-test-vm [-n COUNT | -i ID,ID,...] [-name NAME]
 *
 * Creates a VM with COUNT vCPUs (default 2, ids 0..COUNT-1) or with the given
 * vCPU ids (possibly sparse, created in that order), prints one line
 *
 *	READY pid=<pid> vmfd=<fd> vcpus=<ids> debugfs=<dir or ->
 *
 * and then answers each command on stdin with one line, "OK ..." or "ERR ...":
 *
 *	offset ID VALUE	set the vCPU's TSC offset (KVM_VCPU_TSC_OFFSET), an s64
 *	tsc ID VALUE	write the guest TSC (MSR IA32_TSC), 0 to 2^63 - 1
 *	quit		exit; so does end of input.  Exiting destroys the VM.
 *
 * Both writes fire the kvm_write_tsc_offset tracepoint.  -name is QEMU's
 * option, taken and ignored: it stands in /proc/PID/cmdline for
 * "trace-cmd-tsync --tsync-vm NAME" to find.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_VCPUS	1024
#define MSR_IA32_TSC	0x10

static struct vcpu {
	int	id;
	int	fd;
} vcpus[MAX_VCPUS];
static int nr_vcpus;

static void die(const char *what)
{
	fprintf(stderr, "kvm-test-vm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fputs("usage: kvm-test-vm [-n COUNT | -i ID,ID,...] [-name NAME]\n", stderr);
	exit(1);
}

/* All of @s as a decimal number within [@min, @max], or -1 */
static int parse_num(const char *s, long long min, long long max, long long *val)
{
	char *end;

	errno = 0;
	*val = strtoll(s, &end, 10);
	return errno || end == s || *end || *val < min || *val > max ? -1 : 0;
}

static void parse_ids(char *list)
{
	char *tok, *save;
	long long id;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nr_vcpus == MAX_VCPUS || parse_num(tok, 0, INT_MAX, &id))
			usage();
		vcpus[nr_vcpus++].id = id;
	}
	if (!nr_vcpus)
		usage();
}

static struct vcpu *find_vcpu(const char *s)
{
	long long id;
	int i;

	if (parse_num(s, 0, INT_MAX, &id))
		return NULL;
	for (i = 0; i < nr_vcpus; i++)
		if (vcpus[i].id == id)
			return &vcpus[i];
	return NULL;
}

/* The answer to one command line, without its newline; 1 for quit, -1 for a blank line */
static int command(char *line, char *answer, size_t size)
{
	char *cmd, *id, *arg, *save;
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
	};
	struct {
		struct kvm_msrs		head;
		struct kvm_msr_entry	entry;
	} msrs = {
		.head.nmsrs = 1,
		.entry.index = MSR_IA32_TSC,
	};
	long long value;
	struct vcpu *v;
	bool tsc;
	int ret;

	cmd = strtok_r(line, " \t\n", &save);
	id = strtok_r(NULL, " \t\n", &save);
	arg = strtok_r(NULL, " \t\n", &save);
	if (!cmd)
		return -1;
	if (!strcmp(cmd, "quit") && !id)
		return 1;
	tsc = !strcmp(cmd, "tsc");
	if (!arg || strtok_r(NULL, " \t\n", &save) || (!tsc && strcmp(cmd, "offset"))) {
		snprintf(answer, size, "ERR usage: offset ID VALUE | tsc ID VALUE | quit");
	} else if (!(v = find_vcpu(id))) {
		snprintf(answer, size, "ERR no vCPU %s", id);
	} else if (parse_num(arg, tsc ? 0 : LLONG_MIN, LLONG_MAX, &value)) {
		snprintf(answer, size, "ERR bad value %s", arg);
	} else if (!tsc) {
		attr.addr = (__u64)(unsigned long)&value;
		if (ioctl(v->fd, KVM_SET_DEVICE_ATTR, &attr))
			snprintf(answer, size, "ERR KVM_SET_DEVICE_ATTR: %s", strerror(errno));
		else
			snprintf(answer, size, "OK offset %d %lld", v->id, value);
	} else {
		msrs.entry.data = value;
		/* KVM_SET_MSRS returns how many MSRs it set, stopping at the first refused */
		ret = ioctl(v->fd, KVM_SET_MSRS, &msrs);
		if (ret < 0)
			snprintf(answer, size, "ERR KVM_SET_MSRS: %s", strerror(errno));
		else if (ret != 1)
			snprintf(answer, size, "ERR KVM_SET_MSRS: IA32_TSC not set");
		else
			snprintf(answer, size, "OK tsc %d %lld", v->id, value);
	}
	return 0;
}

static void serve(void)
{
	char answer[256], *line = NULL;
	size_t size = 0;
	int ret;

	while (getline(&line, &size, stdin) >= 0) {
		ret = command(line, answer, sizeof(answer));
		if (ret > 0)
			break;
		if (ret < 0)
			continue;
		if (printf("%s\n", answer) < 0 || fflush(stdout))
			die("stdout");
	}
	if (ferror(stdin))
		die("stdin");
	free(line);
}

int main(int argc, char **argv)
{
	static char ids[MAX_VCPUS * 12];
	char debugfs[64], vcpu[32];
	long long count = 2;
	bool by_count = false;
	int kvm, vm, i, opt;
	size_t len = 0;
	struct stat st;

	/* QEMU's "-name NAME" at the end: for /proc/PID/cmdline only */
	if (argc >= 3 && !strcmp(argv[argc - 2], "-name"))
		argc -= 2;
	while ((opt = getopt(argc, argv, "n:i:")) != -1) {
		if (opt == 'n' && !nr_vcpus && !parse_num(optarg, 1, MAX_VCPUS, &count))
			by_count = true;
		else if (opt == 'i' && !nr_vcpus && !by_count)
			parse_ids(optarg);
		else
			usage();
	}
	if (optind < argc)
		usage();
	if (!nr_vcpus)
		for (; nr_vcpus < count; nr_vcpus++)
			vcpus[nr_vcpus].id = nr_vcpus;

	/*
	 * An inherited write end of our own stdin (a FIFO the parent still holds
	 * open as it forks us) would keep EOF, and so the VM's end, from coming.
	 */
	if (close_range(3, ~0U, 0))
		die("close_range");

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	for (i = 0; i < nr_vcpus; i++) {
		vcpus[i].fd = ioctl(vm, KVM_CREATE_VCPU, (unsigned long)vcpus[i].id);
		if (vcpus[i].fd < 0) {
			snprintf(vcpu, sizeof(vcpu), "KVM_CREATE_VCPU %d", vcpus[i].id);
			die(vcpu);
		}
		len += snprintf(ids + len, sizeof(ids) - len, "%s%d", i ? "," : "", vcpus[i].id);
	}

	/* KVM names its debugfs directory for the VM after the creator's pid and VM fd */
	snprintf(debugfs, sizeof(debugfs), "/sys/kernel/debug/kvm/%d-%d", getpid(), vm);
	if (stat(debugfs, &st) || !S_ISDIR(st.st_mode))
		strcpy(debugfs, "-");
	if (printf("READY pid=%d vmfd=%d vcpus=%s debugfs=%s\n", getpid(), vm, ids, debugfs) < 0 ||
	    fflush(stdout))
		die("stdout");
	serve();
	return 0;
}
