/* The strategy registry: start-up probing, selection, and auto's per-lookup fallback. */
#include "strategy.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "stats.h"

static const char *const strategy_names[STRATEGY_COUNT] = {
    [STRATEGY_AUTO] = "auto",
    [STRATEGY_IOCTL] = "ioctl",
    [STRATEGY_STATUS] = "status",
    [STRATEGY_CREDS] = "creds",
};

/* Also auto's order of preference: fastest first, the fork helper last. */
static const struct strategy *const strategies[STRATEGY_COUNT] = {
    [STRATEGY_IOCTL] = &strategy_ioctl,
    [STRATEGY_STATUS] = &strategy_status,
    [STRATEGY_CREDS] = &strategy_creds,
};

/* Written once by strategy_select() before the FUSE loop starts, read-only afterwards. */
static enum strategy_id active = STRATEGY_AUTO;
static bool usable[STRATEGY_COUNT];
static bool fallback_forbidden;
/*
 * What is tried, in turn: under auto every usable strategy, fastest first; under creds, creds
 * and then, when it refuses, the usable others; else the one chosen.
 */
static enum strategy_id order[STRATEGY_COUNT];
static unsigned order_len;

const char *strategy_name(enum strategy_id id)
{
	return id < STRATEGY_COUNT ? strategy_names[id] : "?";
}

int strategy_from_name(const char *name, enum strategy_id *out)
{
	for (unsigned i = 0; i < STRATEGY_COUNT; i++) {
		if (strcmp(name, strategy_names[i]) == 0) {
			*out = (enum strategy_id)i;
			return 0;
		}
	}
	return -EINVAL;
}

int strategy_select(enum strategy_id id)
{
	bool any = false;

	for (unsigned i = STRATEGY_IOCTL; i < STRATEGY_COUNT; i++) {
		int r = strategies[i]->probe();

		usable[i] = r == 0;
		any |= usable[i];
		if (r < 0)
			g_info("strategy %s is not available here: %s", strategy_names[i],
			       g_strerror(-r));
	}
	if (id == STRATEGY_AUTO ? !any : !usable[id])
		return -ENOTSUP;
	active = id;
	order_len = 0;
	if (id != STRATEGY_AUTO)
		order[order_len++] = id;
	for (unsigned i = STRATEGY_IOCTL; i < STRATEGY_COUNT; i++) {
		bool more = id == STRATEGY_AUTO ||
			    (id == STRATEGY_CREDS && i != STRATEGY_CREDS && !fallback_forbidden);

		if (usable[i] && more)
			order[order_len++] = (enum strategy_id)i;
	}
	return 0;
}

void strategy_forbid_fallback(void)
{
	fallback_forbidden = true;
}

const char *strategy_fallback(void)
{
	return active == STRATEGY_CREDS && order_len > 1 ? strategy_names[order[1]] : NULL;
}

enum strategy_id strategy_active(void)
{
	return active;
}

bool strategy_forks_per_process(void)
{
	return active == STRATEGY_CREDS;
}

/*
 * Count each strategy's answer under its own name: under auto, every one that was tried. A
 * refusal is no answer: the helpers' refusals are counted apart.
 */
static int counted(unsigned id, int r)
{
	if (r != STRATEGY_REFUSED)
		stats_lookup((enum strategy_id)id, r == 0			? STATS_OK
						   : strategy_error_is_final(r) ? STATS_ENOENT
										: STATS_ERROR);
	return r;
}

void strategy_count_unasked(int err)
{
	if (order_len > 0 && err < 0 && err != -EWOULDBLOCK)
		counted(order[0], err);
}

bool strategy_error_is_final(int err)
{
	/* The process or its namespace's init is gone: no other strategy can bring it back. */
	return err == -ESRCH || err == -ENOENT;
}

/* Set on the thread that reads requests: it must never wait for a helper. */
static __thread bool no_helpers;

void strategy_forbid_helpers(void)
{
	no_helpers = true;
}

bool strategy_helpers_forbidden(void)
{
	return no_helpers;
}

/* -EWOULDBLOCK where strategy id would fork a helper on a thread that must not. */
static bool forbidden(unsigned id)
{
	return no_helpers && id == STRATEGY_CREDS;
}

/*
 * The active strategy, else (auto) each usable one in turn until one answers. Under creds,
 * the fallbacks are asked only when creds refused. A refusal that nothing else answered is
 * -EAGAIN: the reader may try again later.
 */
/* One question for the strategies: a translation (m set) or a reverse lookup. */
struct question {
	const struct pidns_chain *chain;
	pid_t pid;
	struct proc_model *m;
	const struct ns_ref *ns;
	pid_t *host;
};

static int ask(enum strategy_id i, const struct question *q)
{
	return q->m ? strategies[i]->translate(q->chain, q->pid, q->m)
		    : strategies[i]->reverse(q->ns, q->pid, q->host);
}

static int ask_in_order(const struct question *q)
{
	int r = -ENOTSUP;

	for (unsigned k = 0; k < order_len; k++) {
		enum strategy_id i = order[k];

		if (k == 1 && active == STRATEGY_CREDS && r != STRATEGY_REFUSED)
			break;
		if (forbidden(i))
			return -EWOULDBLOCK;
		r = counted(i, ask(i, q));
		if (r == 0 || strategy_error_is_final(r))
			return r;
		g_debug("pid %d, namespace %" G_GUINT64_FORMAT ": strategy %s failed (%s), trying "
			"the next",
			q->pid, q->m ? q->chain->ino[q->chain->depth - 1] : q->ns->ino,
			strategy_names[i], g_strerror(-r));
	}
	return r == STRATEGY_REFUSED ? -EAGAIN : r;
}

int strategy_translate(const struct pidns_chain *chain, pid_t pid, struct proc_model *m)
{
	return ask_in_order(&(struct question){.chain = chain, .pid = pid, .m = m});
}

int strategy_reverse(const struct ns_ref *ns, pid_t nspid, pid_t *host)
{
	return ask_in_order(&(struct question){.ns = ns, .pid = nspid, .host = host});
}
