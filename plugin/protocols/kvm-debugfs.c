// SPDX-License-Identifier: LGPL-2.1
/*
 * The VM under debugfs: kvm/<pid>-<fd>/vcpu<id>/{tsc-offset,
 * tsc-scaling-ratio, tsc-scaling-ratio-frac-bits}.
 *
 * The VM is found from the pid of the process that owns it, given by
 * trace-cmd (vsock) or by --tsync-vm (a pid or a QEMU -name), or as the
 * only VM of the host.  vcpu ids are APIC ids: they may be sparse.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsync/plugin.h"
#include "tsync/vm-process.h"

/* Returns 0, 1 when the file does not exist, or -1 after saying why */
static int read_number(const char *dir, const char *file, bool is_signed, long long *val)
{
	char path[PATH_MAX + 64], buf[64];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		tsync_err("%s: %m", path);
		return -1;
	}
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len < 0) {
		tsync_err("%s: %m", path);
		return -1;
	}
	if (tsync_parse_number(buf, len, is_signed, val)) {
		tsync_err("%s: not a number: '%.*s'", path, (int)strcspn(buf, "\n"), buf);
		return -1;
	}
	return 0;
}

/**
 * tsync_kvm_read_tsc - read one vCPU's TSC parameters
 * @vm: the VM
 * @vcpu_id: the vCPU (its APIC id)
 * @tsc: returns offset, ratio and fraction bits
 *
 * Without scaling files (no TSC scaling on this host) the ratio is 1.
 * Returns 0, or -1 after printing which file is wrong.
 */
int tsync_kvm_read_tsc(const struct tsync_kvm_vm *vm, int vcpu_id, struct tsync_tsc *tsc)
{
	long long offset, ratio = 1, frac = 0;
	char dir[PATH_MAX + 32];
	int r, f;

	snprintf(dir, sizeof(dir), "%s/vcpu%d", vm->dir, vcpu_id);
	r = read_number(dir, "tsc-offset", true, &offset);
	if (r > 0)
		tsync_err("%s/tsc-offset: missing (the VM exited?)", dir);
	if (r)
		return -1;
	r = read_number(dir, "tsc-scaling-ratio", false, &ratio);
	f = read_number(dir, "tsc-scaling-ratio-frac-bits", false, &frac);
	if (r < 0 || f < 0)
		return -1;
	if (r != f) {
		tsync_err("%s: tsc-scaling-ratio and tsc-scaling-ratio-frac-bits come together", dir);
		return -1;
	}
	*tsc = (struct tsync_tsc) {
		.offset = offset,
		.ratio = (unsigned long long)ratio,
		.frac = (unsigned long long)frac > 63 ? 64 : (unsigned int)frac,
	};
	if (!tsync_tsc_valid(tsc)) {
		tsync_err("%s: ratio %llu with %lld fraction bits cannot be inverted",
			  dir, (unsigned long long)ratio, frac);
		return -1;
	}
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The VM's vcpu ids, sorted */
static int list_vcpus(struct tsync_kvm_vm *vm)
{
	struct dirent *d;
	DIR *dir;
	int *ids;
	char *end;
	long id;

	dir = opendir(vm->dir);
	if (!dir) {
		tsync_err("%s: %m", vm->dir);
		return -1;
	}
	while ((d = readdir(dir))) {
		if (strncmp(d->d_name, "vcpu", 4) || !isdigit((unsigned char)d->d_name[4]))
			continue;
		id = strtol(d->d_name + 4, &end, 10);
		if (*end || id > INT_MAX)
			continue;
		ids = realloc(vm->vcpu_ids, (vm->nr_vcpus + 1) * sizeof(*ids));
		if (!ids) {
			closedir(dir);
			return -1;
		}
		vm->vcpu_ids = ids;
		vm->vcpu_ids[vm->nr_vcpus++] = id;
	}
	closedir(dir);
	if (!vm->nr_vcpus) {
		tsync_err("%s: the VM has no vCPU", vm->dir);
		return -1;
	}
	qsort(vm->vcpu_ids, vm->nr_vcpus, sizeof(int), by_id);
	return 0;
}

/* kvm/<pid>-<fd> entries; @pid 0 matches any.  Returns how many matched */
static int match_vms(const char *kvm_dir, int pid, char *first, size_t size)
{
	struct dirent *d;
	int n = 0, p, fd;
	DIR *dir;

	dir = opendir(kvm_dir);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (sscanf(d->d_name, "%d-%d", &p, &fd) != 2 || (pid && p != pid))
			continue;
		if (!n++)
			snprintf(first, size, "%s/%s", kvm_dir, d->d_name);
	}
	closedir(dir);
	return n;
}

