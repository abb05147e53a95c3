/* Which container a runtime's process watches, from its command line. */
#include "container_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "container_text.h"

/* The part after the last '/': a program's name from its path. */
struct span basename_of(struct span a)
{
	size_t i = a.n;

	while (i > 0 && a.s[i - 1] != '/')
		i--;
	return span_of(a.s + i, a.n - i);
}

/* Whether some '/'-separated level of a path is exactly lit. */
static bool path_has_level(struct span path, const char *lit)
{
	size_t start = 0;

	for (size_t i = 0; i <= path.n; i++) {
		if (i < path.n && path.s[i] != '/')
			continue;
		if (span_eq(span_of(path.s + start, i - start), lit))
			return true;
		start = i + 1;
	}
	return false;
}

/* A Kubernetes object name: lowercase letters, digits, '-' and '.'; never '_', which splits. */
bool k8s_name_ok(struct span a, size_t max)
{
	if (a.n == 0 || a.n > max)
		return false;
	for (size_t i = 0; i < a.n; i++)
		if (!is_digit(a.s[i]) && !(a.s[i] >= 'a' && a.s[i] <= 'z') && a.s[i] != '-' &&
		    a.s[i] != '.')
			return false;
	return true;
}

/*
 * The names kubelet gave Docker's containers and CRI-O gives its own (conmon's -n):
 * k8s_CONTAINER_POD_NAMESPACE_UID_ATTEMPT, CONTAINER "POD" for the sandbox, and CRI-O's
 * k8s_PODNAME_NAMESPACE_UID_ATTEMPT for a pod's sandbox. Kubernetes names hold no '_', so the split
 * is exact.
 */
bool parse_k8s_name(struct span s, struct container_info *out)
{
	struct span f[7];
	size_t nf = 0, start = 0;
	struct container_info t = {0};
	struct span ctr = {NULL, 0};

	for (size_t i = 0; i <= s.n; i++) {
		if (i < s.n && s.s[i] != '_')
			continue;
		if (nf == G_N_ELEMENTS(f))
			return false;
		f[nf++] = span_of(s.s + start, i - start);
		start = i + 1;
	}
	if ((nf != 5 && nf != 6) || !span_eq(f[0], "k8s"))
		return false;
	if (nf == 6)
		ctr = f[1];
	if (f[nf - 1].n == 0 || f[nf - 1].n > 10)
		return false;
	for (size_t i = 0; i < f[nf - 1].n; i++)
		if (!is_digit(f[nf - 1].s[i]))
			return false;
	if (!k8s_name_ok(f[nf - 4], POD_NAME_MAX) || !k8s_name_ok(f[nf - 3], K8S_LABEL_MAX) ||
	    !pod_uid_parse(f[nf - 2], '-', t.pod_uid))
		return false;
	copy_span(t.pod_name, sizeof(t.pod_name), f[nf - 4]);
	copy_span(t.pod_namespace, sizeof(t.pod_namespace), f[nf - 3]);
	if (!ctr.s || span_eq(ctr, "POD"))
		t.sandbox = true;
	else if (k8s_name_ok(ctr, K8S_LABEL_MAX))
		copy_span(t.name, sizeof(t.name), ctr);
	else
		return false;
	*out = t;
	return true;
}

/* The argument at *p in [*p, end), moving *p past its NUL; the last one may have none. */
static bool next_arg(const char **p, const char *end, struct span *arg)
{
	const char *nul;

	if (*p >= end)
		return false;
	nul = memchr(*p, '\0', (size_t)(end - *p));
	*arg = span_of(*p, (size_t)((nul ? nul : end) - *p));
	*p = nul ? nul + 1 : end;
	return true;
}

struct option_spec {
	const char *name;
	char short_name;
	bool takes_value;
};

