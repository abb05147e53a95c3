/*
 * Per-namespace admission of creds helpers: a token bucket of forks for each namespace
 * directly below the daemon's, and suspensions of namespaces whose helpers were interfered
 * with. Both live in tables under one lock, taken once or twice per helper, whose fork costs
 * a thousand times more.
 *
 * A suspension holds a descriptor of its namespace: while it is held, the kernel cannot give
 * the namespace's inode number to a new one, which would inherit the suspension.
 */
#include "helper_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <inttypes.h>
#include <unistd.h>

#include "stats.h"
#include "strategy.h"
#include "util.h"

/* Suspensions remembered at once, at most; the one forgotten soonest makes room. */
#define MAX_SUSPENSIONS 128
/* Buckets kept before the full ones (nothing left to remember) are swept. */
#define SWEEP_BUCKETS 256
#define MAX_DOUBLINGS 4

struct suspension {
	int fd;
	gint64 until;	    /* no helper enters it or a namespace below it before this */
	gint64 forget;	    /* a trouble before this is a repeat: longer, and not logged */
	unsigned period_ms; /* of the last suspension */
};

struct bucket {
	double tokens;
	gint64 last;   /* when tokens was computed */
	bool refusing; /* an episode was logged; ends when the bucket is full again */
};

static GMutex lock;
static GHashTable *suspensions; /* uint64_t * ino -> struct suspension * */
static GHashTable *buckets;	/* uint64_t * ino -> struct bucket * */
static unsigned rate_per_s = 50;
static unsigned base_ms = 60000;

static void suspension_free(gpointer p)
{
	struct suspension *s = p;

	if (s->fd >= 0)
		close(s->fd);
	g_free(s);
}

static void ensure_tables(void)
{
	if (!suspensions) {
		suspensions =
		    g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, suspension_free);
		buckets = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	}
}

void helper_guard_configure(unsigned rate, unsigned suspend_ms)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	rate_per_s = MAX(rate, 1);
	base_ms = MAX(suspend_ms, 1);
	ensure_tables();
}

/* With the lock held: ino's suspension if it is in force now; one past remembering goes. */
static bool suspended_now(uint64_t ino, gint64 now)
{
	struct suspension *s = g_hash_table_lookup(suspensions, &ino);

	if (!s)
		return false;
	if (now >= s->forget) {
		g_hash_table_remove(suspensions, &ino);
		return false;
	}
	return now < s->until;
}

static bool any_suspended(const uint64_t *ino, unsigned level, gint64 now)
{
	if (g_hash_table_size(suspensions) == 0)
		return false;
	for (unsigned k = level ? 1 : 0; k <= level; k++) {
		if (suspended_now(ino[k], now))
			return true;
	}
	return false;
}

bool helper_guard_suspended(const uint64_t *ino, unsigned level)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);

	ensure_tables();
	if (!any_suspended(ino, level, g_get_monotonic_time()))
		return false;
	stats_helper_refused(STATS_REFUSED_SUSPENDED);
	return true;
}

static double refill(struct bucket *b, gint64 now)
{
	b->tokens = MIN((double)rate_per_s, b->tokens + (double)(now - b->last) * rate_per_s / 1e6);
	b->last = now;
	return b->tokens;
}

/* Forget buckets that are full again: a new one would start full too. */
static void sweep_buckets(gint64 now)
{
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, buckets);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		if (refill(v, now) >= rate_per_s)
			g_hash_table_iter_remove(&it);
	}
}

static struct bucket *bucket_of(uint64_t ino, gint64 now)
{
	struct bucket *b = g_hash_table_lookup(buckets, &ino);

	if (b)
		return b;
	if (g_hash_table_size(buckets) >= SWEEP_BUCKETS)
		sweep_buckets(now);
	b = g_new0(struct bucket, 1);
	b->tokens = rate_per_s;
	b->last = now;
	g_hash_table_insert(buckets, g_memdup2(&ino, sizeof(ino)), b);
	return b;
}

