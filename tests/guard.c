#include "guard.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

const char *guard_place(struct guarded *g, const char *data, size_t len)
{
	char *dst;

	g->page = (size_t)sysconf(_SC_PAGESIZE);
	assert_true(len <= g->page);
	g->map =
	    mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + g->page, g->page, PROT_NONE), 0);
	dst = g->map + g->page - len;
	memcpy(dst, data, len);
	return dst;
}

void guard_release(struct guarded *g)
{
	assert_int_equal(munmap(g->map, 2 * g->page), 0);
}