/* conmon 2.1's options (src/cli.c); those with no value are listed so that none is taken. */
static const struct option_spec conmon_options[] = {
    {"api-version", 0, false},
    {"bundle", 'b', true},
    {"cid", 'c', true},
    {"conmon-pidfile", 'P', true},
    {"container-pidfile", 'p', true},
    {"cuuid", 'u', true},
    {"exec", 'e', false},
    {"exec-attach", 0, false},
    {"exec-process-spec", 0, true},
    {"exit-command", 0, true},
    {"exit-command-arg", 0, true},
    {"exit-delay", 0, true},
    {"exit-dir", 0, true},
    {"full-attach", 0, false},
    {"leave-stdin-open", 0, false},
    {"log-global-size-max", 0, true},
    {"log-level", 0, true},
    {"log-path", 'l', true},
    {"log-size-max", 0, true},
    {"log-tag", 0, true},
    {"name", 'n', true},
    {"no-new-keyring", 0, false},
    {"no-pivot", 0, false},
    {"no-sync-log", 0, false},
    {"persist-dir", '0', true},
    {"pidfile", 0, true},
    {"replace-listen-pid", 0, false},
    {"restore", 0, true},
    {"restore-arg", 0, true},
    {"runtime", 'r', true},
    {"runtime-arg", 0, true},
    {"runtime-opt", 0, true},
    {"sdnotify-socket", 0, true},
    {"seccomp-notify-plugins", 0, true},
    {"seccomp-notify-socket", 0, true},
    {"socket-dir-path", 0, true},
    {"stdin", 'i', false},
    {"sync", 0, false},
    {"syslog", 0, false},
    {"systemd-cgroup", 's', false},
    {"terminal", 't', false},
    {"timeout", 'T', true},
    {"version", 0, false},
};

/* containerd's shims (runtime v2 and the v1 containerd-shim): Go flags. */
static const struct option_spec shim_options[] = {
    {"address", 0, true},   {"bundle", 0, true},	  {"containerd-binary", 0, true},
    {"criu", 0, true},	    {"debug", 0, false},	  {"id", 0, true},
    {"namespace", 0, true}, {"publish-binary", 0, true},  {"runtime-root", 0, true},
    {"socket", 0, true},    {"systemd-cgroup", 0, false}, {"v", 0, false},
    {"workdir", 0, true},
};

/* The values of the options a parser wants, by the option's long name. */
struct wanted {
	const char *name;
	struct span value;
};

static const struct option_spec *option_by_name(const struct option_spec *opts, size_t n,
						struct span name)
{
	for (size_t i = 0; i < n; i++)
		if (span_eq(name, opts[i].name))
			return &opts[i];
	return NULL;
}

static void keep_value(struct wanted *w, size_t nw, const struct option_spec *o, struct span v)
{
	for (size_t i = 0; o && i < nw; i++)
		if (strcmp(w[i].name, o->name) == 0)
			w[i].value = v; /* the last one wins, as in GLib and Go */
}

/*
 * Read options from args after argv[0]. Long options are --NAME VALUE or --NAME=VALUE (Go also
 * takes a single '-', go_style); GLib's short ones may be grouped (-ts), each that needs a value
 * taking the next argument. An unknown option is taken for one without a value, and other
 * arguments are skipped rather than ending the options (Go stops there, but an option added
 * later, with a value, must not hide the ones after it). "--" ends the options.
 */
static void read_options(const char *p, const char *end, const struct option_spec *opts,
			 size_t nopts, bool go_style, struct wanted *w, size_t nw)
{
	struct span arg, v;

	while (next_arg(&p, end, &arg)) {
		const struct option_spec *o;
		size_t dashes;

		if (span_eq(arg, "--"))
			return;
		if (arg.n < 2 || arg.s[0] != '-')
			continue;
		dashes = arg.s[1] == '-' ? 2 : 1;
		if (dashes == 2 || go_style) {
			struct span name = span_of(arg.s + dashes, arg.n - dashes);
			const char *eq = memchr(name.s, '=', name.n);

			if (eq)
				name.n = (size_t)(eq - name.s);
			o = option_by_name(opts, nopts, name);
			if (!o || !o->takes_value)
				continue;
			if (eq)
				v = span_of(eq + 1, arg.n - dashes - name.n - 1);
			else if (!next_arg(&p, end, &v))
				return;
			keep_value(w, nw, o, v);
			continue;
		}
		for (size_t i = 1; i < arg.n; i++) {
			o = NULL;
			for (size_t k = 0; k < nopts && !o; k++)
				if (opts[k].short_name && opts[k].short_name == arg.s[i])
					o = &opts[k];
			if (!o || !o->takes_value)
				continue;
			if (!next_arg(&p, end, &v))
				return;
			keep_value(w, nw, o, v);
		}
	}
}

