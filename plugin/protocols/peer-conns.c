// SPDX-License-Identifier: LGPL-2.1
/*
 * The TCP connections of "record -A" to its guests: the control and the
 * time-sync connections of the record process, and the data connections of
 * its recorders, which trace-cmd forks before they connect.  Each connect()
 * leaves an entry in a table that every process of the record shares (a
 * shared mapping made before the first fork), so that the record process
 * can read the state of any of them and cut its own.
 */
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>	/* tcp_info with its byte counts */
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tsync/plugin.h"

struct tsync_conns {
	atomic_int		count;		/* entries taken, some maybe not ready */
	struct tsync_conn	conn[TSYNC_CONNS_MAX];
};

static struct tsync_conns *conns;

int tsync_conns_open(void)
{
	void *map = mmap(NULL, sizeof(*conns), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (map == MAP_FAILED)
		return -1;
	conns = map;
	return 0;
}

static unsigned long socket_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	return st.st_ino;
}

/**
 * tsync_conns_add - note a connected socket, if TCP and the table is open
 * @fd: the socket, just connected
 *
 * Returns the entry, or NULL when not noted.
 */
struct tsync_conn *tsync_conns_add(int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int type, slot;
	socklen_t tlen = sizeof(type);
	struct tsync_conn *c;

	if (!conns || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 ||
	    type != SOCK_STREAM || getpeername(fd, (struct sockaddr *)&peer, &len) < 0 ||
	    (peer.ss_family != AF_INET && peer.ss_family != AF_INET6))
		return NULL;
	slot = atomic_fetch_add(&conns->count, 1);
	if (slot >= TSYNC_CONNS_MAX)
		return NULL;
	c = &conns->conn[slot];
	c->pid = getpid();
	c->fd = fd;
	c->ino = socket_inode(fd);
	c->peer = peer;
	atomic_store_explicit(&c->ready, 1, memory_order_release);
	return c;
}

/**
 * tsync_same_peer - are @a and @b one address?
 * @a: a peer, AF_INET or AF_INET6
 * @b: another
 * @port: and one port
 */
bool tsync_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
		     bool port)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr &&
		       (!port || a4->sin_port == b4->sin_port);
	return a->ss_family == AF_INET6 &&
	       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) &&
	       (!port || a6->sin6_port == b6->sin6_port);
}

/**
 * tsync_conns_control - the control connection of the guest that @fd talks to
 * @fd: a sync connection of this process, to a network guest
 *
 * trace-cmd connects to one guest's agent, then to the sync port it
 * answers with, before the next guest: the connection this process made
 * just before @fd's is that guest's agent, ADDR:PORT of its -A.
 * Returns the entry, or NULL when the table has none for @fd.
 */
const struct tsync_conn *tsync_conns_control(int fd)
{
	const struct tsync_conn *c, *before = NULL;
	unsigned long ino = socket_inode(fd);
	int i;

	for (i = 0; ino && (c = tsync_conns_get(i)); i++) {
		if (c->pid != getpid())
			continue;
		if (c->fd == fd && c->ino == ino)
			return before && tsync_same_peer(&before->peer, &c->peer, false) ?
			       before : NULL;
		before = c;
	}
	return NULL;
}

/* tsync_conns_get - entry @i, or NULL when there is none (yet) */
struct tsync_conn *tsync_conns_get(int i)
{
	int n;

	if (!conns)
		return NULL;
	n = atomic_load(&conns->count);
	if (i >= n || i >= TSYNC_CONNS_MAX ||
	    !atomic_load_explicit(&conns->conn[i].ready, memory_order_acquire))
		return NULL;
	return &conns->conn[i];
}

/*
 * A descriptor of this process for @c's socket: its own, or a copy taken
 * from the recorder that holds it.  -1 once the socket is closed.
 */
static int conn_fd(const struct tsync_conn *c, bool *copy)
{
	int pidfd, fd;

	*copy = c->pid != getpid();
	if (!*copy)
		return socket_inode(c->fd) == c->ino ? c->fd : -1;
	pidfd = syscall(SYS_pidfd_open, c->pid, 0);
	if (pidfd < 0)
		return -1;
	fd = syscall(SYS_pidfd_getfd, pidfd, c->fd, 0);
	close(pidfd);
	if (fd >= 0 && socket_inode(fd) != c->ino) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/**
 * tsync_conns_info - TCP's state of @c's socket
 * @c: the entry
 * @info: filled
 *
 * Returns 0, or -1 when the socket is closed.
 */
int tsync_conns_info(const struct tsync_conn *c, struct tcp_info *info)
{
	socklen_t len = sizeof(*info);
	bool copy;
	int fd = conn_fd(c, &copy);
	int ret;

	if (fd < 0)
		return -1;
	memset(info, 0, sizeof(*info));
	ret = getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len);
	if (copy)
		close(fd);
	return ret < 0 ? -1 : 0;
}

/* tsync_conns_unread - whether bytes wait in @c's socket for its reader */
bool tsync_conns_unread(const struct tsync_conn *c)
{
	bool copy;
	int fd = conn_fd(c, &copy), bytes = 0;

	if (fd < 0)
		return false;
	if (ioctl(fd, SIOCINQ, &bytes) < 0)
		bytes = 0;
	if (copy)
		close(fd);
	return bytes > 0;
}

/* tsync_conns_cut - end @c's connection: its reader gets end of file */
void tsync_conns_cut(const struct tsync_conn *c)
{
	bool copy;
	int fd = conn_fd(c, &copy);

	if (fd < 0)
		return;
	shutdown(fd, SHUT_RDWR);
	if (copy)
		close(fd);
}
