// SPDX-License-Identifier: LGPL-2.1
/*
 * record-fits.c: records against their formats, as libtraceevent parses
 * them, and record-text.c's line.  The formats are this kernel's
 * kernel_stack, sched_process_exec (a __data_loc string) and print, and
 * sched_switch with its prev_comm moved where a corrupt file could put it,
 * and one that divides; the records are built here.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include <trace-cmd.h>

#include "tsync/offline.h"
#include "unit-offline.h"

#define COMMON \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

static const char kernel_stack[] =
	"name: kernel_stack\nID: 4\nformat:\n" COMMON
	"\tfield:int size;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:unsigned long caller[8];\toffset:16;\tsize:64;\tsigned:0;\n\n"
	"print fmt: \"=> %ps\", (void *)REC->caller[0]\n";

static const char exec[] =
	"name: sched_process_exec\nID: 300\nformat:\n" COMMON
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"filename=%s pid=%d\", __get_str(filename), REC->pid\n";

static const char moved_comm[] =
	"name: sched_switch\nID: 301\nformat:\n" COMMON
	"\tfield:char prev_comm[16];\toffset:4000;\tsize:16;\tsigned:0;\n\n"
	"print fmt: \"prev_comm=%s\", REC->prev_comm\n";

static const char divide[] =
	"name: divide\nID: 6\nformat:\n" COMMON
	"\tfield:int a;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:int b;\toffset:12;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"q=%d r=%d\", REC->a / REC->b, REC->a % REC->b\n";

static const char print[] =
	"name: print\nID: 5\nformat:\n" COMMON
	"\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;\n\n"
	"print fmt: \"%ps: %s\", (void *)REC->ip, REC->buf\n";

/* A page of a CPU's data, its event at @at (from the page's start) */
static unsigned char page[4096];

static struct tep_record record(unsigned short type, int at, int size)
{
	struct tep_record rec = { .offset = 3 * 4096 + at, .size = size,
				  .data = page + at + 4 };

	memset(page, 0, sizeof(page));
	memcpy(rec.data, &type, sizeof(type));
	return rec;
}

static struct tep_handle *formats(void)
{
	struct tep_handle *tep = tep_alloc();
	struct tep_event *event;

	CU_ASSERT_FATAL(tep != NULL);
	tep_set_page_size(tep, 4096);
	tep_set_long_size(tep, 8);
	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
	CU_ASSERT_FATAL(!tep_parse_format(tep, &event, kernel_stack, strlen(kernel_stack), "ftrace"));
	CU_ASSERT_FATAL(!tep_parse_format(tep, &event, exec, strlen(exec), "sched"));
	CU_ASSERT_FATAL(!tep_parse_format(tep, &event, moved_comm, strlen(moved_comm), "sched"));
	CU_ASSERT_FATAL(!tep_parse_format(tep, &event, print, strlen(print), "ftrace"));
	CU_ASSERT_FATAL(!tep_parse_format(tep, &event, divide, strlen(divide), "test"));
	return tep;
}

/* A stack of 3 frames in a record of 40 bytes: the rest of caller[8] is in the page */
static void test_short_stack(void)
{
	struct tep_handle *tep = formats();
	struct tep_record rec = record(4, 64, 16 + 3 * 8);

	CU_ASSERT_TRUE(tsync_record_fits(tep, 4096, &rec));
	/* the same at the page's end: caller[8] would be read past it */
	rec = record(4, 4096 - 4 - 40, 40);
	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	/* a whole stack there fits, to the page's last byte */
	rec = record(4, 4096 - 4 - 80, 80);
	CU_ASSERT_TRUE(tsync_record_fits(tep, 4096, &rec));
	tep_free(tep);
}

static void test_moved_field(void)
{
	struct tep_handle *tep = formats();
	struct tep_record rec = record(301, 200, 24);

	/* 200 + 4 + 4016 bytes: past the page */
	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	rec = record(301, 16, 24);
	CU_ASSERT_TRUE(tsync_record_fits(tep, 4096, &rec));
	tep_free(tep);
}