static int parse_conmon(const char *p, const char *end, struct container_info *out)
{
	enum { CID, NAME, EXIT_COMMAND, EXIT_DIR, SOCKET_DIR };
	struct wanted w[] = {
	    [CID] = {"cid", {NULL, 0}},
	    [NAME] = {"name", {NULL, 0}},
	    [EXIT_COMMAND] = {"exit-command", {NULL, 0}},
	    [EXIT_DIR] = {"exit-dir", {NULL, 0}},
	    [SOCKET_DIR] = {"socket-dir-path", {NULL, 0}},
	};
	bool k8s = false;

	read_options(p, end, conmon_options, G_N_ELEMENTS(conmon_options), false, w,
		     G_N_ELEMENTS(w));
	if (!hex_id_ok(w[CID].value))
		return -ENOENT;
	if (w[NAME].value.s) {
		k8s = parse_k8s_name(w[NAME].value, out);
		if (!k8s && !name_ok(w[NAME].value, CONTAINER_NAME_MAX))
			return -ENOENT;
		if (!k8s)
			copy_span(out->name, sizeof(out->name), w[NAME].value);
	}
	copy_span(out->id, sizeof(out->id), w[CID].value);
	/* Each caller passes its own exit command or directories; CRI-O alone names pods so. */
	if (w[EXIT_COMMAND].value.s && span_eq(basename_of(w[EXIT_COMMAND].value), "podman"))
		out->runtime = CONTAINER_PODMAN;
	else if ((w[EXIT_DIR].value.s && path_has_level(w[EXIT_DIR].value, "crio")) ||
		 (w[SOCKET_DIR].value.s && path_has_level(w[SOCKET_DIR].value, "crio")) || k8s)
		out->runtime = CONTAINER_CRIO;
	return 0;
}

static int parse_shim(const char *p, const char *end, bool v1, struct container_info *out)
{
	enum { NAMESPACE, ID, WORKDIR };
	struct wanted w[] = {
	    [NAMESPACE] = {"namespace", {NULL, 0}},
	    [ID] = {"id", {NULL, 0}},
	    [WORKDIR] = {"workdir", {NULL, 0}},
	};
	struct span ns, id;
	bool per_pod;

	read_options(p, end, shim_options, G_N_ELEMENTS(shim_options), true, w, G_N_ELEMENTS(w));
	ns = w[NAMESPACE].value;
	/* The v1 shim has no -id: its work directory is .../NAMESPACE/ID. */
	if (v1 && w[WORKDIR].value.s)
		id = basename_of(w[WORKDIR].value);
	else
		id = v1 ? span_of(NULL, 0) : w[ID].value;
	if (!ns.s || !id.s || !containerd_identifier_ok(ns))
		return -ENOENT;
	/* The CRI plugin starts one v2 shim per pod, for its sandbox; v1 shims were per container.
	 */
	per_pod = span_eq(ns, "k8s.io") && !v1;
	if ((span_eq(ns, "moby") || span_eq(ns, "k8s.io")) ? !hex_id_ok(id)
							   : !containerd_identifier_ok(id))
		return -ENOENT;
	out->runtime = span_eq(ns, "moby") ? CONTAINER_DOCKER : CONTAINER_CONTAINERD;
	if (per_pod)
		copy_span(out->sandbox_id, sizeof(out->sandbox_id), id);
	else
		copy_span(out->id, sizeof(out->id), id);
	return 0;
}

