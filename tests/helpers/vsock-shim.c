// SPDX-License-Identifier: LGPL-2.1
/*
 * vsock-shim.so: a test double of AF_VSOCK, for the tests only.
 *
 * This machine has neither vhost-vsock nor vsock loopback, so the tests
 * carry trace-cmd's vsock connections over AF_UNIX stream sockets.  Every
 * vsock endpoint is a socket file TSYNC_VSOCK_DIR/CID.PORT: a listener's is
 * the port it binds, a connecting socket's an ephemeral port of its own.
 * The kernel then knows both ends of each connection, and getsockname()
 * and getpeername() turn the paths back into sockaddr_vm.  Each process
 * group has its CID from TSYNC_VSOCK_CID (default 2, the host); the
 * trace-cmd it runs in (host, agent, the agent's handler, the recorders)
 * calls the functions below as it would the kernel's vsock:
 *
 *	socket(AF_VSOCK)		an AF_UNIX socket of the same type,
 *					known as a vsock through dup and close
 *	bind(CID_ANY or own CID, PORT)	DIR/CID.PORT; PORT_ANY picks a free one
 *	connect(CID, PORT)		to DIR/CID.PORT from an ephemeral port;
 *					port -1 (trace-cmd's find_pid_by_cid)
 *					fails, after waking DIR/CID.kick if some
 *					test VM listens there
 *	accept, getsockname,		sockaddr_vm of both ends
 *	getpeername
 *	open("/dev/vsock") + ioctl	IOCTL_VM_SOCKETS_GET_LOCAL_CID: the CID
 *	splice() from an unconnected	ENOTCONN, as a kernel whose vsock can
 *	vsock socket			splice (trace-cmd's probe); connected
 *					ones are real AF_UNIX sockets and splice
 *
 * Not emulated: the virtio transport's delays and credit flow control (an
 * AF_UNIX socket buffers differently), vhost's thread between a connect and
 * the vCPU it wakes, virtio-serial FIFOs, a CID the kernel ties to a VM,
 * vsock's own socket options, datagram vsock.
 *
 * Listed in LD_PRELOAD after tsync.so, so that tsync's own wrappers of
 * connect() and accept() run first and see vsock addresses.  Without
 * TSYNC_VSOCK_DIR every call goes to the C library untouched.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <linux/vm_sockets.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SHIM_MAX_FD		65536
/* Where ephemeral and PORT_ANY ports start, as the kernel's vsock does */
#define SHIM_PORT_FIRST		1024
#define SHIM_PORT_TRIES		1000

/* Descriptors made by socket(AF_VSOCK) in this process */
static unsigned char vsock_fds[SHIM_MAX_FD / 8];

