// SPDX-License-Identifier: LGPL-2.1
/*
 * inspect --plot: one picture of a guest file's sync, drawn by gnuplot
 * (Debian's gnuplot-nox), a panel per guest CPU: every TIME_SHIFT sample as
 * a point, its offset relative to the CPU's first sample over seconds from
 * the trace's start (plot-axes.c), the error bounds of tsync-ptp's sync
 * records as a band, the least-squares line with its drift in ppm.  SVG
 * or PNG, by the name's ending.
 *
 * gnuplot runs as whoever runs inspect, often root: in a directory of its
 * own made by mkdtemp(), without its init files (-d), on a script and data
 * files tsync writes there under fixed names.  No name the user chose and
 * no text of the trace file reaches the script: only numbers and tsync's
 * own words.  The picture is then copied into the user's file through
 * output-file.c, which replaces it whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tsync/offline.h"

#define WIDTH		1000
#define PANEL		260
#define TOP		40

/* The files of the work directory, by fixed names */
#define SCRIPT		"plot.gp"
#define ERRORS		"gnuplot.err"
#define PICTURE		"picture"
#define DATA_FMT	"%s-%d.dat"

extern char **environ;

static const char *const data_kinds[] = { "samples", "bounds", "fit" };

#define NR_KINDS	(sizeof(data_kinds) / sizeof(data_kinds[0]))

struct plot_dir {
	char	path[PATH_MAX];
	int	fd;		/* the directory, for the *at() calls */
	int	cpus;		/* data files written, per kind */
};

static bool ends_with(const char *s, const char *end)
{
	size_t len = strlen(s), elen = strlen(end);

	return len > elen && !strcmp(s + len - elen, end);
}

/* A file of the work directory, to write */
static FILE *dir_file(struct plot_dir *d, const char *name)
{
	int fd = openat(d->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	if (!f && fd >= 0)
		close(fd);
	return f;
}

static int dir_close(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f)) {
		tsync_err("%s: cannot write gnuplot's files: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int dir_make(struct plot_dir *d, const char *path)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || *tmp != '/' || strlen(tmp) > sizeof(d->path) - sizeof("/tsync-plot.XXXXXX"))
		tmp = "/tmp";
	snprintf(d->path, sizeof(d->path), "%s/tsync-plot.XXXXXX", tmp);
	d->cpus = 0;
	if (!mkdtemp(d->path)) {
		tsync_err("%s: cannot make a directory for gnuplot in %s: %s", path, tmp,
			  strerror(errno));
		return -1;
	}
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0) {
		tsync_err("%s: %s: %s", path, d->path, strerror(errno));
		rmdir(d->path);
		return -1;
	}
	return 0;
}

/* Remove what tsync and gnuplot wrote there, by name, then the directory */
static void dir_remove(struct plot_dir *d)
{
	char name[32];
	size_t k;
	int cpu;

	for (cpu = 0; cpu < d->cpus; cpu++) {
		for (k = 0; k < NR_KINDS; k++) {
			snprintf(name, sizeof(name), DATA_FMT, data_kinds[k], cpu);
			unlinkat(d->fd, name, 0);
		}
	}
	unlinkat(d->fd, SCRIPT, 0);
	unlinkat(d->fd, ERRORS, 0);
	unlinkat(d->fd, PICTURE, 0);
	close(d->fd);
	if (rmdir(d->path))
		tsync_info("%s: left behind: %s", d->path, strerror(errno));
}

/* A proven bound of CPU @cpu */
static bool proven(const struct tsync_bound_line *l, int cpu)
{
	return (int)l->r.cpu == cpu && l->r.bound >= 0;
}

static void axes_of(struct tsync_plot_axes *ax, const struct tsync_time_shift *ts,
		    const struct tsync_bounds *b, const struct tsync_plot_view *v)
{
	const struct tsync_samples *s;
	int cpu, i;

	tsync_plot_axes_init(ax, v->start, v->unit_ns);
	for (cpu = 0; cpu < ts->cpu_count; cpu++) {
		s = &ts->cpus[cpu];
		for (i = 0; i < s->nr; i++)
			tsync_plot_axes_reach(ax, tsync_sample_offset(&s->at[i]),
					      tsync_sample_offset(&s->at[0]), 0);
		for (i = 0; s->nr && i < b->nr; i++)
			if (proven(&b->lines[i], cpu))
				tsync_plot_axes_reach(ax, b->lines[i].r.offset,
						      tsync_sample_offset(&s->at[0]),
						      b->lines[i].r.bound);
	}
	tsync_plot_axes_done(ax);
}

