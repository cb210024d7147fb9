// SPDX-License-Identifier: LGPL-2.1
/*
 * A VM's process: given by its pid or by QEMU's "-name NAME" on its command
 * line, and the threads that run its vCPUs.  QEMU names them "CPU n/KVM"
 * (or "CPU n/TCG" without KVM) when started with -name ...,debug-threads=on.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsync/vm-process.h"

/* Does /proc/<pid>/cmdline carry "-name NAME" (QEMU: NAME[,opts] or guest=NAME) */
static bool has_qemu_name(int pid, const char *name)
{
	char path[64], cmdline[8192], *arg, *end;
	bool next_is_name = false;
	size_t len = strlen(name);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (n <= 0)
		return false;
	cmdline[n] = '\0';
	for (arg = cmdline, end = cmdline + n; arg < end; arg += strlen(arg) + 1) {
		if (next_is_name) {
			if (!strncmp(arg, "guest=", 6))
				arg += 6;
			if (!strncmp(arg, name, len) && (arg[len] == '\0' || arg[len] == ','))
				return true;
			next_is_name = false;
		}
		next_is_name = !strcmp(arg, "-name") || !strcmp(arg, "--name");
	}
	return false;
}

/* The pid of the one process named @name; -1 after saying why not */
static int pid_of_name(const char *name, const char *opt)
{
	struct dirent *d;
	int found = -1, n = 0, pid;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		pid = atoi(d->d_name);
		if (pid > 0 && has_qemu_name(pid, name)) {
			if (!n++)
				found = pid;
			else
				tsync_err("%s %s: processes %d and %d both run it", opt, name, found,
					  pid);
		}
	}
	closedir(proc);
	if (!n)
		tsync_err("%s %s: no process runs a VM of that -name", opt, name);
	return n == 1 ? found : -1;
}

/**
 * tsync_vm_pid - the process of the VM that @spec names
 * @spec: a pid (digits), or the VM's QEMU -name
 * @opt: the option that gave @spec, for the messages
 *
 * Returns the pid, or -1 after saying why there is none.
 */
int tsync_vm_pid(const char *spec, const char *opt)
{
	if (*spec && strspn(spec, "0123456789") == strlen(spec))
		return atoi(spec);
	return pid_of_name(spec, opt);
}

/* "CPU n/KVM" or "CPU n/TCG": n, else -1 */
static int vcpu_of_comm(const char *comm)
{
	char accel[4];
	int vcpu, len = 0;

	if (sscanf(comm, "CPU %d/%3[A-Z]%n", &vcpu, accel, &len) != 2 || vcpu < 0 ||
	    vcpu >= TSYNC_MAX_CPUS || (comm[len] && comm[len] != '\n') ||
	    (strcmp(accel, "KVM") && strcmp(accel, "TCG")))
		return -1;
	return vcpu;
}

/* @tid's vCPU, from /proc/<pid>/task/<tid>/comm; -1 for another thread */
static int thread_vcpu(int pid, const char *tid)
{
	char path[320], comm[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", pid, tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	comm[n] = '\0';
	return vcpu_of_comm(comm);
}

/**
 * tsync_vm_vcpu_threads - the host threads that run the vCPUs of VM @pid
 * @pid: the VM's process
 * @tids: returns an array to free(), indexed by vCPU, 0 where no thread runs it
 * @nr: returns its length, the highest vCPU + 1
 *
 * Returns 0, or -1 after saying why: no such process, or no thread of it
 * named as QEMU names its vCPUs (-name ...,debug-threads=on).
 */
int tsync_vm_vcpu_threads(int pid, int **tids, int *nr)
{
	char path[64];
	struct dirent *d;
	int vcpu, *more;
	DIR *tasks;

	*tids = NULL;
	*nr = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	tasks = opendir(path);
	if (!tasks) {
		tsync_err("VM process %d: %m", pid);
		return -1;
	}
	while ((d = readdir(tasks))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		vcpu = thread_vcpu(pid, d->d_name);
		if (vcpu < 0)
			continue;
		if (vcpu >= *nr) {
			more = realloc(*tids, (vcpu + 1) * sizeof(*more));
			if (!more)
				break;
			memset(more + *nr, 0, (vcpu + 1 - *nr) * sizeof(*more));
			*tids = more;
			*nr = vcpu + 1;
		}
		(*tids)[vcpu] = atoi(d->d_name);
	}
	closedir(tasks);
	if (d || !*nr) {
		if (!d)
			tsync_err("VM process %d: no thread named \"CPU n/KVM\" or \"CPU n/TCG\" "
				  "(is it QEMU, run with -name NAME,debug-threads=on?)", pid);
		free(*tids);
		*tids = NULL;
		*nr = 0;
		return -1;
	}
	return 0;
}
