// SPDX-License-Identifier: LGPL-2.1
/*
 * kvm-test-vm: a real KVM VM for tsync's tests, made through /dev/kvm.
 *
 * usage: kvm-test-vm [-n COUNT | -i ID,ID,...] [-name NAME]
 *
 * Creates a VM with COUNT vCPUs (default 2) or with the given vCPU ids
 * (APIC ids, possibly sparse), prints
 *
 *	READY pid=<pid> vmfd=<fd> vcpus=<ids> debugfs=<dir or ->
 *
 * and then answers commands on stdin, one line each:
 *
 *	offset ID VALUE	set the vCPU's TSC offset (KVM_VCPU_TSC_OFFSET)
 *	tsc ID VALUE	write the guest TSC (MSR IA32_TSC)
 *	quit		exit; so does end of input, which destroys the VM
 *
 * Both writes fire the kvm_write_tsc_offset tracepoint.  -name is QEMU's
 * option, taken and ignored: it stands in the command line for
 * "trace-cmd-tsync --tsync-vm NAME" to find.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_VCPUS	64
#define MSR_IA32_TSC	0x10

struct vcpu {
	int	id;
	int	fd;
};

static struct vcpu vcpus[MAX_VCPUS];
static int nr_vcpus;

static void die(const char *what)
{
	fprintf(stderr, "kvm-test-vm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int parse_ids(const char *list)
{
	char *copy = strdup(list), *tok, *save;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nr_vcpus == MAX_VCPUS)
			return -1;
		vcpus[nr_vcpus++].id = atoi(tok);
	}
	free(copy);
	return nr_vcpus ? 0 : -1;
}

static struct vcpu *find_vcpu(int id)
{
	int i;

	for (i = 0; i < nr_vcpus; i++)
		if (vcpus[i].id == id)
			return &vcpus[i];
	return NULL;
}

static int set_offset(struct vcpu *v, long long offset)
{
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_OFFSET,
		.addr = (unsigned long)&offset,
	};

	return ioctl(v->fd, KVM_SET_DEVICE_ATTR, &attr);
}

static int set_tsc(struct vcpu *v, unsigned long long value)
{
	struct {
		struct kvm_msrs		head;
		struct kvm_msr_entry	entry;
	} msrs = {
		.head.nmsrs = 1,
		.entry = { .index = MSR_IA32_TSC, .data = value },
	};
	int ret = ioctl(v->fd, KVM_SET_MSRS, &msrs);

	if (ret == 1)
		return 0;
	if (ret >= 0)
		errno = EINVAL;
	return -1;
}

static void serve(void)
{
	char line[256], cmd[16];
	long long value;
	struct vcpu *v;
	int id, ret;

	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "%15s", cmd) != 1)
			continue;
		if (!strcmp(cmd, "quit"))
			break;
		if (sscanf(line, "%15s %d %lld", cmd, &id, &value) != 3) {
			printf("ERR usage: offset|tsc ID VALUE | quit\n");
		} else if (!(v = find_vcpu(id))) {
			printf("ERR no vCPU %d\n", id);
		} else {
			if (!strcmp(cmd, "offset"))
				ret = set_offset(v, value);
			else if (!strcmp(cmd, "tsc"))
				ret = set_tsc(v, value);
			else
				ret = -1, errno = EINVAL;
			if (ret)
				printf("ERR %s %d %lld: %s\n", cmd, id, value, strerror(errno));
			else
				printf("OK %s %d %lld\n", cmd, id, value);
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	char debugfs[128], ids[MAX_VCPUS * 12] = "";
	struct stat st;
	int kvm, vm, i, opt, count = 2;

	/* QEMU's "-name NAME" at the end: for /proc/PID/cmdline only */
	if (argc >= 3 && !strcmp(argv[argc - 2], "-name"))
		argc -= 2;
	while ((opt = getopt(argc, argv, "n:i:")) != -1) {
		if (opt == 'n')
			count = atoi(optarg);
		else if (opt != 'i' || parse_ids(optarg)) {
			fprintf(stderr, "usage: kvm-test-vm [-n COUNT | -i ID,ID,...] [-name NAME]\n");
			return 1;
		}
	}
	if (!nr_vcpus) {
		if (count < 1 || count > MAX_VCPUS) {
			fprintf(stderr, "kvm-test-vm: 1 to %d vCPUs\n", MAX_VCPUS);
			return 1;
		}
		for (nr_vcpus = 0; nr_vcpus < count; nr_vcpus++)
			vcpus[nr_vcpus].id = nr_vcpus;
	}

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	for (i = 0; i < nr_vcpus; i++) {
		vcpus[i].fd = ioctl(vm, KVM_CREATE_VCPU, vcpus[i].id);
		if (vcpus[i].fd < 0)
			die("KVM_CREATE_VCPU");
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%d",
			 i ? "," : "", vcpus[i].id);
	}

	snprintf(debugfs, sizeof(debugfs), "/sys/kernel/debug/kvm/%d-%d", getpid(), vm);
	printf("READY pid=%d vmfd=%d vcpus=%s debugfs=%s\n", getpid(), vm, ids,
	       stat(debugfs, &st) ? "-" : debugfs);
	fflush(stdout);
	serve();
	return 0;
}
