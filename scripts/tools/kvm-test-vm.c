// SPDX-License-Identifier: LGPL-2.1
/*
 * kvm-test-vm: a real KVM VM for tsync's tests, made through /dev/kvm.
 *
 * usage: kvm-test-vm [-n COUNT | -i ID,ID,...] [-k KICK-SOCKET] [-name NAME]
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
 *	kicks		how many datagrams came to KICK-SOCKET
 *	quit		exit; so does end of input.  Exiting destroys the VM.
 *
 * With -k, each vCPU runs in a thread of its own named "CPU n/KVM", as
 * QEMU's are: it enters the guest (a loop of port writes, each one an exit
 * to user space) every 10 ms, and at once when a datagram comes to the Unix
 * socket KICK-SOCKET, which it creates.  The tests' vsock double sends one
 * where a host connects to the VM's CID: trace-cmd's find_pid_by_cid then
 * sees a vCPU thread woken by its connect enter and leave the guest.
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
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_VCPUS	1024
#define MSR_IA32_TSC	0x10

static struct vcpu {
	int	id;
	int	fd;
} vcpus[MAX_VCPUS];
static int nr_vcpus;

/* -k: the socket that wakes the vCPU threads, and how many kicks came */
static int kick_fd = -1;
static unsigned long kicks;
static pthread_mutex_t kicks_lock = PTHREAD_MUTEX_INITIALIZER;

/* The guest: real mode at 0x1000, "out 0x10, al; jmp back" */
#define GUEST_MEM	0x10000
#define GUEST_CODE	0x1000
static const unsigned char guest_code[] = { 0xe6, 0x10, 0xeb, 0xfc };

static void die(const char *what)
{
	fprintf(stderr, "kvm-test-vm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fputs("usage: kvm-test-vm [-n COUNT | -i ID,ID,...] [-k KICK-SOCKET] [-name NAME]\n",
	      stderr);
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
	if (!strcmp(cmd, "kicks") && !id) {
		pthread_mutex_lock(&kicks_lock);
		snprintf(answer, size, "OK kicks %lu", kicks);
		pthread_mutex_unlock(&kicks_lock);
		return 0;
	}
	tsc = !strcmp(cmd, "tsc");
	if (!arg || strtok_r(NULL, " \t\n", &save) || (!tsc && strcmp(cmd, "offset"))) {
		snprintf(answer, size, "ERR usage: offset ID VALUE | tsc ID VALUE | kicks | quit");
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

/* A vCPU's thread: into the guest every 10 ms, or when kicked */
static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct pollfd kick = { .fd = kick_fd, .events = POLLIN };
	char name[16], byte;

	snprintf(name, sizeof(name), "CPU %d/KVM", v->id);
	pthread_setname_np(pthread_self(), name);
	for (;;) {
		if (poll(&kick, 1, 10) > 0 && recv(kick_fd, &byte, 1, MSG_DONTWAIT) == 1) {
			pthread_mutex_lock(&kicks_lock);
			kicks++;
			pthread_mutex_unlock(&kicks_lock);
		}
		if (ioctl(v->fd, KVM_RUN, 0) && errno != EINTR)
			die("KVM_RUN");
	}
	return NULL;
}

/* -k: guest memory and code, each vCPU at the code in real mode, its thread */
static void start_vcpu_threads(int vm, const char *kick_path)
{
	struct kvm_userspace_memory_region region = { .memory_size = GUEST_MEM };
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
	struct kvm_sregs sregs;
	unsigned char *mem;
	pthread_t thread;
	int i;

	if (strlen(kick_path) >= sizeof(un.sun_path))
		usage();
	strcpy(un.sun_path, kick_path);
	kick_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (kick_fd < 0 || bind(kick_fd, (struct sockaddr *)&un, sizeof(un)))
		die(kick_path);
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	memcpy(mem + GUEST_CODE, guest_code, sizeof(guest_code));
	region.userspace_addr = (__u64)(unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION");
	for (i = 0; i < nr_vcpus; i++) {
		if (ioctl(vcpus[i].fd, KVM_GET_SREGS, &sregs))
			die("KVM_GET_SREGS");
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (ioctl(vcpus[i].fd, KVM_SET_SREGS, &sregs) ||
		    ioctl(vcpus[i].fd, KVM_SET_REGS, &regs))
			die("KVM_SET_REGS");
		/* KVM_RUN needs the vCPU's shared page mapped by someone: keep it */
		if (mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, vcpus[i].fd, 0) ==
		    MAP_FAILED)
			die("mmap vCPU");
		if (pthread_create(&thread, NULL, vcpu_thread, &vcpus[i]))
			die("pthread_create");
	}
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
	const char *kick_path = NULL;
	long long count = 2;
	bool by_count = false;
	int kvm, vm, i, opt;
	size_t len = 0;
	struct stat st;

	/* QEMU's "-name NAME" at the end: for /proc/PID/cmdline only */
	if (argc >= 3 && !strcmp(argv[argc - 2], "-name"))
		argc -= 2;
	while ((opt = getopt(argc, argv, "n:i:k:")) != -1) {
		if (opt == 'n' && !nr_vcpus && !parse_num(optarg, 1, MAX_VCPUS, &count))
			by_count = true;
		else if (opt == 'i' && !nr_vcpus && !by_count)
			parse_ids(optarg);
		else if (opt == 'k')
			kick_path = optarg;
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

	if (kick_path)
		start_vcpu_threads(vm, kick_path);

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
