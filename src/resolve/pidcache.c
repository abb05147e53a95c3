/*
 * A hit costs one look at the table's set of pidfds (live_table.h), where a miss resolves the
 * process. Entries of processes without a model (kernel threads, refusals) hold only the
 * identity.
 */
#include "pidcache.h"

#include <errno.h>
#include <glib.h>
#include <unistd.h>

#include "live_table.h"
#include "resolve.h"
#include "strategy.h"

struct cached {
	uint64_t start; /* identity bits, as resolve_identity gives them */
	bool resolved;	/* model is set */
	struct proc_model model;
};

static struct live_table *table;

void pidcache_configure(unsigned max_entries)
{
	live_table_free(table);
	table = live_table_new(MIN(max_entries, PIDCACHE_MAX_ENTRIES), sizeof(struct cached), 0);
}

bool pidcache_enabled(void)
{
	return live_table_enabled(table);
}

/* A miss: the identity of pid's holder from a pidfd, kept open in *fd (-1 if none could be). */
static int identify(pid_t pid, uint64_t *start, int *fd)
{
	int r;

	*fd = live_table_pidfd(table, pid);
	r = resolve_identity_of(*fd, pid, start);
	if (r < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	/* A lookup of a PID nothing holds, as the metrics count it. */
	if (r < 0)
		strategy_count_unasked(r);
	return r;
}

int pidcache_identity(pid_t pid, uint64_t *start)
{
	struct cached c = {.resolved = false};
	int fd, r;

	if (live_table_get(table, pid, &c)) {
		*start = c.start;
		return 0;
	}
	r = identify(pid, start, &fd);
	c.start = *start;
	if (r == 0)
		live_table_put(table, pid, fd, &c, false);
	return r;
}

int pidcache_check(pid_t pid, uint64_t start)
{
	uint64_t now;
	int r = pidcache_identity(pid, &now);

	if (r < 0)
		return r;
	return now == start ? 0 : -ENOENT;
}

/*
 * A miss: resolve with a pidfd held throughout (fd, for the process of identity start, or one
 * opened here; -1 when none can be), and keep the model if that process lives.
 */
static int resolve_and_store(int fd, pid_t pid, uint64_t start, struct proc_model *out)
{
	struct cached c = {.start = start, .resolved = true};
	int r;

	if (fd < 0 && (fd = live_table_pidfd(table, pid)) >= 0) {
		uint64_t now;

		/* The PID may name another process by now. */
		r = resolve_identity_of(fd, pid, &now);
		if (r < 0 || now != start) {
			close(fd);
			return r < 0 ? r : -ENOENT;
		}
	}
	r = resolve_process_fd(fd, pid, start, out);
	if (r == 0) {
		c.model = *out;
		live_table_put(table, pid, fd, &c, true);
	} else if (r != -ENOENT && fd >= 0) {
		/* Alive without a model (a kernel thread, a refusal): its identity still holds. */
		c.resolved = false;
		live_table_put(table, pid, fd, &c, false);
	} else if (fd >= 0) {
		close(fd);
	}
	return r;
}

int pidcache_model(pid_t pid, uint64_t start, struct proc_model *out)
{
	struct cached c;

	if (live_table_get(table, pid, &c)) {
		/* The PID is held by another live process than the one looked up. */
		if (c.start != start)
			return -ENOENT;
		if (c.resolved) {
			*out = c.model;
			return 0;
		}
	}
	return resolve_and_store(-1, pid, start, out);
}

int pidcache_identify(pid_t pid, uint64_t *start, int *pidfd)
{
	struct cached c;

	*pidfd = -1;
	if (live_table_get(table, pid, &c)) {
		*start = c.start;
		return 0;
	}
	return identify(pid, start, pidfd);
}

int pidcache_resolve_held(pid_t pid, uint64_t start, int pidfd, struct proc_model *out)
{
	return resolve_and_store(pidfd, pid, start, out);
}

int pidcache_resolve(pid_t pid, uint64_t *start, struct proc_model *out)
{
	struct cached c;
	int fd, r;

	if (live_table_get(table, pid, &c) && c.resolved) {
		*start = c.start;
		*out = c.model;
		return 0;
	}
	/* One pidfd gives the identity and holds the process while it is resolved. */
	r = identify(pid, start, &fd);
	return r < 0 ? r : resolve_and_store(fd, pid, *start, out);
}

int pidcache_peek(pid_t pid, uint64_t *start, struct proc_model *model)
{
	struct cached c;

	if (!live_table_get(table, pid, &c))
		return 0;
	*start = c.start;
	if (!c.resolved)
		return PIDCACHE_IDENTITY;
	if (model)
		*model = c.model;
	return PIDCACHE_IDENTITY | PIDCACHE_MODEL;
}

void pidcache_counts(struct live_table_counts *out)
{
	live_table_counts(table, out);
}

void pidcache_clear(void)
{
	live_table_clear(table);
}