static void widen(double x, bool *any, double *lo, double *hi)
{
	if (!*any || x < *lo)
		*lo = x;
	if (!*any || x > *hi)
		*hi = x;
	*any = true;
}

/* The x range of every panel: the trace's span, every sample and bound drawn */
static void x_range(const struct tsync_plot_axes *ax, const struct tsync_time_shift *ts,
		    const struct tsync_bounds *b, const struct tsync_plot_view *v,
		    double *lo, double *hi)
{
	const struct tsync_sync_record *r;
	bool any = false;
	double pad;
	int cpu, i;

	widen(tsync_plot_x(ax, v->start), &any, lo, hi);
	widen(tsync_plot_x(ax, v->end), &any, lo, hi);
	for (cpu = 0; cpu < ts->cpu_count; cpu++)
		for (i = 0; i < ts->cpus[cpu].nr; i++)
			widen(tsync_plot_x(ax, ts->cpus[cpu].at[i].guest_ts), &any, lo, hi);
	for (i = 0; i < b->nr; i++) {
		r = &b->lines[i].r;
		if ((int)r->cpu < ts->cpu_count && ts->cpus[r->cpu].nr && r->bound >= 0)
			widen(tsync_plot_x(ax, r->guest_ts), &any, lo, hi);
	}
	pad = (*hi - *lo) * 0.03;
	if (pad <= 0)
		pad = *lo ? 0.01 * (*lo < 0 ? -*lo : *lo) : 1;
	*lo -= pad;
	*hi += pad;
}

/* CPU @cpu's samples, bounds ("x y low high") and fitted line; 1 when it has a line */
static int write_data(struct plot_dir *d, const struct tsync_plot_axes *ax,
		      const struct tsync_samples *s, const struct tsync_bounds *b, int cpu,
		      const char *path)
{
	struct tsync_sync_stats st;
	FILE *f[NR_KINDS];
	char name[32];
	long long first;
	double y;
	size_t k;
	int i, ret = 0;

	for (k = 0; k < NR_KINDS; k++) {
		snprintf(name, sizeof(name), DATA_FMT, data_kinds[k], cpu);
		f[k] = dir_file(d, name);
		if (!f[k]) {
			tsync_err("%s: cannot write gnuplot's data: %s", path, strerror(errno));
			while (k--)
				fclose(f[k]);
			return -1;
		}
	}
	d->cpus = cpu + 1;
	first = s->nr ? tsync_sample_offset(&s->at[0]) : 0;
	for (i = 0; i < s->nr; i++)
		fprintf(f[0], "%.12g %.12g\n", tsync_plot_x(ax, s->at[i].guest_ts),
			tsync_plot_y(ax, tsync_sample_offset(&s->at[i]), first));
	for (i = 0; s->nr && i < b->nr; i++) {
		const struct tsync_sync_record *r = &b->lines[i].r;

		if (!proven(&b->lines[i], cpu))
			continue;
		y = tsync_plot_y(ax, r->offset, first);
		fprintf(f[1], "%.12g %.12g %.12g %.12g\n", tsync_plot_x(ax, r->guest_ts), y,
			y - r->bound * ax->y_scale, y + r->bound * ax->y_scale);
	}
	tsync_sync_stats(s, &st);
	if (st.samples > 1 && st.span) {
		fprintf(f[2], "%.12g %.12g\n", tsync_plot_x(ax, st.first_ts),
			tsync_plot_fit_y(ax, &st, s->at[0].guest_ts, st.first_ts));
		fprintf(f[2], "%.12g %.12g\n", tsync_plot_x(ax, st.last_ts),
			tsync_plot_fit_y(ax, &st, s->at[0].guest_ts, st.last_ts));
		ret = 1;
	}
	for (k = 0; k < NR_KINDS; k++)
		if (dir_close(f[k], path))
			ret = -1;
	return ret;
}

static int count_bounds(const struct tsync_bounds *b, int cpu)
{
	int i, n = 0;

	for (i = 0; i < b->nr; i++)
		n += proven(&b->lines[i], cpu);
	return n;
}

