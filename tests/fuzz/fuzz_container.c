/*
 * libFuzzer harness for the container parsers (src/proc/container_parse.c). Every input goes to
 * every parser, as each reads it: up to its first NUL as a cgroup path (a C string), whole as a
 * /proc/PID/cgroup text, a command line (NULs between arguments) and a JSON document (Docker's
 * and OCI's files); the seeds hold each kind. Then the answers are merged with each other.
 *
 * Checked, with readings of the formats written here apart from the code under test: every
 * answer fits its arrays and holds only what the header promises (hex IDs of 64 digits, names of
 * printable ASCII, pod UIDs 8-4-4-4-12 or 32 digits); what a parser refuses leaves its output
 * zeroed or untouched; -EINVAL for a path exactly when the kernel could not have written it; a
 * level added below a path, or the path as a whole /proc/PID/cgroup line, changes nothing; a
 * command line read with or without its last NUL reads the same; a JSON value found is the
 * value found again in a document made of it alone, and needs exactly its length and a NUL. The
 * input is also a cgroup text and a shim's command line at once (a task ctr named is its shim's
 * -id), and a config.json naming Docker's directory of a container the seeds hold.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "container_parse.h"
#include "fuzz.h"

#define TEXT_MAX (64 * 1024) /* the daemon reads at most this much of a file */

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool hex_id(const char *s)
{
	return strlen(s) == 64 && lower_hex(s, 64);
}

/* containerd: letters and digits in runs joined by single '.', '_' or '-', at most 76. */
static bool containerd_id(const char *s)
{
	size_t n = strlen(s);
	bool after_alnum = false;

	if (n == 0 || n > 76)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool alnum = g_ascii_isalnum(s[i]);

		if (!alnum && (!after_alnum || !strchr("._-", s[i])))
			return false;
		after_alnum = alnum;
	}
	return after_alnum;
}

static bool plain_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '/')
			return false;
	return true;
}

