// SPDX-License-Identifier: LGPL-2.1
/*
 * A guest that stops answering must not hold "record -A" for ever.
 *
 * trace-cmd 3.1.6 ends a session by sending each guest a close request and
 * reading its answer with no time limit; a guest whose agent is stopped,
 * whose kernel is frozen or whose network is cut leaves it there, its
 * recorders writing on.  This thread watches the guests' connections of
 * the record process and, when a guest that owes an answer has been silent
 * past the bound (--tsync-timeout), shuts down the record process's
 * connections to it: trace-cmd's reads there end, and it goes on to stop
 * its recorders and save the host's trace, the guest's file with what came
 * and the samples taken so far.  Guests are told apart by their address.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>	/* tcp_info with its byte counts */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tsync/plugin.h"

#define WATCH_TICK_US	250000
#define WATCH_PEERS	64

struct watched_peer {
	struct tsync_conn	*control;	/* the first connection to it */
	char			name[INET6_ADDRSTRLEN + 8];
	struct tsync_peer_wait	wait;
	bool			had_data;	/* its data connections came */
	bool			done;		/* its session ended, or was cut */
};

static struct watched_peer peers[WATCH_PEERS];
static int nr_peers;
static int watch_pid;
static long long bound_ms;

static const void *peer_addr(const struct sockaddr_storage *ss, size_t *len, in_port_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		*len = sizeof(in->sin_addr);
		*port = in->sin_port;
		return &in->sin_addr;
	}
	const struct sockaddr_in6 *in6 = (const void *)ss;

	*len = sizeof(in6->sin6_addr);
	*port = in6->sin6_port;
	return &in6->sin6_addr;
}

static bool same_guest(const struct tsync_conn *a, const struct tsync_conn *b)
{
	return tsync_same_peer(&a->peer, &b->peer, false);
}

static void peer_name(struct watched_peer *p)
{
	char addr[INET6_ADDRSTRLEN];
	in_port_t port;
	size_t len;
	const void *a = peer_addr(&p->control->peer, &len, &port);

	if (!inet_ntop(p->control->peer.ss_family, a, addr, sizeof(addr)))
		strcpy(addr, "?");
	snprintf(p->name, sizeof(p->name), "%s:%u", addr, ntohs(port));
}

/* New guests among the record process's connections, in table order */
static void find_peers(int *seen)
{
	struct tsync_conn *c;
	int i;

	for (; (c = tsync_conns_get(*seen)); (*seen)++) {
		if (c->pid != watch_pid)
			continue;
		for (i = 0; i < nr_peers; i++)
			if (same_guest(peers[i].control, c))
				break;
		if (i < nr_peers || nr_peers == WATCH_PEERS)
			continue;
		peers[nr_peers].control = c;
		tsync_peer_wait_init(&peers[nr_peers].wait);
		peer_name(&peers[nr_peers++]);
	}
}

/*
 * A look at all of the peer's connections: its last bytes on any, in ms
 * (and on its data connections in *@data_ago); whether its bytes wait for
 * the record process to read them.
 */
static long long heard_ago(struct watched_peer *p, long long *data_ago, bool *unread)
{
	long long ago = -1;
	struct tcp_info info;
	struct tsync_conn *c;
	int i;

	*data_ago = -1;
	*unread = false;
	for (i = 0; (c = tsync_conns_get(i)); i++) {
		if (!same_guest(p->control, c) || tsync_conns_info(c, &info))
			continue;
		if (ago < 0 || info.tcpi_last_data_recv < ago)
			ago = info.tcpi_last_data_recv;
		if (c->pid == watch_pid) {
			*unread |= tsync_conns_unread(c);
			continue;
		}
		p->had_data = true;
		if (*data_ago < 0 || info.tcpi_last_data_recv < *data_ago)
			*data_ago = info.tcpi_last_data_recv;
	}
	return ago;
}

static void cut(struct watched_peer *p, const struct tcp_info *control, long long silent_ms,
		long long data_at)
{
	struct tsync_peer_facts facts = {
		.answered_once = control->tcpi_bytes_received > 0,
		.starting = !p->had_data,
		.sending_data = data_at > p->wait.asked,
		.unacknowledged = control->tcpi_unacked > 0 || control->tcpi_notsent_bytes > 0 ||
				  control->tcpi_bytes_acked < p->wait.sent,
	};
	struct tsync_conn *c;
	char why[384];
	int i;

	tsync_peer_describe(why, sizeof(why), p->name, &facts, silent_ms);
	tsync_err("%s: the host cuts its connections to end the record with what it has "
		  "(--tsync-timeout %lld)", why, bound_ms / 1000);
	for (i = 0; (c = tsync_conns_get(i)); i++)
		if (c->pid == watch_pid && same_guest(p->control, c))
			tsync_conns_cut(c);
	p->done = true;
}

