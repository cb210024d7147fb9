// SPDX-License-Identifier: LGPL-2.1
/*
 * inspect --plot: per guest CPU, the offset (host - guest) of every
 * TIME_SHIFT sample over guest time, and the error bound of every sync
 * point as a bar around its offset.  Written as SVG; a .png name is
 * rendered from that SVG by rsvg-convert (Debian's librsvg2-bin), so both
 * pictures are the same.
 */
#include <errno.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsync/offline.h"

#define WIDTH		800
#define PANEL		220
#define MARGIN		70

extern char **environ;

/* In doubles: the file's offsets, bounds and times may span more than 64 bits */
struct frame {
	double		t0, t1;		/* guest time */
	double		lo, hi;		/* offset */
	int		top;		/* the panel's top in pixels */
};

static void widen(struct frame *fr, double lo, double hi)
{
	if (lo < fr->lo)
		fr->lo = lo;
	if (hi > fr->hi)
		fr->hi = hi;
}

/* A proven bound of CPU @nr: one to draw */
static bool drawn(const struct tsync_sync_record *l, int nr)
{
	return (int)l->cpu == nr && l->bound >= 0;
}

static struct frame frame_of(const struct tsync_samples *cpu, const struct tsync_bounds *b,
			     int nr, int top)
{
	struct tsync_sync_stats st;
	struct frame fr;
	double pad;
	int i;

	tsync_sync_stats(cpu, &st);
	fr = (struct frame){ st.first_ts, st.last_ts, st.min_offset, st.max_offset, top };
	for (i = 0; i < b->nr; i++) {
		const struct tsync_sync_record *l = &b->lines[i].r;

		if (!drawn(l, nr))
			continue;
		widen(&fr, (double)l->offset - l->bound, (double)l->offset + l->bound);
		if (l->guest_ts < fr.t0)
			fr.t0 = l->guest_ts;
		if (l->guest_ts > fr.t1)
			fr.t1 = l->guest_ts;
	}
	/* a range of at least one unit, or of one in a billion where units are lost */
	pad = fmax(1, fabs(fr.t0) * 1e-9);
	if (fr.t1 - fr.t0 < pad)
		fr.t1 = fr.t0 + pad;
	pad = fmax(1, fmax(fabs(fr.lo), fabs(fr.hi)) * 1e-9);
	if (fr.hi - fr.lo < pad) {
		fr.lo -= pad;
		fr.hi += pad;
	}
	return fr;
}

static double px(const struct frame *fr, double t)
{
	return MARGIN + (t - fr->t0) / (fr->t1 - fr->t0) * (WIDTH - 2 * MARGIN);
}

static double py(const struct frame *fr, double o)
{
	return fr->top + 20 + (fr->hi - o) / (fr->hi - fr->lo) * (PANEL - 50);
}

static void panel(FILE *out, const struct tsync_samples *cpu,
		  const struct tsync_bounds *b, int nr, int top)
{
	struct frame fr = frame_of(cpu, b, nr, top);
	int i;

	fprintf(out, "<text x='10' y='%d'>CPU %d: offset (host - guest) over guest time</text>\n",
		top + 14, nr);
	fprintf(out, "<text x='5' y='%.1f' class='axis'>%.0f</text>\n", py(&fr, fr.hi) + 4, fr.hi);
	fprintf(out, "<text x='5' y='%.1f' class='axis'>%.0f</text>\n", py(&fr, fr.lo) + 4, fr.lo);
	fprintf(out, "<text x='%d' y='%d' class='axis'>%.0f</text>\n", MARGIN, top + PANEL - 12,
		fr.t0);
	fprintf(out, "<text x='%d' y='%d' class='axis' text-anchor='end'>%.0f</text>\n",
		WIDTH - MARGIN, top + PANEL - 12, fr.t1);
	fprintf(out, "<rect x='%d' y='%d' width='%d' height='%d' class='box'/>\n", MARGIN,
		top + 20, WIDTH - 2 * MARGIN, PANEL - 50);
	for (i = 0; i < b->nr; i++) {
		const struct tsync_sync_record *l = &b->lines[i].r;

		if (!drawn(l, nr) || l->guest_ts < fr.t0 || l->guest_ts > fr.t1)
			continue;
		fprintf(out, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='bound'/>\n",
			px(&fr, l->guest_ts), px(&fr, l->guest_ts), py(&fr, (double)l->offset - l->bound),
			py(&fr, (double)l->offset + l->bound));
	}
	fprintf(out, "<polyline class='offset' points='");
	for (i = 0; i < cpu->nr; i++)
		fprintf(out, "%.1f,%.1f ", px(&fr, cpu->at[i].guest_ts),
			py(&fr, tsync_sample_offset(&cpu->at[i])));
	fprintf(out, "'/>\n");
}

static int write_svg(const char *path, const struct tsync_time_shift *ts,
		     const struct tsync_bounds *b)
{
	FILE *out = fopen(path, "w");
	int cpu;

	if (!out) {
		tsync_err("%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(out, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
		"font-family='sans-serif' font-size='12'>\n<style>.box{fill:none;stroke:#888}"
		".offset{fill:none;stroke:#1f5fbf;stroke-width:1.5}.bound{stroke:#d95f02;"
		"stroke-width:2;opacity:0.6}.axis{fill:#444;font-size:10px}</style>\n"
		"<rect width='100%%' height='100%%' fill='white'/>\n", WIDTH, PANEL * ts->cpu_count);
	for (cpu = 0; cpu < ts->cpu_count; cpu++)
		panel(out, &ts->cpus[cpu], b, cpu, cpu * PANEL);
	fprintf(out, "</svg>\n");
	if (fclose(out)) {
		tsync_err("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int render_png(const char *svg, const char *png)
{
	char *argv[] = { "rsvg-convert", "-o", (char *)png, (char *)svg, NULL };
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "rsvg-convert", NULL, NULL, argv, environ)) {
		tsync_err("%s: rsvg-convert not found (Debian's librsvg2-bin)", png);
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		tsync_err("%s: rsvg-convert failed", png);
		return -1;
	}
	return 0;
}

/**
 * tsync_plot - draw @ts's offsets and @b's bounds into @path
 * @path: ends with .svg or .png
 * @ts: the TIME_SHIFT option
 * @b: the error bound lines, maybe none
 *
 * Returns 0, or -1 after saying why.
 */
int tsync_plot(const char *path, const struct tsync_time_shift *ts, const struct tsync_bounds *b)
{
	size_t len = strlen(path);
	char tmp[4096];
	int fd, ret;

	if (len > 4 && !strcmp(path + len - 4, ".svg"))
		return write_svg(path, ts, b);
	if (len <= 4 || strcmp(path + len - 4, ".png")) {
		tsync_err("%s: the plot's name must end with .svg or .png", path);
		return -1;
	}
	/* the SVG beside the PNG, for rsvg-convert */
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX.svg", path) >= (int)sizeof(tmp)) {
		tsync_err("%s: the name is too long", path);
		return -1;
	}
	fd = mkstemps(tmp, 4);
	if (fd < 0) {
		tsync_err("%s: cannot create its SVG beside it: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	ret = write_svg(tmp, ts, b) || render_png(tmp, path);
	unlink(tmp);
	return ret ? -1 : 0;
}
