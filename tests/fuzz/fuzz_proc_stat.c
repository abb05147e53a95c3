/*
 * libFuzzer harness for parse_proc_stat: any bytes, given as buffer and length with nothing
 * after them, must give -EINVAL or a result that agrees with the input.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "proc_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup_exact(data, size);
	struct proc_stat st;
	int r = parse_proc_stat(buf, size, &st);

	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		const char *open = memchr(buf, '(', size);
		const char *close = memrchr(buf, ')', size);
		size_t n = strnlen(st.comm, sizeof(st.comm));

		/* comm is what lies between the first '(' and the last ')', cut to fit. */
		FUZZ_CHECK(n < sizeof(st.comm));
		FUZZ_CHECK(open && close && open < close);
		FUZZ_CHECK(n <= (size_t)(close - open - 1));
		FUZZ_CHECK(memcmp(st.comm, open + 1, n) == 0);
		FUZZ_CHECK(n == (size_t)(close - open - 1) || n == sizeof(st.comm) - 1 ||
			   open[1 + n] == '\0');
		FUZZ_CHECK(st.state != ' ' && st.state != '\t' && st.state != '\n');
		FUZZ_CHECK(st.ppid >= 0);
	}
	free(buf);
	return 0;
}