static bool k8s_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_islower(s[i]) && !g_ascii_isdigit(s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

static bool pod_uid(const char *s)
{
	size_t n = strlen(s);

	if (n == 32)
		return lower_hex(s, 32);
	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return false;
	return lower_hex(s, 8) && lower_hex(s + 9, 4) && lower_hex(s + 14, 4) &&
	       lower_hex(s + 19, 4) && lower_hex(s + 24, 12);
}

static bool all_zero(const struct container_info *c)
{
	static const struct container_info zero;

	return memcmp(c, &zero, sizeof(zero)) == 0;
}

/* What every answer may hold, whichever parser or merge gave it. */
static void check_info(const struct container_info *c)
{
	FUZZ_CHECK(terminated(c->id, sizeof(c->id)) && terminated(c->name, sizeof(c->name)));
	FUZZ_CHECK(terminated(c->pod_uid, sizeof(c->pod_uid)));
	FUZZ_CHECK(terminated(c->pod_name, sizeof(c->pod_name)));
	FUZZ_CHECK(terminated(c->pod_namespace, sizeof(c->pod_namespace)));
	FUZZ_CHECK(terminated(c->sandbox_id, sizeof(c->sandbox_id)));
	FUZZ_CHECK(c->runtime >= CONTAINER_NONE && c->runtime <= CONTAINER_NSPAWN);
	FUZZ_CHECK(c->qos >= POD_QOS_NONE && c->qos <= POD_QOS_BESTEFFORT);
	switch (c->runtime) {
	case CONTAINER_NONE:
	case CONTAINER_DOCKER:
	case CONTAINER_PODMAN:
	case CONTAINER_CRIO:
		FUZZ_CHECK(!c->id[0] || hex_id(c->id));
		break;
	case CONTAINER_CONTAINERD:
		FUZZ_CHECK(!c->id[0] || containerd_id(c->id));
		break;
	case CONTAINER_LXC:
	case CONTAINER_NSPAWN:
		FUZZ_CHECK(plain_name(c->id, CONTAINER_ID_MAX) && strcmp(c->id, c->name) == 0);
		break;
	}
	FUZZ_CHECK(!c->name[0] || plain_name(c->name, CONTAINER_NAME_MAX));
	FUZZ_CHECK(!c->pod_uid[0] || pod_uid(c->pod_uid));
	FUZZ_CHECK(c->qos == POD_QOS_NONE || c->pod_uid[0]);
	FUZZ_CHECK(!c->pod_name[0] || k8s_name(c->pod_name, POD_NAME_MAX));
	FUZZ_CHECK(!c->pod_namespace[0] || k8s_name(c->pod_namespace, 63));
	FUZZ_CHECK(!c->sandbox_id[0] || hex_id(c->sandbox_id));
	FUZZ_CHECK(container_runtime_name(c->runtime)[0] || c->runtime == CONTAINER_NONE);
}

/* Whether the kernel could have written path, from the host's cgroup namespace. */
static bool path_valid(const char *path)
{
	size_t len = strlen(path);
	const char *p = path + 1;

	if (len == 0 || len > CONTAINER_CGROUP_PATH_MAX || path[0] != '/')
		return false;
	if (len == 1)
		return true;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || n > 255 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

/* The pod UID as a slice writes it, '_' for '-'. */
static bool uid_in(const char *text, const char *uid)
{
	char slice[POD_UID_LEN + 1];

	if (strstr(text, uid))
		return true;
	g_strlcpy(slice, uid, sizeof(slice));
	g_strdelimit(slice, "-", '_');
	return strstr(text, slice) != NULL;
}

static int check_path(const char *path, struct container_info *c)
{
	int r = parse_container_cgroup(path, c);

	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL);
	FUZZ_CHECK((r == -EINVAL) == !path_valid(path));
	if (r < 0) {
		FUZZ_CHECK(all_zero(c));
		return r;
	}
	check_info(c);
	FUZZ_CHECK(c->id[0] || c->pod_uid[0]);
	FUZZ_CHECK(!c->sandbox_id[0] && !c->pod_name[0] && !c->pod_namespace[0] && !c->sandbox);
	FUZZ_CHECK(c->runtime != CONTAINER_NONE || !c->id[0] || c->pod_uid[0]);
	if (c->runtime != CONTAINER_LXC && c->runtime != CONTAINER_NSPAWN) {
		FUZZ_CHECK(!c->id[0] || hex_id(c->id));
		FUZZ_CHECK(!c->id[0] || strstr(path, c->id));
		FUZZ_CHECK(!c->name[0]);
	}
	if (c->runtime == CONTAINER_LXC)
		FUZZ_CHECK(strstr(path, c->name));
	FUZZ_CHECK(!c->pod_uid[0] || uid_in(path, c->pod_uid));
	return r;
}

/* A level below that no layout takes, and the path as a /proc/PID/cgroup line. */
static void check_path_context(const char *path, int r, const struct container_info *c)
{
	size_t len = strlen(path);
	struct container_info again;
	char *text;

	if (r != -EINVAL && len + 4 <= CONTAINER_CGROUP_PATH_MAX) {
		char *below = g_strconcat(len == 1 ? "" : path, "/x y", NULL);

		FUZZ_CHECK(parse_container_cgroup(below, &again) == r);
		FUZZ_CHECK(memcmp(&again, c, sizeof(again)) == 0);
		g_free(below);
	}
	if (strchr(path, '\n'))
		return;
	text = g_strconcat("0::", path, "\n", NULL);
	FUZZ_CHECK(parse_container_cgroup_file(text, strlen(text), &again) == r);
	FUZZ_CHECK(memcmp(&again, c, sizeof(again)) == 0);
	g_free(text);
}

static int check_cgroup_file(const char *text, size_t size, struct container_info *c)
{
	int r = parse_container_cgroup_file(text, size, c);

	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -EXDEV);
	if (r < 0)
		FUZZ_CHECK(all_zero(c));
	else
		check_info(c);
	return r;
}