/* "[lxc monitor] LXCPATH NAME": the monitor's title replaces its whole command line. */
static int parse_lxc_monitor(struct span title, struct container_info *out)
{
	static const char prefix[] = "[lxc monitor] ";
	struct span rest = span_of(title.s + strlen(prefix), title.n - strlen(prefix));
	const char *blank = NULL;

	for (size_t i = rest.n; i > 0 && !blank; i--)
		if (rest.s[i - 1] == ' ')
			blank = rest.s + i - 1;
	if (!blank || blank == rest.s || rest.s[0] != '/')
		return -ENOENT;
	rest = span_of(blank + 1, rest.n - (size_t)(blank + 1 - rest.s));
	if (!name_ok(rest, CONTAINER_ID_MAX))
		return -ENOENT;
	out->runtime = CONTAINER_LXC;
	copy_span(out->id, sizeof(out->id), rest);
	copy_span(out->name, sizeof(out->name), rest);
	return 0;
}

int parse_container_cmdline(const char *buf, size_t len, struct container_info *out)
{
	const char *p = buf, *end = buf + len;
	struct span argv0, prog;
	int r = -ENOENT;

	memset(out, 0, sizeof(*out));
	if (!next_arg(&p, end, &argv0))
		return -ENOENT;
	prog = basename_of(argv0);
	if (has_prefix(argv0, "[lxc monitor] "))
		r = parse_lxc_monitor(argv0, out);
	else if (span_eq(prog, "conmon"))
		r = parse_conmon(p, end, out);
	else if (span_eq(prog, "containerd-shim") || span_eq(prog, "docker-containerd-shim"))
		r = parse_shim(p, end, true, out);
	else if (has_prefix(prog, "containerd-shim-"))
		r = parse_shim(p, end, false, out);
	if (r < 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* The path of a /proc/PID/cgroup line: after its second ':'. */
static bool cgroup_line_path(struct span line, struct span *path)
{
	const char *c1 = memchr(line.s, ':', line.n);
	const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(line.s + line.n - c1 - 1)) : NULL;

	if (!c2)
		return false;
	*path = span_of(c2 + 1, (size_t)(line.s + line.n - c2 - 1));
	return true;
}

int parse_container_by_shim(const char *cgroup, size_t cgroup_len, const char *cmd, size_t cmd_len,
			    struct container_info *out)
{
	enum { NAMESPACE, ID };
	struct wanted w[] = {
	    [NAMESPACE] = {"namespace", {NULL, 0}},
	    [ID] = {"id", {NULL, 0}},
	};
	const char *p = cmd, *end = cmd + cmd_len;
	struct span argv0, ns, id, line, path;
	struct container_info said;

	memset(out, 0, sizeof(*out));
	/* The program as parse_container_cmdline tells it (not LXC's monitor's title), a v2 shim.
	 */
	if (parse_container_cmdline(cmd, cmd_len, &said) < 0 ||
	    said.runtime != CONTAINER_CONTAINERD || !next_arg(&p, end, &argv0) ||
	    !has_prefix(basename_of(argv0), "containerd-shim-"))
		return -ENOENT;
	read_options(p, end, shim_options, G_N_ELEMENTS(shim_options), true, w, G_N_ELEMENTS(w));
	ns = w[NAMESPACE].value;
	id = w[ID].value;
	/* Docker's and the CRI plugin's tasks have cgroups of their own, and hex IDs. */
	if (!ns.s || !id.s || !containerd_namespace_ok(ns) || span_eq(ns, "moby") ||
	    span_eq(ns, "k8s.io") || !containerd_identifier_ok(id))
		return -ENOENT;
	/* /NS/ID, or a level below it: the container's own cgroups. */
	for (p = cgroup, end = cgroup + cgroup_len; p < end; p = line.s + line.n + 1) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = ns.n + id.n + 2;

		line = span_of(p, (size_t)((nl ? nl : end) - p));
		if (!cgroup_line_path(line, &path) || path.n < n || path.s[0] != '/' ||
		    memcmp(path.s + 1, ns.s, ns.n) != 0 || path.s[ns.n + 1] != '/' ||
		    memcmp(path.s + ns.n + 2, id.s, id.n) != 0 || (path.n > n && path.s[n] != '/'))
			continue;
		out->runtime = CONTAINER_CONTAINERD;
		copy_span(out->id, sizeof(out->id), id);
		return 0;
	}
	return -ENOENT;
}