#define REAL(name) ({							\
	static typeof(name) *real_##name;				\
	if (!real_##name)						\
		real_##name = (typeof(name) *)dlsym(RTLD_NEXT, #name);	\
	real_##name; })

static const char *vsock_dir(void)
{
	const char *dir = getenv("TSYNC_VSOCK_DIR");

	return dir && *dir ? dir : NULL;
}

static unsigned int own_cid(void)
{
	const char *cid = getenv("TSYNC_VSOCK_CID");

	return cid && *cid ? strtoul(cid, NULL, 10) : VMADDR_CID_HOST;
}

static void mark_fd(int fd, bool vsock)
{
	if (fd < 0 || fd >= SHIM_MAX_FD)
		return;
	if (vsock)
		vsock_fds[fd / 8] |= 1 << (fd % 8);
	else
		vsock_fds[fd / 8] &= ~(1 << (fd % 8));
}

static bool is_vsock_fd(int fd)
{
	return fd >= 0 && fd < SHIM_MAX_FD && (vsock_fds[fd / 8] & (1 << (fd % 8)));
}

/* The socket file of (@cid, @port); -1 with ENAMETOOLONG if it cannot be */
static int endpoint_path(unsigned int cid, unsigned int port, const char *suffix,
			 struct sockaddr_un *un)
{
	int n;

	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	if (port == VMADDR_PORT_ANY)
		n = snprintf(un->sun_path, sizeof(un->sun_path), "%s/%u%s", vsock_dir(), cid,
			     suffix);
	else
		n = snprintf(un->sun_path, sizeof(un->sun_path), "%s/%u.%u%s", vsock_dir(), cid,
			     port, suffix);
	if (n >= (int)sizeof(un->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* A socket file of ours back into its sockaddr_vm; false if it is none */
static bool path_to_vm(const struct sockaddr_un *un, socklen_t len, struct sockaddr_vm *vm)
{
	const char *dir = vsock_dir();
	size_t dlen = dir ? strlen(dir) : 0;
	unsigned int cid, port;
	char end;

	if (!dir || un->sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path) ||
	    strncmp(un->sun_path, dir, dlen) || un->sun_path[dlen] != '/' ||
	    sscanf(un->sun_path + dlen + 1, "%u.%u%c", &cid, &port, &end) != 2)
		return false;
	memset(vm, 0, sizeof(*vm));
	vm->svm_family = AF_VSOCK;
	vm->svm_cid = cid;
	vm->svm_port = port;
	return true;
}

/* Copy @vm out as the socket calls do: truncated to *@len, *@len the full size */
static void give_vm(const struct sockaddr_vm *vm, struct sockaddr *addr, socklen_t *len)
{
	if (addr && len) {
		memcpy(addr, vm, *len < sizeof(*vm) ? *len : sizeof(*vm));
		*len = sizeof(*vm);
	}
}

/* A listener left by a process that is gone: its file refuses connections */
static bool stale(const struct sockaddr_un *un)
{
	int fd = REAL(socket)(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool dead;

	if (fd < 0)
		return false;
	dead = REAL(connect)(fd, (const struct sockaddr *)un, sizeof(*un)) &&
	       errno == ECONNREFUSED;
	close(fd);
	return dead;
}

static int bind_port(int fd, unsigned int cid, unsigned int port)
{
	struct sockaddr_un un;

	if (endpoint_path(cid, port, "", &un))
		return -1;
	if (!REAL(bind)(fd, (struct sockaddr *)&un, sizeof(un)))
		return 0;
	if (errno != EADDRINUSE || !stale(&un))
		return -1;
	unlink(un.sun_path);
	return REAL(bind)(fd, (struct sockaddr *)&un, sizeof(un));
}

/* PORT_ANY: a free port, from a random start so that processes rarely collide */
static int bind_any(int fd, unsigned int cid)
{
	struct sockaddr_un un;
	unsigned int port;
	int i;

	/* not random(): that would reseed the program's own generator */
	port = SHIM_PORT_FIRST + (getpid() * 2654435761u + time(NULL)) % 60000;
	for (i = 0; i < SHIM_PORT_TRIES; i++, port++) {
		if (endpoint_path(cid, port, "", &un))
			return -1;
		if (!REAL(bind)(fd, (struct sockaddr *)&un, sizeof(un)))
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	return -1;
}

/* Wake the test VM of @cid, whose vCPU thread then runs (find_pid_by_cid) */
static void kick(unsigned int cid)
{
	struct sockaddr_un un;
	int fd;

	if (endpoint_path(cid, VMADDR_PORT_ANY, ".kick", &un))
		return;
	fd = REAL(socket)(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "k", 1, MSG_DONTWAIT, (struct sockaddr *)&un, sizeof(un));
	close(fd);
}

int socket(int domain, int type, int protocol)
{
	int fd;

	if (domain != AF_VSOCK || !vsock_dir())
		return REAL(socket)(domain, type, protocol);
	fd = REAL(socket)(AF_UNIX, type, 0);
	mark_fd(fd, fd >= 0);
	return fd;
}

int close(int fd)
{
	mark_fd(fd, false);
	return REAL(close)(fd);
}

/* A copy of a vsock is a vsock; a copy onto one replaces it */
int dup(int fd)
{
	int ret = REAL(dup)(fd);

	mark_fd(ret, is_vsock_fd(fd));
	return ret;
}

int dup2(int fd, int to)
{
	int ret = REAL(dup2)(fd, to);

	mark_fd(ret, is_vsock_fd(fd));
	return ret;
}

int dup3(int fd, int to, int flags)
{
	int ret = REAL(dup3)(fd, to, flags);

	mark_fd(ret, is_vsock_fd(fd));
	return ret;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_vm *vm = (const struct sockaddr_vm *)addr;
	unsigned int cid = own_cid();

	if (!vsock_dir() || !addr || addr->sa_family != AF_VSOCK)
		return REAL(bind)(fd, addr, len);
	if (len < sizeof(*vm)) {
		errno = EINVAL;
		return -1;
	}
	if (vm->svm_cid != VMADDR_CID_ANY && vm->svm_cid != cid &&
	    vm->svm_cid != VMADDR_CID_LOCAL) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	if (vm->svm_port == VMADDR_PORT_ANY)
		return bind_any(fd, cid);
	return bind_port(fd, cid, vm->svm_port);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	const struct sockaddr_vm *vm = (const struct sockaddr_vm *)addr;
	struct sockaddr_un un, self;
	socklen_t slen = sizeof(self);
	unsigned int cid;

	if (!vsock_dir() || !addr || addr->sa_family != AF_VSOCK)
		return REAL(connect)(fd, addr, len);
	if (len < sizeof(*vm)) {
		errno = EINVAL;
		return -1;
	}
	cid = vm->svm_cid == VMADDR_CID_LOCAL ? own_cid() : vm->svm_cid;
	if (vm->svm_port == VMADDR_PORT_ANY) {
		/* no one listens on port -1: the peer resets, as virtio's does */
		kick(cid);
		errno = ECONNRESET;
		return -1;
	}
	/* the kernel binds a connecting vsock to an ephemeral port */
	if (REAL(getsockname)(fd, (struct sockaddr *)&self, &slen))
		return -1;
	if (slen <= offsetof(struct sockaddr_un, sun_path) && bind_any(fd, own_cid()))
		return -1;
	if (endpoint_path(cid, vm->svm_port, "", &un))
		return -1;
	if (!REAL(connect)(fd, (struct sockaddr *)&un, sizeof(un)))
		return 0;
	if (errno == ENOENT || errno == ECONNREFUSED)
		errno = ECONNRESET;
	return -1;
}

/* Both ends of an accepted connection are ours: @fd is a vsock then */
static int accepted(int fd, struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_un un;
	struct sockaddr_vm vm;
	socklen_t ulen = sizeof(un);

	if (fd < 0 || REAL(getpeername)(fd, (struct sockaddr *)&un, &ulen) ||
	    !path_to_vm(&un, ulen, &vm))
		return fd;
	mark_fd(fd, true);
	give_vm(&vm, addr, len);
	return fd;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	if (!vsock_dir() || !is_vsock_fd(fd))
		return REAL(accept)(fd, addr, len);
	return accepted(REAL(accept)(fd, NULL, NULL), addr, len);
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (!vsock_dir() || !is_vsock_fd(fd))
		return REAL(accept4)(fd, addr, len, flags);
	return accepted(REAL(accept4)(fd, NULL, NULL, flags), addr, len);
}

static int vsock_name(int (*real)(int, struct sockaddr *, socklen_t *), int fd,
		      struct sockaddr *addr, socklen_t *len)
{
	struct sockaddr_un un;
	struct sockaddr_vm vm;
	socklen_t ulen = sizeof(un);

	if (!vsock_dir() || !is_vsock_fd(fd))
		return real(fd, addr, len);
	if (real(fd, (struct sockaddr *)&un, &ulen))
		return -1;
	/* the descriptor was replaced behind our back: not a vsock any more */
	if (un.sun_family != AF_UNIX)
		return real(fd, addr, len);
	if (!path_to_vm(&un, ulen, &vm)) {
		/* a vsock not bound yet: the kernel says CID_ANY, PORT_ANY */
		memset(&vm, 0, sizeof(vm));
		vm.svm_family = AF_VSOCK;
		vm.svm_cid = VMADDR_CID_ANY;
		vm.svm_port = VMADDR_PORT_ANY;
	}
	give_vm(&vm, addr, len);
	return 0;
}

int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return vsock_name(REAL(getsockname), fd, addr, len);
}

int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return vsock_name(REAL(getpeername), fd, addr, len);
}

ssize_t splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
	       unsigned int flags)
{
	ssize_t ret = REAL(splice)(fd_in, off_in, fd_out, off_out, len, flags);
	struct sockaddr_un un;
	socklen_t ulen = sizeof(un);

	/* AF_UNIX says EINVAL where a vsock that can splice says ENOTCONN */
	if (ret < 0 && errno == EINVAL && is_vsock_fd(fd_in) &&
	    REAL(getpeername)(fd_in, (struct sockaddr *)&un, &ulen) && errno == ENOTCONN)
		errno = ENOTCONN;
	return ret;
}

/* The mode that open() takes after its flags, with O_CREAT or O_TMPFILE */
#define OPEN_MODE(flags) ({						\
	mode_t mode = 0;						\
	va_list ap;							\
	if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) {	\
		va_start(ap, flags);					\
		mode = va_arg(ap, mode_t);				\
		va_end(ap);						\
	}								\
	mode; })

/* /dev/vsock: a stand-in that only answers the local-CID ioctl */
static int open_via(int (*real)(const char *, int, ...), const char *path, int flags,
		    mode_t mode)
{
	if (vsock_dir() && !strcmp(path, "/dev/vsock"))
		return real("/dev/null", flags & O_CLOEXEC);
	return real(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	return open_via(REAL(open), path, flags, OPEN_MODE(flags));
}

int open64(const char *path, int flags, ...)
{
	return open_via(REAL(open64), path, flags, OPEN_MODE(flags));
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (vsock_dir() && request == IOCTL_VM_SOCKETS_GET_LOCAL_CID && arg) {
		*(unsigned int *)arg = own_cid();
		return 0;
	}
	return REAL(ioctl)(fd, request, arg);
}
