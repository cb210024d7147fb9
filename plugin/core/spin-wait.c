// SPDX-License-Identifier: LGPL-2.1
/*
 * Whether a wait for the peer's next probe message spins before it sleeps.
 *
 * The answer to a probe comes within microseconds when the peer runs on
 * another CPU; sleeping for it costs a wake-up on each side, an
 * inter-processor interrupt to an idle CPU (on a 2-CPU virtual machine, a
 * loopback round trip of 127 us instead of 12, and four times the CPU).
 * A peer on the same CPU, though, cannot answer while the waiter spins: a
 * spin that saw nothing makes the next wait sleep, and each further spin in
 * vain twice as many, up to TSYNC_SPIN_MAX_SKIP; an answer seen while
 * spinning starts over.
 */
#include "tsync/core.h"

/**
 * tsync_spin_now - whether this wait spins first
 * @s: the waits so far
 */
bool tsync_spin_now(struct tsync_spin *s)
{
	if (!s->skip)
		return true;
	s->skip--;
	return false;
}

/**
 * tsync_spin_done - what a spin saw
 * @s: the waits so far
 * @answered: the message arrived while it spun
 */
void tsync_spin_done(struct tsync_spin *s, bool answered)
{
	if (answered) {
		s->vain = 0;
		return;
	}
	s->vain = s->vain ? 2 * s->vain : 1;
	if (s->vain > TSYNC_SPIN_MAX_SKIP)
		s->vain = TSYNC_SPIN_MAX_SKIP;
	s->skip = s->vain;
}