static int check_cmdline(const char *buf, size_t size, struct container_info *c)
{
	int r = parse_container_cmdline(buf, size, c);
	struct container_info again;

	FUZZ_CHECK(r == 0 || r == -ENOENT);
	if (r < 0) {
		FUZZ_CHECK(all_zero(c));
	} else {
		check_info(c);
		FUZZ_CHECK(c->id[0] || c->sandbox_id[0]);
		FUZZ_CHECK(!c->id[0] || memmem(buf, size, c->id, strlen(c->id)));
		FUZZ_CHECK(!c->name[0] || memmem(buf, size, c->name, strlen(c->name)));
		FUZZ_CHECK(!c->pod_uid[0] || memmem(buf, size, c->pod_uid, strlen(c->pod_uid)));
		FUZZ_CHECK(!c->sandbox_id[0] ||
			   memmem(buf, size, c->sandbox_id, strlen(c->sandbox_id)));
	}
	/* A read that cut the last NUL off reads as the whole line. */
	if (size > 0 && buf[size - 1] != '\0') {
		char *nul = malloc(size + 1);

		FUZZ_CHECK(nul);
		memcpy(nul, buf, size);
		nul[size] = '\0';
		FUZZ_CHECK(parse_container_cmdline(nul, size + 1, &again) == r);
		FUZZ_CHECK(memcmp(&again, c, sizeof(again)) == 0);
		free(nul);
	}
	return r;
}

/* The value as a JSON string: quote and backslash escaped, '/' too, the rest as it is. */
static GString *json_quote(const char *v)
{
	GString *s = g_string_new("\"");

	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\' || *p == '/')
			g_string_append_c(s, '\\');
		g_string_append_c(s, *p);
	}
	g_string_append_c(s, '"');
	return s;
}

static void check_json_key(const char *doc, size_t size, const char *key)
{
	char out[300], again[300];
	const char *path[] = {key, NULL};
	int r = json_string_value(doc, size, key, out, sizeof(out));

	FUZZ_CHECK(r >= 0 || r == -ENOENT || r == -EINVAL || r == -ENOSPC);
	FUZZ_CHECK(terminated(out, sizeof(out)));
	if (r < 0) {
		FUZZ_CHECK(out[0] == '\0');
		/* A document without the key anywhere has none at the top either. */
		if (r == -ENOENT)
			FUZZ_CHECK(json_string_at(doc, size, path, again, sizeof(again)) ==
				   -ENOENT);
		return;
	}
	FUZZ_CHECK(strlen(out) == (size_t)r && (size_t)r < sizeof(out));
	FUZZ_CHECK(g_utf8_validate(out, r, NULL) && fuzz_free_of_controls(out, (size_t)r, false));
	/* Exactly its length and a NUL are needed. */
	FUZZ_CHECK(json_string_value(doc, size, key, again, (size_t)r + 1) == r);
	FUZZ_CHECK(strcmp(again, out) == 0);
	FUZZ_CHECK(json_string_value(doc, size, key, again, (size_t)r) == -ENOSPC);
	FUZZ_CHECK(again[0] == '\0' || r == 0);

	/* The value alone in a document of its own, found by either way. */
	{
		g_autoptr(GString) quoted = json_quote(out);
		g_autofree char *own = g_strdup_printf("{\"%s\": %s}", key, quoted->str);

		FUZZ_CHECK(json_string_value(own, strlen(own), key, again, sizeof(again)) == r);
		FUZZ_CHECK(strcmp(again, out) == 0);
		FUZZ_CHECK(json_string_at(own, strlen(own), path, again, sizeof(again)) == r);
		FUZZ_CHECK(strcmp(again, out) == 0);
	}
}

static void check_json_path(const char *doc, size_t size, const char *const *path)
{
	char out[300];
	int r = json_string_at(doc, size, path, out, sizeof(out));

	FUZZ_CHECK(r >= 0 || r == -ENOENT || r == -EINVAL || r == -ENOSPC);
	FUZZ_CHECK(terminated(out, sizeof(out)));
	if (r < 0) {
		FUZZ_CHECK(out[0] == '\0');
		return;
	}
	FUZZ_CHECK(strlen(out) == (size_t)r);
	FUZZ_CHECK(g_utf8_validate(out, r, NULL) && fuzz_free_of_controls(out, (size_t)r, false));
}

