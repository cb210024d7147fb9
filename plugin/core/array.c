// SPDX-License-Identifier: LGPL-2.1
/*
 * Arrays that grow as their elements arrive: offset writes, bound lines,
 * listings.  One place doubles them, so none can be left with a capacity
 * its memory does not have.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "tsync/core.h"

/**
 * tsync_array_room - make room for one more element at the end of an array
 * @array: the address of the array's pointer
 * @size: its capacity in elements; doubled when the array is full
 * @nr: the elements in use
 * @elem: the size of one element
 * @first: the capacity of an array that has none yet
 *
 * Returns 0, or -1 with errno ENOMEM; the array is then left as it was.
 */
int tsync_array_room(void *array, long *size, long nr, size_t elem, long first)
{
	void **ptr = array;
	void *more;
	long want;

	if (nr < *size)
		return 0;
	if (*size > LONG_MAX / 2) {
		errno = ENOMEM;
		return -1;
	}
	want = *size ? *size * 2 : first;
	if (want <= nr || (size_t)want > SIZE_MAX / elem) {
		errno = ENOMEM;
		return -1;
	}
	more = realloc(*ptr, (size_t)want * elem);
	if (!more)
		return -1;
	*ptr = more;
	*size = want;
	return 0;
}
