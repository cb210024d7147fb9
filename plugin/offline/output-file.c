// SPDX-License-Identifier: LGPL-2.1
/*
 * A file replaced whole or not at all.  The new contents go to a temporary
 * file beside the target, which is renamed over it only once complete:
 * an interruption or a full disk at any write leaves the target as it was
 * (and at worst a ".NAME.tsync-XXXXXX" file beside it).  Nothing that the
 * user named is truncated or removed on the way.
 *
 * The target must be a regular file or absent: a device node, a FIFO or a
 * directory would become a regular file.  A symlink is followed, the file
 * it names is replaced; a file of several hard links is refused, as the
 * rename would split them.  The replacement keeps the owner and the mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsync/offline.h"

/* The file that @path names, symlinks followed; NULL after saying why */
static char *resolve_target(const char *path, struct stat *st, bool *exists)
{
	char *target;

	*exists = false;
	if (lstat(path, st)) {
		if (errno != ENOENT) {
			tsync_err("%s: %s", path, strerror(errno));
			return NULL;
		}
		return strdup(path);
	}
	target = S_ISLNK(st->st_mode) ? realpath(path, NULL) : strdup(path);
	if (!target || stat(target, st)) {
		tsync_err("%s: %s", path, errno == ENOENT ? "a symlink to nothing" :
			  strerror(errno));
		free(target);
		return NULL;
	}
	*exists = true;
	return target;
}

/* The new file's name: ".BASE.tsync-XXXXXX" in the target's directory */
static char *temp_name(const char *target)
{
	char *dir_copy = strdup(target), *base_copy = strdup(target), *tmp = NULL;

	if (dir_copy && base_copy &&
	    asprintf(&tmp, "%s/.%s.tsync-XXXXXX", dirname(dir_copy), basename(base_copy)) < 0)
		tmp = NULL;
	free(dir_copy);
	free(base_copy);
	return tmp;
}

/**
 * tsync_output_begin - start the file that will replace @path
 * @o: returns the new file, its descriptor in @o->fd
 * @path: the file to write, or to replace when it exists
 *
 * Returns 0, or -1 after saying why; @path is not touched either way.
 */
int tsync_output_begin(struct tsync_output *o, const char *path)
{
	mode_t mask;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->target = resolve_target(path, &o->old, &o->replaces);
	if (!o->target)
		return -1;
	if (o->replaces && !S_ISREG(o->old.st_mode)) {
		tsync_err("%s: not a regular file: tsync writes only regular files", path);
		goto fail;
	}
	if (o->replaces && o->old.st_nlink > 1) {
		tsync_err("%s: has %lu hard links: a new file would split them; write a copy with -o",
			  path, (unsigned long)o->old.st_nlink);
		goto fail;
	}
	o->tmp = temp_name(o->target);
	if (!o->tmp)
		goto fail;
	o->fd = mkstemp(o->tmp);
	if (o->fd < 0) {
		tsync_err("%s: cannot create a file beside it: %s", path, strerror(errno));
		goto fail;
	}
	if (o->replaces) {
		/* root may give the file back to its owner; anyone else keeps it */
		if (fchown(o->fd, o->old.st_uid, o->old.st_gid) && geteuid() == 0)
			goto fail_tmp;
		if (fchmod(o->fd, o->old.st_mode & 07777))
			goto fail_tmp;
	} else {
		mask = umask(0);
		umask(mask);
		if (fchmod(o->fd, 0666 & ~mask))
			goto fail_tmp;
	}
	return 0;
fail_tmp:
	tsync_err("%s: cannot give the new file the old one's owner and mode: %s", path,
		  strerror(errno));
	tsync_output_abort(o);
	return -1;
fail:
	free(o->target);
	free(o->tmp);
	o->target = o->tmp = NULL;
	return -1;
}

/**
 * tsync_output_commit - put the complete new file in the target's place
 * @o: a file begun by tsync_output_begin(), all written
 *
 * Returns 0, or -1 after saying why, the target as it was.
 */
int tsync_output_commit(struct tsync_output *o)
{
	int ret = fsync(o->fd);

	if (close(o->fd))
		ret = -1;
	o->fd = -1;
	if (!ret)
		ret = rename(o->tmp, o->target);
	if (ret) {
		tsync_err("%s: cannot write it: %s", o->target, strerror(errno));
		tsync_output_abort(o);
		return -1;
	}
	free(o->target);
	free(o->tmp);
	o->target = o->tmp = NULL;
	return 0;
}

/* Drop the new file, which is ours; the target stays as it was */
void tsync_output_abort(struct tsync_output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->target);
	free(o->tmp);
	o->target = o->tmp = NULL;
	o->fd = -1;
}

/**
 * tsync_output_claim - hold @f against other tsync runs that change it
 * @f: a file opened to be replaced in place
 *
 * A second run refuses rather than waits: the file it read would be
 * replaced under it, and its change would undo this one's.  Returns 0, or
 * -1 after saying why.
 */
int tsync_output_claim(const struct tsync_trace_file *f)
{
	struct stat open_st, path_st;

	if (flock(f->fd, LOCK_EX | LOCK_NB)) {
		tsync_err("%s: %s", f->path, errno == EWOULDBLOCK ?
			  "another run is changing it; try again when it is done" : strerror(errno));
		return -1;
	}
	/* the lock came after a run that replaced the file: what we opened is gone */
	if (fstat(f->fd, &open_st) || stat(f->path, &path_st) ||
	    open_st.st_dev != path_st.st_dev || open_st.st_ino != path_st.st_ino) {
		tsync_err("%s: was replaced while opening it; try again", f->path);
		return -1;
	}
	return 0;
}