/* @s as a gnuplot string: in single quotes, which only '' escapes */
static void put_string(FILE *gp, const char *s)
{
	fputc('\'', gp);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', gp);
		fputc((unsigned char)*s < ' ' ? ' ' : *s, gp);
	}
	fputc('\'', gp);
}

/* One CPU's panel: the band under the points under the line */
static void write_panel(FILE *gp, const struct tsync_plot_axes *ax, const struct tsync_samples *s,
			const struct tsync_bounds *b, int cpu, bool line)
{
	struct tsync_sync_stats st;
	int bounds = s->nr ? count_bounds(b, cpu) : 0;
	const char *sep = "";

	tsync_sync_stats(s, &st);
	fprintf(gp, "set ylabel 'CPU %d: offset - first offset (%s)'\n", cpu, ax->y_unit);
	if (!s->nr) {
		fprintf(gp, "set label 1 'no samples' at graph 0.5, graph 0.5 center\n"
			"plot [][-1:1] NaN notitle\nunset label 1\n");
		return;
	}
	fprintf(gp, "plot ");
	if (bounds) {
		fprintf(gp, "'bounds-%d.dat' using 1:3:4 with filledcurves fc rgb '#fdb863' "
			"fs transparent solid 0.5 noborder title 'error bound of %d sync records', "
			"'' using 1:2:3:4 with yerrorbars pt -1 lc rgb '#e08214' notitle", cpu,
			bounds);
		sep = ", ";
	}
	fprintf(gp, "%s'samples-%d.dat' using 1:2 with points pt 7 ps 0.6 lc rgb '#2166ac' "
		"title '%d samples'", sep, cpu, s->nr);
	/* two samples make the line: no jitter about it to tell */
	if (line && s->nr > 2)
		fprintf(gp, ", 'fit-%d.dat' using 1:2 with lines lw 2 lc rgb '#b2182b' "
			"title 'fit: drift %+.3f ppm, jitter %.3g %s'", cpu, st.drift_ppm,
			st.jitter * ax->y_scale, ax->y_unit);
	else if (line)
		fprintf(gp, ", 'fit-%d.dat' using 1:2 with lines lw 2 lc rgb '#b2182b' "
			"title 'drift %+.3f ppm'", cpu, st.drift_ppm);
	fprintf(gp, "\n");
}

static int write_script(struct plot_dir *d, const struct tsync_plot_axes *ax,
			const struct tsync_time_shift *ts, const struct tsync_bounds *b,
			const struct tsync_plot_view *v, bool png, const int *lines,
			const char *path)
{
	FILE *gp = dir_file(d, SCRIPT);
	char title[200];
	double lo, hi;
	int cpu;

	if (!gp) {
		tsync_err("%s: cannot write gnuplot's script: %s", path, strerror(errno));
		return -1;
	}
	x_range(ax, ts, b, v, &lo, &hi);
	if (png)
		fprintf(gp, "set terminal pngcairo size %d,%d font 'sans,10'\n", WIDTH,
			TOP + PANEL * ts->cpu_count);
	else
		fprintf(gp, "set terminal svg size %d,%d font 'sans,11' background rgb 'white'\n",
			WIDTH, TOP + PANEL * ts->cpu_count);
	snprintf(title, sizeof(title), "TIME_SHIFT by %s, clock %s%s: each guest CPU's offset "
		 "(host - guest) relative to its first sample", v->protocol, v->clock,
		 v->measured ? " at this machine's TSC rate" : "");
	fprintf(gp, "set termoption noenhanced\nset output '" PICTURE "'\n"
		"set multiplot layout %d,1 title ", ts->cpu_count);
	put_string(gp, title);
	fprintf(gp, "\nset grid\nset key tmargin center horizontal samplen 2 width -6\nset xrange [%.12g:%.12g]\n"
		"set xlabel 'time from the start of the trace (%s)'\n", lo, hi, ax->x_unit);
	/*
	 * The trace's span: sync points outside it have no record in the trace.
	 * The labels at two heights, as a short trace brings them together.
	 */
	fprintf(gp, "set arrow 1 from 0, graph 0 to 0, graph 1 nohead dt 2 lc rgb '#555555'\n"
		"set label 2 'trace starts' at 0, graph 0.95 left offset 0.5,0 tc rgb '#555555'\n");
	if (v->end > v->start)
		fprintf(gp, "set arrow 3 from %.12g, graph 0 to %.12g, graph 1 nohead dt 2 "
			"lc rgb '#555555'\nset label 4 'trace ends' at %.12g, graph 0.87 right "
			"offset -0.5,0 tc rgb '#555555'\n", tsync_plot_x(ax, v->end),
			tsync_plot_x(ax, v->end), tsync_plot_x(ax, v->end));
	for (cpu = 0; cpu < ts->cpu_count; cpu++)
		write_panel(gp, ax, &ts->cpus[cpu], b, cpu, lines[cpu] > 0);
	fprintf(gp, "unset multiplot\n");
	return dir_close(gp, path);
}

