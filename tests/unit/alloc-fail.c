// SPDX-License-Identifier: LGPL-2.1
/*
 * Allocations that fail on purpose.  The unit tests link with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: every allocation of
 * tsync's code and of the tests comes here first, and goes on to the real
 * one (or the sanitizers') unless a test asked it to fail.
 */
#include <errno.h>
#include <stdlib.h>

#include "unit.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *ptr, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *ptr, size_t size);

/* Allocations until the one that fails: 1 the next, 0 none */
static int countdown;

/**
 * unit_fail_alloc - make an allocation fail, as a full memory does
 * @nth: 1 for the next allocation, 2 for the one after it...; 0 for none
 *
 * Only that one fails, with errno ENOMEM.
 */
void unit_fail_alloc(int nth)
{
	countdown = nth;
}

static bool fails(void)
{
	if (!countdown || --countdown)
		return false;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t size)
{
	return fails() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	return fails() ? NULL : __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
	return fails() ? NULL : __real_realloc(ptr, size);
}