/* __data_loc: offset in the low 16 bits, length in the high ones */
static void exec_record(struct tep_record *rec, unsigned short offset, unsigned short len,
			const char *text)
{
	unsigned int loc = (unsigned int)len << 16 | offset;

	*rec = record(300, 64, 32);
	memcpy((char *)rec->data + 8, &loc, sizeof(loc));
	memcpy((char *)rec->data + offset, text, strlen(text));
}

static void test_dynamic_string(void)
{
	struct tep_handle *tep = formats();
	struct tep_record rec;

	exec_record(&rec, 16, 8, "/bin/sh");
	CU_ASSERT_TRUE(tsync_record_fits(tep, 4096, &rec));
	/* without its NUL: printed until some NUL */
	exec_record(&rec, 16, 7, "/bin/sh-and-more");
	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	/* pointing past the page */
	exec_record(&rec, 16, 8, "");
	*(unsigned int *)((char *)rec.data + 8) = 8u << 16 | 0xfff0;
	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	tep_free(tep);
}

/* A record shorter than the common fields that find its event */
static void test_no_room_for_common(void)
{
	struct tep_handle *tep = formats();
	struct tep_record rec = record(4, 4096 - 4 - 4, 4);

	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	tep_free(tep);
}

/* buf[] is the rest of the record: printed from a length of size - 16 */
static void test_rest_of_record(void)
{
	struct tep_handle *tep = formats();
	struct tep_record rec = record(5, 64, 24);

	CU_ASSERT_TRUE(tsync_record_fits(tep, 4096, &rec));
	rec = record(5, 64, 16);
	CU_ASSERT_TRUE(tsync_record_fits(tep, 4096, &rec));
	/* a record of 0 bytes: libtraceevent would copy -16 of them */
	rec = record(5, 64, 0);
	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	tep_free(tep);
}

/* A length past the page (compressed data, unchecked): a print's text of 20 MB */
static void test_record_past_page(void)
{
	struct tep_handle *tep = formats();
	struct tep_record rec = record(4, 64, 20905980);

	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	/* the page's last byte is the record's */
	rec = record(4, 64, 4096 - 64 - 4);
	CU_ASSERT_TRUE(tsync_record_fits(tep, 4096, &rec));
	rec = record(4, 64, 4096 - 64 - 3);
	CU_ASSERT_FALSE(tsync_record_fits(tep, 4096, &rec));
	/* no page size known: nothing is read */
	rec = record(4, 64, 80);
	CU_ASSERT_FALSE(tsync_record_fits(tep, 0, &rec));
	tep_free(tep);
}

/* record-text.c: a format that divides by a field of 0 traps in libtraceevent */
static void test_divide_by_zero(void)
{
	struct tep_handle *tep = formats();
	struct tep_record rec = record(6, 64, 16);
	int a = 7, b = 2;
	char *text;

	memcpy((char *)rec.data + 8, &a, 4);
	memcpy((char *)rec.data + 12, &b, 4);
	text = tsync_record_text(tep, &rec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(text, "divide: q=3 r=1"));
	free(text);
	b = 0;
	memcpy((char *)rec.data + 12, &b, 4);
	text = tsync_record_text(tep, &rec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "[event 6: its print format divides by 0]");
	free(text);
	/* and printing goes on */
	b = 3;
	memcpy((char *)rec.data + 12, &b, 4);
	text = tsync_record_text(tep, &rec);
	CU_ASSERT_PTR_NOT_NULL(text && strstr(text, "q=2 r=1"));
	free(text);
	tep_free(tep);
}

void add_record_fits_tests(void)
{
	CU_pSuite suite = CU_add_suite("record-fits", NULL, NULL);

	CU_add_test(suite, "a short stack fits, but not at a page's end", test_short_stack);
	CU_add_test(suite, "a field moved past the page", test_moved_field);
	CU_add_test(suite, "dynamic strings", test_dynamic_string);
	CU_add_test(suite, "no room for the common fields", test_no_room_for_common);
	CU_add_test(suite, "a record past its page", test_record_past_page);
	CU_add_test(suite, "the rest of the record", test_rest_of_record);
	CU_add_test(suite, "a print format that divides by 0", test_divide_by_zero);
}
