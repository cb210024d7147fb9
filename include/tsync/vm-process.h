/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * A VM's process on this host, as the user names it (a pid or QEMU's
 * -name), and the threads that run its vCPUs.  Shared by the plugin
 * (tsync-kvm's --tsync-vm) and the offline tool (apply --vcpu-threads).
 */
#ifndef _TSYNC_VM_PROCESS_H
#define _TSYNC_VM_PROCESS_H

#include "core.h"

int tsync_vm_pid(const char *spec, const char *opt) __hidden;
int tsync_vm_vcpu_threads(int pid, int **tids, int *nr) __hidden;

#endif /* _TSYNC_VM_PROCESS_H */