/* gnuplot on the script, in the work directory; 0 when it drew the picture */
static int run_gnuplot(struct plot_dir *d, const char *path)
{
	char *argv[] = { "gnuplot", "-d", SCRIPT, NULL };
	posix_spawn_file_actions_t fa;
	char why[200] = "";
	int status, err, fd;
	ssize_t n;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, d->path);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, ERRORS, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		tsync_err("%s: cannot draw it: %s", path, err == ENOENT ?
			  "gnuplot not found (install Debian's gnuplot-nox: make deps)" :
			  strerror(err));
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0)
		status = -1;
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	fd = openat(d->fd, ERRORS, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? 0 : read(fd, why, sizeof(why) - 1);
	if (fd >= 0)
		close(fd);
	why[n > 0 ? n : 0] = '\0';
	/* its last words, on one line */
	for (char *p = why; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	tsync_err("%s: gnuplot failed (%s %d)%s%s", path,
		  WIFSIGNALED(status) ? "signal" : "status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		  *why ? ": " : "", why);
	return -1;
}

/* gnuplot's picture into the new file of @o */
static int copy_picture(struct plot_dir *d, struct tsync_output *o, const char *path)
{
	char buf[65536];
	int fd = openat(d->fd, PICTURE, O_RDONLY | O_CLOEXEC);
	ssize_t n, done = 0;

	if (fd < 0) {
		tsync_err("%s: gnuplot wrote no picture", path);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (write(o->fd, buf, n) != n) {
			n = -1;
			break;
		}
		done += n;
	}
	if (n < 0 || !done)
		tsync_err("%s: %s", path, n < 0 ? strerror(errno) : "gnuplot wrote an empty picture");
	close(fd);
	return n < 0 || !done ? -1 : 0;
}

static int draw(struct plot_dir *d, struct tsync_output *o, const char *path,
		const struct tsync_time_shift *ts, const struct tsync_bounds *b,
		const struct tsync_plot_view *v, bool png)
{
	struct tsync_plot_axes ax;
	int *lines, cpu, ret = 0;

	lines = calloc(ts->cpu_count ? ts->cpu_count : 1, sizeof(*lines));
	if (!lines) {
		tsync_err("%s: out of memory", path);
		return -1;
	}
	axes_of(&ax, ts, b, v);
	for (cpu = 0; !ret && cpu < ts->cpu_count; cpu++) {
		lines[cpu] = write_data(d, &ax, &ts->cpus[cpu], b, cpu, path);
		ret = lines[cpu] < 0;
	}
	if (!ret)
		ret = write_script(d, &ax, ts, b, v, png, lines, path) || run_gnuplot(d, path) ||
		      copy_picture(d, o, path);
	free(lines);
	return ret ? -1 : 0;
}

/**
 * tsync_plot - draw @ts's samples and @b's bounds into @path
 * @path: ends with .svg or .png; replaced whole, or left as it was
 * @ts: the TIME_SHIFT option
 * @b: the sync records, maybe none
 * @v: the file's clock and start
 *
 * Returns 0, or -1 after saying why.
 */
int tsync_plot(const char *path, const struct tsync_time_shift *ts, const struct tsync_bounds *b,
	       const struct tsync_plot_view *v)
{
	bool png = ends_with(path, ".png");
	struct tsync_output o;
	struct plot_dir d;
	int ret;

	if (!png && !ends_with(path, ".svg")) {
		tsync_err("%s: the plot's name must end with .svg or .png", path);
		return -1;
	}
	if (tsync_output_begin(&o, path))
		return -1;
	if (dir_make(&d, path)) {
		tsync_output_abort(&o);
		return -1;
	}
	ret = draw(&d, &o, path, ts, b, v, png);
	dir_remove(&d);
	if (ret) {
		tsync_output_abort(&o);
		return -1;
	}
	return tsync_output_commit(&o);
}