static const char *meanwhile(const char *fallback)
{
	return fallback ? "fall back to strategy " : "fail with EAGAIN";
}

int helper_guard_admit(const uint64_t *ino, unsigned level, const char *fallback)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	gint64 now = g_get_monotonic_time();
	struct bucket *b;

	ensure_tables();
	if (any_suspended(ino, level, now)) {
		stats_helper_refused(STATS_REFUSED_SUSPENDED);
		return STRATEGY_REFUSED;
	}
	b = bucket_of(helper_guard_top(ino, level), now);
	if (refill(b, now) >= rate_per_s)
		b->refusing = false;
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	stats_helper_refused(STATS_REFUSED_RATE);
	/* A warning only where readers see failures; the fallback's answers are the same. */
	if (!b->refusing) {
		b->refusing = true;
		g_log(G_LOG_DOMAIN, fallback ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_WARNING,
		      "creds helpers for PID namespace %" PRIu64 " and those below it: more than "
		      "%u forks a second; until that calms, translations beyond it %s%s",
		      helper_guard_top(ino, level), rate_per_s, meanwhile(fallback),
		      fallback ? fallback : "");
	}
	return STRATEGY_REFUSED;
}

static const char *what_happened(enum helper_trouble t, unsigned silent_ms, char *buf, size_t size)
{
	switch (t) {
	case HELPER_KILLED:
		return "was killed by a process that sees it";
	case HELPER_STOPPED:
		return "was stopped by a signal";
	case HELPER_SILENT:
		g_snprintf(buf, size, "did not answer within %u ms", silent_ms);
		return buf;
	case HELPER_FINE:
		break;
	}
	return "failed";
}

/* With the lock held: make room by forgetting the suspension that would be forgotten first. */
static void evict_one(void)
{
	GHashTableIter it;
	gpointer k, v, victim = NULL;
	gint64 first = G_MAXINT64;

	g_hash_table_iter_init(&it, suspensions);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		if (((struct suspension *)v)->forget < first) {
			first = ((struct suspension *)v)->forget;
			victim = k;
		}
	}
	if (victim)
		g_hash_table_remove(suspensions, victim);
}

void helper_guard_trouble(const uint64_t *ino, unsigned level, int fd, enum helper_trouble t,
			  unsigned silent_ms, const char *fallback)
{
	G_GNUC_UNUSED g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&lock);
	gint64 now = g_get_monotonic_time();
	struct suspension *s;
	bool repeat;
	char buf[64];

	if (t == HELPER_FINE)
		return;
	ensure_tables();
	s = g_hash_table_lookup(suspensions, &ino[level]);
	if (s && now >= s->forget) {
		g_hash_table_remove(suspensions, &ino[level]);
		s = NULL;
	}
	repeat = s != NULL;
	if (!s) {
		if (g_hash_table_size(suspensions) >= MAX_SUSPENSIONS)
			evict_one();
		s = g_new0(struct suspension, 1);
		s->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		s->period_ms = base_ms;
		g_hash_table_insert(suspensions, g_memdup2(&ino[level], sizeof(ino[level])), s);
	} else if (now >= s->until && s->period_ms < base_ms << MAX_DOUBLINGS) {
		/* It was let in again and did it again. */
		s->period_ms *= 2;
	}
	s->until = MAX(s->until, now + (gint64)s->period_ms * 1000);
	s->forget = s->until + (gint64)s->period_ms * 1000;
	if (repeat) {
		g_debug("creds helper entering PID namespace %" PRIu64 " %s again: suspended for "
			"%u ms",
			ino[level], what_happened(t, silent_ms, buf, sizeof(buf)), s->period_ms);
		return;
	}
	g_warning("a creds helper entering PID namespace %" PRIu64 " %s: for %u s no helper "
		  "enters it or a namespace below it, and their translations %s%s",
		  ino[level], what_happened(t, silent_ms, buf, sizeof(buf)),
		  (s->period_ms + 999) / 1000, meanwhile(fallback), fallback ? fallback : "");
}
