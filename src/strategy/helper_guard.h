/*
 * What one PID namespace may cost the creds helpers: a bounded rate of forks, and none at all
 * for a while after a helper that entered it was killed, stopped or went silent, so that a
 * hostile container hurts only translations about itself and the namespaces below it.
 *
 * Namespaces are named by an array ino[] of inode numbers, ino[k] the one at level k below
 * the daemon's (ino[0] is the daemon's own, used only for helpers that enter it): a helper
 * entering the namespace at level L is seen by every process of ino[1..L], so each of them
 * may have made it fail, and the fork rate is counted for ino[1], where a container cannot
 * multiply it by nesting.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The namespace whose budget and slots a helper entering ino[level] counts against. */
static inline uint64_t helper_guard_top(const uint64_t *ino, unsigned level)
{
	return ino[level ? 1 : 0];
}

enum helper_trouble {
	HELPER_FINE,
	HELPER_KILLED,	/* hung up without answering, and the namespace still takes members */
	HELPER_STOPPED, /* stopped by a signal */
	HELPER_SILENT,	/* gave no answer by the deadline */
};

/* rate: forks a second (and a burst of as many) for one namespace; suspend_ms: see below. */
void helper_guard_configure(unsigned rate, unsigned suspend_ms);
/* Whether no helper may enter ino[level] now, because it or an ancestor is suspended. */
bool helper_guard_suspended(const uint64_t *ino, unsigned level);
/*
 * Take one fork from ino[1]'s budget, unless a namespace of ino[1..level] is suspended or the
 * budget is spent: then STRATEGY_REFUSED (negative), counted and, once per episode, logged.
 * fallback names the strategy that answers instead (NULL: the read fails with EAGAIN).
 */
int helper_guard_admit(const uint64_t *ino, unsigned level, const char *fallback);
/*
 * A helper that entered ino[level] (whose descriptor is fd) had trouble: suspend helpers for
 * it and every namespace below it for suspend_ms, twice as long at each repeat (up to 16
 * times). The first suspension of a namespace is logged; repeats while it is remembered are
 * not. silent_ms is the timeout, for the message about a silent helper.
 */
void helper_guard_trouble(const uint64_t *ino, unsigned level, int fd, enum helper_trouble t,
			  unsigned silent_ms, const char *fallback);
