/*
 * A PID namespace's ancestors never change, and while the cache holds a descriptor of the
 * namespace its inode number cannot go to another: a process's chain is then its namespace's
 * entry, found by the inode number of the descriptor its pidfd gives, with no NS_GET_PARENT
 * walk. The descriptors held also keep the kernel's nsfs inodes of those namespaces, which it
 * would otherwise make and free again at every open. An entry is tied to the namespace's
 * init, whose exit ends the namespace: then it is never served again, and it goes with its
 * descriptors at the next sweep (live_table.h). The init's pidfd is opened after the chain was
 * read, which live_table.h otherwise forbids: what holds the chain true is the namespace's
 * descriptors, held since it was read.
 */
#include "nscache.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live_table.h"
#include "nsfs_compat.h"
#include "proc.h"
#include "util.h"

struct ns_entry {
	unsigned depth;
	uint64_t ino[NSPIDFS_MAX_LEVELS];
	/* Levels 1 to depth-1; -1 elsewhere (the daemon's own namespace is held by pidns.c). */
	int fd[NSPIDFS_MAX_LEVELS];
};

static struct live_table *table;

/* The ancestors below the daemon's are handed out as copies; the caller has its own level. */
static void entry_copy(void *dst, const void *src)
{
	struct ns_entry *d = dst;
	const struct ns_entry *s = src;

	*d = *s;
	for (unsigned k = 0; k < s->depth; k++)
		d->fd[k] = k >= 1 && k + 1 < s->depth ? fcntl(s->fd[k], F_DUPFD_CLOEXEC, 0) : -1;
}

static void entry_clear(void *value)
{
	const struct ns_entry *e = value;

	for (unsigned k = 0; k < e->depth; k++)
		nspidfs_close_fd(e->fd[k]);
}

static unsigned entry_descriptors(const void *value)
{
	const struct ns_entry *e = value;
	unsigned n = 0;

	for (unsigned k = 0; k < e->depth; k++)
		n += e->fd[k] >= 0;
	return n;
}

void nscache_configure(unsigned max_entries)
{
	static const struct live_table_value_ops ops = {
	    .copy = entry_copy, .clear = entry_clear, .descriptors = entry_descriptors};

	live_table_free(table);
	table = live_table_new(max_entries, sizeof(struct ns_entry), 0);
	live_table_set_value_ops(table, &ops);
}

/* Every ancestor below the daemon's was duplicated (entry_copy). */
static bool copied_whole(const struct ns_entry *e)
{
	for (unsigned k = 1; k + 1 < e->depth; k++)
		if (e->fd[k] < 0)
			return false;
	return true;
}

int nscache_chain(int fd, struct pidns_chain *chain)
{
	struct ns_entry e;
	struct stat st;

	/* The daemon's own namespace is never stored: no lookup, no miss counted. */
	if (!live_table_enabled(table) || fstat(fd, &st) < 0 || st.st_ino == pidns_own_ino() ||
	    !live_table_get(table, st.st_ino, &e))
		return pidns_chain_from_fd(fd, chain);
	/* A copy short of descriptors: walk. */
	if (!copied_whole(&e)) {
		entry_clear(&e);
		return pidns_chain_from_fd(fd, chain);
	}
	chain->depth = e.depth;
	for (unsigned k = 0; k < e.depth; k++) {
		chain->ino[k] = e.ino[k];
		chain->fd[k] = k + 1 == e.depth ? fd : e.fd[k];
	}
	return NSCACHE_HIT;
}

/*
 * A pidfd of the init of the namespace chain ends in, which the process of pidfd is in (-1 if
 * none can be had): that process itself, or the task the namespace calls PID 1 before and
 * after its pidfd is opened (in between it cannot have been replaced: a namespace whose init
 * exited has no PID 1).
 */
static int init_pidfd(const struct pidns_chain *chain, int pidfd, const struct proc_model *m)
{
	const struct pidns_level *own = model_own(m);
	int own_fd = chain->fd[chain->depth - 1], fd;

	if (own->pid == 1)
		return fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
	fd = live_table_pidfd(table, own->init);
	if (fd >= 0 &&
	    (ioctl(own_fd, NS_GET_PID_FROM_PIDNS, 1) != own->init || proc_pidfd_exited(fd, 0))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void nscache_store(struct pidns_chain *chain, int pidfd, const struct proc_model *m)
{
	struct ns_entry e = {.depth = chain->depth};
	int fd;

	for (unsigned k = 0; k < NSPIDFS_MAX_LEVELS; k++)
		e.fd[k] = -1;
	if (!live_table_enabled(table) || chain->depth < 2 || pidfd < 0)
		return;
	fd = init_pidfd(chain, pidfd, m);
	if (fd < 0)
		return;
	/* The chain's descriptors below the daemon's namespace pass to the entry. */
	for (unsigned k = 0; k < chain->depth; k++) {
		e.ino[k] = chain->ino[k];
		e.fd[k] = k >= 1 ? chain->fd[k] : -1;
		if (k >= 1)
			chain->fd[k] = -1;
	}
	live_table_put(table, e.ino[e.depth - 1], fd, &e, false);
}

void nscache_counts(struct live_table_counts *out)
{
	live_table_counts(table, out);
}

void nscache_clear(void)
{
	live_table_clear(table);
}
