/*
 * Integration test support: a real nspidfs daemon mounted in a private mount namespace (so a
 * crashed test cannot leave a mount behind), and real nested PID namespaces whose host PIDs
 * the test knows because it forks every process itself.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon {
	pid_t pid;    /* the process started: the keeper, which mounts and runs the server */
	pid_t server; /* the serving process, the keeper's child, when daemon_start() returned */
	bool restarts_expected; /* else a server that died and was replaced fails daemon_stop() */
	char dir[64];		/* temporary directory holding mnt/ and log */
	char mnt[80];
	char log[80];
};

/* Once per test program: private mounts, PDEATHSIG-bound children. */
void harness_init(void);
/* Start nspidfs -f --ready-fd on a new temporary mount point; false if it did not mount. */
bool daemon_start(struct daemon *d, const char *const *extra_args);
/* daemon_stop()'s answer when the daemon exited 0 but a sanitizer reported in its log. */
#define DAEMON_SANITIZER_REPORT 125
/* Its answer when a server died and the keeper started another, unasked: a crash. */
#define DAEMON_SERVER_REPLACED 124
/* The keeper's child now (after a restart, the new server), or -1. */
pid_t daemon_server(const struct daemon *d);
/*
 * SIGTERM, wait, and return its exit status (-1 if killed by a signal, or
 * DAEMON_SANITIZER_REPORT, or DAEMON_SERVER_REPLACED); the mount point is removed. With
 * pid 0 (the test reaped the daemon itself) it checks the log and cleans up.
 */
int daemon_stop(struct daemon *d);
/* Messages of level warning or worse the daemon logged (an empty string if none). */
char *daemon_warnings(const struct daemon *d);

/*
 * For tests of a strategy's own answers: no cap on the helpers' fork rate (an argument for
 * daemon_start), and under creds no fallback (set before daemon_start), so that every answer
 * a creds daemon gives is its helpers'.
 */
#define HARNESS_NO_RATE_CAP "--helper-rate=10000"
void harness_strategy_alone(const char *strategy);
/* daemon_start() for a strategy's own answers, as above, with one more argument (or NULL). */
bool daemon_start_strategy(struct daemon *d, const char *strategy, const char *extra);

/*
 * Whether a child of the daemon is its creds helper spawner, which lives as long as the daemon
 * once a helper was needed, rather than a helper: by its comm, "nspidfs-spawner". A helper
 * shows that name too for the instant after the spawner cloned it, so a count of helpers that
 * skips the spawner may miss one just born, never count the spawner.
 */
bool harness_is_spawner(pid_t pid);
/* The daemon's spawner, among the children of all its threads, or 0 if none runs. */
pid_t daemon_spawner(const struct daemon *d);
/* The children of every thread of process pid. */
GArray *process_children(pid_t pid);
/* The descriptors process pid holds: 0 once it is gone. */
unsigned process_fd_count(pid_t pid);
/*
 * A server's helpers: its children but the spawner, members of namespace ns_ino (any, for 0).
 * A helper joins the target's namespace only after it closed its descriptors and called
 * setns(), so what a member holds is what a container could see.
 */
GArray *daemon_helpers(pid_t server, uint64_t ns_ino);

/*
 * The value of series (a metric's name and its labels, as the file writes them) in the text of
 * metrics/nspidfs.prom; false if the text has no such sample.
 */
bool metrics_sample(const char *text, const char *series, double *value);

/* A kernel thread other than kthreadd (a child of it), or 0 if none is visible. */
pid_t harness_kworker(void);
/* Read a whole file into a NUL-terminated buffer; -errno on failure. */
int read_file(const char *path, char *buf, size_t size);
int read_file_at(const char *mnt, pid_t pid, const char *name, char *buf, size_t size);
/*
 * Write text to path in one write(2), as cgroupfs and fusectl want it (g_file_set_contents()
 * renames, which they refuse); -errno on failure, -EIO if the write was short.
 */
int write_file(const char *path, const char *text);
/* The same through sendfile(2), as busybox cat reads: the page cache path, bounded by i_size. */
int sendfile_file(const char *path, char *buf, size_t size);