static void watch_peer(struct watched_peer *p)
{
	enum tsync_peer_verdict verdict;
	struct tsync_peer_look look;
	struct tcp_info control;
	long long silent_ms, data_ago;

	/* trace-cmd closed it: the session with this guest is over */
	if (tsync_conns_info(p->control, &control)) {
		p->done = true;
		return;
	}
	look.now = tsync_mono_ms();
	look.sent = control.tcpi_bytes_sent - control.tcpi_bytes_retrans;
	look.received = control.tcpi_bytes_received;
	look.sent_ago = control.tcpi_last_data_sent;
	look.received_ago = control.tcpi_last_data_recv;
	/*
	 * A guest that owed nothing and was asked nothing new still owes
	 * nothing, whatever its other connections say: they are the
	 * recorders', each a pidfd_getfd() away, and the trace's whole length
	 * passes so (a look at them all took some 200 us a tick)
	 */
	data_ago = -1;
	look.heard_ago = p->wait.heard < 0 ? -1 : look.now - p->wait.heard;
	look.unread = false;
	if (!p->had_data || p->wait.asked >= 0 || look.sent != p->wait.sent)
		look.heard_ago = heard_ago(p, &data_ago, &look.unread);
	look.starting = !p->had_data;
	verdict = tsync_peer_look(&p->wait, &look, bound_ms, &silent_ms);
	if (verdict == TSYNC_PEER_SILENT)
		cut(p, &control, silent_ms, data_ago < 0 ? -1 : look.now - data_ago);
	else if (verdict == TSYNC_PEER_ANSWERING && silent_ms >= 1000 && silent_ms < 1250)
		tsync_debug("waiting on guest %s: silent for 1 s", p->name);
}

static void *watch_loop(void *arg)
{
	int seen = 0, i;

	(void)arg;
	for (;;) {
		usleep(WATCH_TICK_US);
		find_peers(&seen);
		for (i = 0; i < nr_peers; i++)
			if (!peers[i].done)
				watch_peer(&peers[i]);
	}
	return NULL;
}

/* record or stream with guests (-A): the commands that wait on them */
static bool records_guests(void)
{
	char args[4096];
	bool record = false, guests = false;
	ssize_t len;
	size_t pos;
	FILE *f = fopen("/proc/self/cmdline", "r");

	if (!f)
		return false;
	len = fread(args, 1, sizeof(args) - 1, f);
	fclose(f);
	if (len <= 0)
		return false;
	args[len] = '\0';
	pos = strlen(args) + 1;		/* trace-cmd itself */
	if (pos < (size_t)len)
		record = !strcmp(args + pos, "record") || !strcmp(args + pos, "stream");
	for (; pos < (size_t)len; pos += strlen(args + pos) + 1)
		guests |= !strncmp(args + pos, "-A", 2);
	return record && guests;
}

/**
 * tsync_watch_arm - watch the guests of this record, if it has any
 * @timeout_s: the bound, in seconds; 0: wait for them for ever
 *
 * The table of connections is kept whatever the bound: it also tells a
 * sync session's guest (tsync_conns_control()).
 */
void tsync_watch_arm(int timeout_s)
{
	if (!records_guests() || tsync_conns_open())
		return;
	bound_ms = timeout_s * 1000LL;
	watch_pid = getpid();
}

/* tsync_watch_connected - @fd connected: watched, if to a guest of this record */
void tsync_watch_connected(int fd)
{
	static bool started;
	sigset_t all, old;
	pthread_t thread;

	if (!watch_pid || !tsync_conns_add(fd) || getpid() != watch_pid || !bound_ms || started)
		return;
	started = true;
	/*
	 * trace-cmd's signals (SIGINT ends the record) must reach its own
	 * threads: a handler run here would leave its main thread asleep
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&thread, NULL, watch_loop, NULL))
		tsync_err("cannot watch the guests: a guest that stops answering will hold record");
	else
		pthread_detach(thread);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