/**
 * tsync_kvm_vm_find - find the VM to sync with under debugfs
 * @guest_pid: the VM's process as trace-cmd knows it (vsock), or <= 0
 * @spec: the VM --tsync-vm named for this guest (a pid or a QEMU -name), or NULL
 * @vm: returns the VM and how it was found; release with tsync_kvm_vm_release()
 *
 * Without @guest_pid, @spec names the VM; without either, the host must
 * run exactly one VM.  @spec must agree with @guest_pid: one of them names
 * the wrong VM.  Returns 0, or -1 after saying why.
 */
int tsync_kvm_vm_find(int guest_pid, const char *spec, struct tsync_kvm_vm *vm)
{
	char kvm_dir[PATH_MAX - 300];
	int pid = guest_pid > 0 ? guest_pid : 0;
	int n, spec_pid;

	memset(vm, 0, sizeof(*vm));
	snprintf(kvm_dir, sizeof(kvm_dir), "%s/kvm", tsync_cfg.debugfs);
	vm->found_by = pid ? "trace-cmd's pid of the guest" : "the only VM of this host";
	if (spec) {
		spec_pid = tsync_vm_pid(spec, "--tsync-vm");
		if (spec_pid <= 0)
			return -1;
		if (pid && spec_pid != pid) {
			tsync_err("--tsync-vm %s is process %d, but trace-cmd found the guest's VM "
				  "in process %d: which is it?", spec, spec_pid, pid);
			return -1;
		}
		if (!pid)
			vm->found_by = "--tsync-vm";
		pid = spec_pid;
	}
	n = match_vms(kvm_dir, pid, vm->dir, sizeof(vm->dir));
	if (n < 0) {
		tsync_err("%s: %m (is debugfs mounted?)", kvm_dir);
		return -1;
	}
	if (n != 1) {
		if (pid)
			tsync_err("%s: process %d has %d VMs", kvm_dir, pid, n);
		else
			tsync_err("%s: %d VMs%s: name one with --tsync-vm PID|NAME", kvm_dir, n,
				  guest_pid < 0 ? " and trace-cmd found no pid of the guest" : "");
		return -1;
	}
	sscanf(strrchr(vm->dir, '/') + 1, "%d", &vm->pid);
	return list_vcpus(vm);
}

void tsync_kvm_vm_release(struct tsync_kvm_vm *vm)
{
	free(vm->vcpu_ids);
	vm->vcpu_ids = NULL;
	vm->nr_vcpus = 0;
}

/**
 * tsync_kvm_host_vms - how many VMs this host runs, as debugfs shows them
 * @why: room for the reason there are none
 * @size: its size
 *
 * The host roles of tsync-kvm are offered only when there is one.
 * Returns the count; when it is 0, @why says why.
 */
int tsync_kvm_host_vms(char *why, size_t size)
{
	char kvm_dir[PATH_MAX - 300], first[PATH_MAX];
	int n;

	snprintf(kvm_dir, sizeof(kvm_dir), "%s/kvm", tsync_cfg.debugfs);
	n = match_vms(kvm_dir, 0, first, sizeof(first));
	if (n < 0)
		snprintf(why, size, "%s: %m (is debugfs mounted there?)", kvm_dir);
	else if (!n)
		snprintf(why, size, "%s shows no running VM", kvm_dir);
	return n > 0 ? n : 0;
}