/* Whether "/" id stands in buf as a whole level: followed by '/', a newline or the end. */
static bool ends_a_level(const char *buf, size_t size, const char *id)
{
	size_t n = strlen(id);

	for (size_t i = 0; i + n + 1 <= size; i++)
		if (buf[i] == '/' && memcmp(buf + i + 1, id, n) == 0 &&
		    (i + n + 1 == size || buf[i + n + 1] == '/' || buf[i + n + 1] == '\n'))
			return true;
	return false;
}

/*
 * The input as both a cgroup text and a shim's command line (a command line's last argument can
 * hold cgroup lines): what parse_container_by_shim takes is the shim's own -id, with its runtime.
 */
static void check_by_shim(const char *buf, size_t size, const struct container_info *from_cmdline)
{
	struct container_info c;
	int r = parse_container_by_shim(buf, size, buf, size, &c);

	FUZZ_CHECK(r == 0 || r == -ENOENT);
	if (r < 0) {
		FUZZ_CHECK(all_zero(&c));
		return;
	}
	check_info(&c);
	FUZZ_CHECK(c.runtime == CONTAINER_CONTAINERD && containerd_id(c.id));
	FUZZ_CHECK(!c.name[0] && !c.pod_uid[0] && !c.sandbox_id[0] && !c.sandbox);
	FUZZ_CHECK(from_cmdline->runtime == CONTAINER_CONTAINERD);
	FUZZ_CHECK(strcmp(from_cmdline->id, c.id) == 0);
	FUZZ_CHECK(ends_a_level(buf, size, c.id));
}

/* Docker's directory of a container whose ID the seeds hold. */
#define DOCKER_SEED_ID "d77d42c50d0343933b41086e726d93c375b040b97194558e56969ec65df4d9fa"

static void check_docker_dir(const char *doc, size_t size)
{
	char out[CONTAINER_CGROUP_PATH_MAX + 1], again[CONTAINER_CGROUP_PATH_MAX + 1];
	const char *tail = "/containers/" DOCKER_SEED_ID;
	int r = docker_dir_from_oci_config(doc, size, DOCKER_SEED_ID, out, sizeof(out));

	FUZZ_CHECK(r > 0 || r == -ENOENT || r == -EINVAL);
	FUZZ_CHECK(terminated(out, sizeof(out)));
	if (r < 0) {
		FUZZ_CHECK(out[0] == '\0');
		return;
	}
	/* An absolute path the kernel could hold, ending in containers/ID. */
	FUZZ_CHECK(strlen(out) == (size_t)r && path_valid(out));
	FUZZ_CHECK((size_t)r >= strlen(tail) && strcmp(out + r - strlen(tail), tail) == 0);
	FUZZ_CHECK(docker_dir_from_oci_config(doc, size, DOCKER_SEED_ID, again, (size_t)r + 1) ==
		   r);
	FUZZ_CHECK(strcmp(again, out) == 0);
	FUZZ_CHECK(docker_dir_from_oci_config(doc, size, DOCKER_SEED_ID, again, (size_t)r) ==
		   -ENOSPC);
	FUZZ_CHECK(again[0] == '\0');
}

/* What a runtime's file adds to before: nothing on error, else before's fields kept. */
static void check_file(const char *doc, size_t size, bool docker,
		       const struct container_info *before, struct container_info *after)
{
	int r;

	*after = *before;
	r = docker ? container_names_from_docker_config(doc, size, after)
		   : container_names_from_oci_config(doc, size, after);
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -EXDEV);
	if (r < 0) {
		FUZZ_CHECK(memcmp(after, before, sizeof(*after)) == 0);
		return;
	}
	check_info(after);
	if (docker)
		FUZZ_CHECK(after->runtime == CONTAINER_DOCKER);
	FUZZ_CHECK(before->runtime == CONTAINER_NONE || after->runtime == before->runtime);
	FUZZ_CHECK(!before->id[0] || strcmp(after->id, before->id) == 0);
	FUZZ_CHECK(!before->name[0] || strcmp(after->name, before->name) == 0);
	FUZZ_CHECK(!before->pod_uid[0] || strcmp(after->pod_uid, before->pod_uid) == 0);
}