/* The kernel's own answers. */
int kernel_nspid(pid_t pid, pid_t *levels, unsigned max, unsigned *n);
uint64_t kernel_ns_ino(pid_t pid);

/* A process that blocks until the tree is released, then exits. */
#define TREE_LEVELS 33

struct member {
	pid_t host;
	unsigned level;
	pid_t inits[TREE_LEVELS]; /* host PID of the init of its namespace at each level */
};

#define TREE_MAX 64

struct nstree {
	int release[2]; /* closing release[1] ends every member */
	unsigned n;
	struct member m[TREE_MAX];
	/* If set, what each member added from now on runs first (handlers, children, a name). */
	void (*on_start)(void);
};

void nstree_init(struct nstree *t);
/*
 * Fork a process that runs child(arg), which must not return, in the PID namespace of in (0:
 * the caller's), or as the init of a new namespace nested there. It is the caller's child;
 * returns its host PID.
 */
pid_t harness_spawn(pid_t in, bool new_ns, void (*child)(void *), void *arg);
/*
 * Fork a process into the namespace that member parent_idx's namespace is (-1: the test's
 * own); with new_ns it is the init of a new namespace nested there. Returns its index.
 */
int nstree_add(struct nstree *t, int parent_idx, bool new_ns);
/* The standard tree: three levels, several members each, a sibling, an empty middle level. */
void nstree_build_standard(struct nstree *t);
void nstree_destroy(struct nstree *t);

/*
 * Run fn in a new process whose PID namespace is member's (as a container's process would
 * be), in the test's mount namespace. fn returns NULL on success or a g_malloc'd complaint,
 * which is returned here; a crash of the process is a complaint too.
 */
char *run_in_pidns_of(pid_t member, char *(*fn)(void *), void *arg);

/*
 * What an integration test program's tests run against: a namespace tree and the daemons
 * mounted over it, made by one setup and removed by one teardown. The program owns the tree
 * and the daemons (its tests name them) and says here how to make them; hooks add what is its
 * own around the shared steps.
 */
#define FIXTURE_DAEMONS 4
#define FIXTURE_ARGS	8

struct fixture_daemon {
	struct daemon *d; /* NULL: no more daemons */
	/* If set, that strategy's own answers, as daemon_start_strategy() starts it. */
	const char *strategy;
	const char *args[FIXTURE_ARGS]; /* more arguments, up to the first NULL */
	/* The tests start it themselves: the teardown stops it if it still runs. */
	bool by_test;
	bool started; /* the setup's record, for the teardown */
};

struct fixture;
/* Each hook is optional; nonzero fails the setup or the teardown. */
typedef int (*fixture_hook)(struct fixture *fx);

struct fixture {
	struct nstree *tree; /* NULL: no tree */
	bool standard_tree;  /* nstree_build_standard(), else an empty tree the hooks fill */
	struct fixture_daemon daemons[FIXTURE_DAEMONS];
	fixture_hook before_start; /* the tree is made and no daemon runs yet */
	fixture_hook after_start;  /* every daemon has mounted */
	fixture_hook before_stop;  /* everything still runs */
	fixture_hook after_stop;   /* the daemons have stopped and the tree's members are gone */
	bool made, tree_made;	   /* the setup's record, for the teardown */
};

/*
 * cmocka fixtures whose state is a struct fixture. A setup that fails has torn down what it
 * made, since cmocka does not run a test's teardown after its setup failed; the teardown is
 * then a no-op. The teardown fails if a hook did, or if a daemon's daemon_stop() was nonzero.
 */
int fixture_setup(void **state);
int fixture_teardown(void **state);
/* A test made and torn down on its own, in fixture fx. */
#define fixture_test(f, fx)                                                                        \
	cmocka_unit_test_prestate_setup_teardown(f, fixture_setup, fixture_teardown, fx)

struct CMUnitTest;
/* Run tests as one cmocka group, all in fixture fx, which is made once for them all. */
int fixture_run_group(const char *name, const struct CMUnitTest *tests, size_t n,
		      struct fixture *fx);
#define fixture_run(name, tests, fx) fixture_run_group(name, tests, G_N_ELEMENTS(tests), fx)
