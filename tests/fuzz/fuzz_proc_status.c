/*
 * libFuzzer harness for parse_proc_status: any bytes, given as buffer and length with nothing
 * after them, must give -EINVAL or a result the daemon can use as it is.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "proc_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup_exact(data, size);
	struct proc_status st;
	int r = parse_proc_status(buf, size, &st);

	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		FUZZ_CHECK(memchr(st.name, '\0', sizeof(st.name)) != NULL);
		FUZZ_CHECK(st.nspid_count >= 1 && st.nspid_count <= NSPIDFS_MAX_LEVELS);
		for (unsigned i = 0; i < st.nspid_count; i++)
			FUZZ_CHECK(st.nspid[i] > 0);
		FUZZ_CHECK(st.tgid > 0);
		FUZZ_CHECK(st.ppid >= 0);
		/* Only a complete line counts, and each key needs its ':' and '\n'. */
		FUZZ_CHECK(memmem(buf, size, "NSpid:", 6) != NULL);
		FUZZ_CHECK(size > 0 && memchr(buf, '\n', size) != NULL);
	}
	free(buf);
	return 0;
}