/* Merging: all or nothing, what both hold kept, and doing it again changes nothing. */
static void check_merge(const struct container_info *a, const struct container_info *b)
{
	struct container_info m = *a, again;
	int r = container_info_merge(&m, b);

	FUZZ_CHECK(r == 0 || r == -EXDEV);
	if (r < 0) {
		FUZZ_CHECK(memcmp(&m, a, sizeof(m)) == 0);
		return;
	}
	check_info(&m);
	FUZZ_CHECK(!a->id[0] || strcmp(m.id, a->id) == 0);
	FUZZ_CHECK(!b->id[0] || strcmp(m.id, b->id) == 0);
	FUZZ_CHECK(!b->name[0] || strcmp(m.name, b->name) == 0);
	FUZZ_CHECK(!b->pod_uid[0] || strcmp(m.pod_uid, b->pod_uid) == 0);
	FUZZ_CHECK(b->runtime == CONTAINER_NONE || m.runtime == b->runtime);
	again = m;
	FUZZ_CHECK(container_info_merge(&again, b) == 0 && container_info_merge(&again, a) == 0);
	FUZZ_CHECK(memcmp(&again, &m, sizeof(m)) == 0);
	/* The other way round agrees. */
	again = *b;
	FUZZ_CHECK(container_info_merge(&again, a) == 0);
}

static void check_uri(const struct container_info *c)
{
	char buf[CONTAINER_ID_MAX + 32];
	int r = container_id_uri(c, buf, sizeof(buf));

	FUZZ_CHECK(r >= 0 || r == -ENOENT);
	FUZZ_CHECK(terminated(buf, sizeof(buf)) && (r >= 0 || buf[0] == '\0'));
	if (r >= 0) {
		FUZZ_CHECK(strlen(buf) == (size_t)r && strstr(buf, "://"));
		FUZZ_CHECK(strcmp(strstr(buf, "://") + 3, c->id) == 0);
		FUZZ_CHECK(container_id_uri(c, buf, (size_t)r) == -ENOSPC && buf[0] == '\0');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"Name", "ID", "k", "io.kubernetes.pod.name"};
	static const char *const annotation[] = {"annotations", "io.kubernetes.pod.name", NULL};
	static const char *const label[] = {"Config", "Labels", "io.kubernetes.pod.uid", NULL};
	char *exact, *path;
	struct container_info from_path, from_file, from_cmdline, docker, oci, more;
	int r;

	if (size > TEXT_MAX)
		return 0;
	exact = fuzz_dup_exact(data, size);
	path = fuzz_dup_cstr(data, size, CONTAINER_CGROUP_PATH_MAX + 64);

	r = check_path(path, &from_path);
	check_path_context(path, r, &from_path);
	check_cgroup_file(exact, size, &from_file);
	check_cmdline(exact, size, &from_cmdline);
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
		check_json_key(exact, size, keys[i]);
	check_json_path(exact, size, annotation);
	check_json_path(exact, size, label);

	check_by_shim(exact, size, &from_cmdline);
	check_docker_dir(exact, size);
	check_file(exact, size, true, &(struct container_info){0}, &docker);
	check_file(exact, size, false, &(struct container_info){0}, &oci);
	check_file(exact, size, true, &from_path, &more);
	check_file(exact, size, false, &from_cmdline, &more);

	check_merge(&from_path, &from_cmdline);
	check_merge(&from_file, &from_path);
	check_merge(&from_path, &docker);
	check_merge(&from_cmdline, &oci);
	check_uri(&from_path);
	check_uri(&from_cmdline);
	check_uri(&docker);

	free(path);
	free(exact);
	return 0;
}
