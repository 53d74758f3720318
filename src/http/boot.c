#include "http/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/jail.h"
#include "core/log.h"
#include "core/services.h"
#include "core/util.h"
#include "http/request.h"
#include "http/template.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

const char *const http_boot_ipxe_vars[] = {"mac", "name", "ip", "uuid", "arch", "server", NULL};
#define N_IPXE_VARS (NB_ARRAY_SIZE(http_boot_ipxe_vars) - 1)

/* What an iPXE client gets when no template is configured: say who it is,
 * then chain the site-wide default.ipxe from the boot root, and when there
 * is none, leave the boot to the next device in the firmware's order. */
const char http_boot_ipxe_default[] =
        "#!ipxe\n"
        "# rendered by netbay for {{mac}}\n"
        "echo netbay: {{mac}} {{name}} {{ip}}\n"
        "chain --autofree http://{{server}}/default.ipxe || goto local\n"
        "exit\n"
        ":local\n"
        "echo netbay: no default.ipxe; booting from the next device\n"
        "sleep 3\n"
        "exit 1\n";

/* A template file: where it is, the text in use, and the identity of the
 * file that text came from. A file in the boot root is only ever opened
 * through the jail (core/jail.h), like the boot files themselves. */
struct tmpl_src {
	char path[CONF_PATH_MAX + JAIL_PATH_MAX +
	          2];                /* as logged: ROOT/NAME or the absolute path; "": built in */
	char rel[JAIL_PATH_MAX + 1]; /* under the boot root; "": an absolute path outside it */
	char *text;                  /* NULL until a version checked */
	size_t len;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

#define BOOT_PROFILE_TEMPLATES 8

struct http_boot {
	const struct nb_services *svc;
	const struct conf *conf;
	char root[CONF_PATH_MAX];
	int root_fd; /* -1 until the root can be opened */
	struct tmpl_src tmpl;
	struct tmpl_src bad; /* the last version that failed (its identity), logged once */
	int bad_err;         /* the last error opening the file, logged once */
	/* templates groups and devices name in their profiles, by path */
	struct tmpl_src profile[BOOT_PROFILE_TEMPLATES];
	unsigned profile_next; /* the slot to reuse next */
	struct log_ratelimit rl;
};

/* What a device waiting for approval gets with [dhcp] pending-boot = wait:
 * it asks again until the answer changes. */
static const char boot_ipxe_wait[] = "#!ipxe\n"
                                     "echo netbay: {{mac}} is waiting for approval\n"
                                     "sleep 15\n"
                                     "chain --autofree http://{{server}}/boot/{{mac}}.ipxe\n";

/* ---- the template */

static void tmpl_src_done(struct tmpl_src *t)
{
	free(t->text);
	memset(t, 0, sizeof *t);
}

static bool same_file(const struct tmpl_src *t, const struct stat *st)
{
	return t->dev == st->st_dev && t->ino == st->st_ino && t->size == st->st_size &&
	       t->mtime.tv_sec == st->st_mtim.tv_sec && t->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void keep_identity(struct tmpl_src *t, const struct stat *st)
{
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->size = st->st_size;
	t->mtime = st->st_mtim;
}

/* Where the template named name is: in the boot root (a relative name, or
 * an absolute path under the root), or, for [http] ipxe-template alone
 * (may_leave), an absolute path elsewhere that the admin named. */
static int tmpl_locate(const char *root, const char *name, bool may_leave, struct tmpl_src *t,
                       char *err, size_t errlen)
{
	int r = may_leave ? jail_place(root, name, t->rel, sizeof t->rel)
	                  : jail_map(name, t->rel, sizeof t->rel);
	if (r < 0)
		return nb_errf(err, errlen, r == -ENAMETOOLONG ? r : -EPERM,
		               "%s: not a file name inside the boot root", name);
	if (r == 0 && may_leave) {
		t->rel[0] = 0;
		snprintf(t->path, sizeof t->path, "%s", name);
	} else {
		snprintf(t->path, sizeof t->path, "%s/%s", root, t->rel);
	}
	return 0;
}

/* Opens the file of t read-only: through the jail when it is in the boot
 * root (root_fd), so a symlink out of the root is refused. */
static int tmpl_open(int root_fd, const struct tmpl_src *t, char *err, size_t errlen)
{
	if (!t->rel[0]) {
		int fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e = errno;
		return fd >= 0 ? fd : nb_errf(err, errlen, -e, "%s: %s", t->path, strerror(e));
	}
	if (root_fd < 0)
		return nb_errf(err, errlen, -ENOENT, "%s: the boot root cannot be opened", t->path);
	int fd = jail_open(root_fd, t->rel, false, O_NONBLOCK, NULL, 0);
	switch (fd) {
	case -EPERM:
		return nb_errf(
		        err, errlen, fd,
		        "%s: refused: it resolves outside the boot root (a symlink out of it)",
		        t->path);
	case -EISDIR:
		return nb_errf(err, errlen, -EINVAL, "%s: not a regular file", t->path);
	default:
		return fd >= 0 ? fd : nb_errf(err, errlen, fd, "%s: %s", t->path, strerror(-fd));
	}
}

/* Reads and checks the template open at fd (st: its fstat) into t->text. */
static int tmpl_read(int fd, const struct stat *st, struct tmpl_src *t, char *err, size_t errlen)
{
	char why[160];
	if (!S_ISREG(st->st_mode))
		return nb_errf(err, errlen, -EINVAL, "%s: not a regular file", t->path);
	if (st->st_size > HTTP_TMPL_TEXT_MAX)
		return nb_errf(err, errlen, -E2BIG, "%s: longer than %d bytes", t->path,
		               HTTP_TMPL_TEXT_MAX);
	NB_CLEANUP(freep) char *text = malloc((size_t) st->st_size + 1);
	if (!text)
		return -ENOMEM;
	ssize_t n = read(fd, text, (size_t) st->st_size + 1);
	int e = errno;
	if (n < 0)
		return nb_errf(err, errlen, -e, "%s: %s", t->path, strerror(e));
	if (n > st->st_size) /* grew while reading: try again next time */
		return nb_errf(err, errlen, -EAGAIN, "%s: changed while read", t->path);
	int r = http_tmpl_check(text, (size_t) n, http_boot_ipxe_vars, N_IPXE_VARS, why,
	                        sizeof why);
	if (r < 0)
		return nb_errf(err, errlen, r, "%s: %s", t->path, why);
	free(t->text);
	t->text = steal_ptr(&text);
	t->len = (size_t) n;
	keep_identity(t, st);
	return 0;
}

/* Brings t up to date with its file: returns 0 when the text in use is the
 * file's (unchanged since it was read), 1 when a new version was read into
 * t, or -errno with err set (t unchanged; *ret_st is the failing version's
 * identity when the file could be opened, else zeroed). */
static int tmpl_update(int root_fd, struct tmpl_src *t, struct stat *ret_st, char *err,
                       size_t errlen)
{
	struct tmpl_src next = *t;
	memset(ret_st, 0, sizeof *ret_st);
	NB_CLEANUP(closep) int fd = tmpl_open(root_fd, t, err, errlen);
	if (fd < 0)
		return fd;
	if (fstat(fd, ret_st) < 0) {
		int e = errno;
		return nb_errf(err, errlen, -e, "%s: %s", t->path, strerror(e));
	}
	if (t->text && same_file(t, ret_st))
		return 0;
	next.text = NULL;
	int r = tmpl_read(fd, ret_st, &next, err, errlen);
	if (r < 0)
		return r;
	free(t->text);
	*t = next;
	return 1;
}

/* Re-reads the [http] template when it changed since it was loaded; a
 * version that cannot be read or does not check is logged once and the
 * last good one stays. */
static void tmpl_refresh(struct http_boot *b)
{
	struct stat st;
	char err[400];

	if (!b->tmpl.path[0])
		return;
	int r = tmpl_update(b->root_fd, &b->tmpl, &st, err, sizeof err);
	if (r == 1)
		log_info("http: iPXE template %s reloaded", b->tmpl.path);
	if (r >= 0) {
		b->bad_err = 0;
		memset(&b->bad, 0, sizeof b->bad);
		return;
	}
	bool seen = st.st_ino ? same_file(&b->bad, &st) : b->bad_err == r;
	if (seen)
		return;
	log_err("http: iPXE template %s; still using the previous version", err);
	b->bad_err = r;
	memset(&b->bad, 0, sizeof b->bad);
	if (st.st_ino)
		keep_identity(&b->bad, &st);
}

/* ---- lifecycle */

static void open_root(struct http_boot *b, bool warn)
{
	if (b->root_fd >= 0 || !b->root[0])
		return;
	b->root_fd = jail_root_open(b->root);
	if (b->root_fd < 0 && warn)
		log_warn("http: boot root %s: %s; boot files are 404 until it exists", b->root,
		         strerror(-b->root_fd));
}

/* The root and template of c. With HTTP off nothing renders scripts or
 * serves files: neither the root nor the template is touched. */
static int configure(struct http_boot *b, const struct conf *c, char *err, size_t errlen)
{
	const char *root = c->http.enable ? c->tftp.root : "";
	bool same_root = strcmp(b->root, root) == 0 && b->root_fd >= 0;
	int root_fd = !root[0] ? -1 : same_root ? b->root_fd : jail_root_open(root);
	struct tmpl_src t = {0};
	struct stat st;

	if (root[0] && c->http.ipxe_template[0]) {
		int r = tmpl_locate(root, c->http.ipxe_template, true, &t, err, errlen);
		if (r >= 0)
			r = tmpl_update(root_fd, &t, &st, err, errlen);
		if (r < 0) {
			free(t.text);
			if (root_fd >= 0 && root_fd != b->root_fd)
				close(root_fd);
			return r;
		}
	}
	tmpl_src_done(&b->tmpl);
	tmpl_src_done(&b->bad);
	b->bad_err = 0;
	b->tmpl = t;
	for (size_t i = 0; i < BOOT_PROFILE_TEMPLATES; i++)
		tmpl_src_done(&b->profile[i]); /* read again on first use */
	b->conf = c;
	if (!same_root) {
		if (b->root_fd >= 0 && b->root_fd != root_fd)
			close(b->root_fd);
		b->root_fd = root[0] ? root_fd : -1;
		snprintf(b->root, sizeof b->root, "%s", root);
		if (root[0] && root_fd < 0)
			log_warn("http: boot root %s: %s; boot files are 404 until it exists", root,
			         strerror(-root_fd));
	}
	return 0;
}

int http_boot_new(const struct conf *c, const struct nb_services *svc, struct http_boot **ret,
                  char *err, size_t errlen)
{
	struct http_boot *b = calloc(1, sizeof *b);
	if (!b)
		return -ENOMEM;
	b->svc = svc;
	b->root_fd = -1;
	b->rl = (struct log_ratelimit) LOG_RATELIMIT_INIT(1, 5);
	int r = configure(b, c, err, errlen);
	if (r < 0) {
		http_boot_free(b);
		return r;
	}
	*ret = b;
	return 0;
}

int http_boot_reload(struct http_boot *b, const struct conf *c, char *err, size_t errlen)
{
	return configure(b, c, err, errlen);
}

void http_boot_free(struct http_boot *b)
{
	if (!b)
		return;
	if (b->root_fd >= 0)
		close(b->root_fd);
	tmpl_src_done(&b->tmpl);
	tmpl_src_done(&b->bad);
	for (size_t i = 0; i < BOOT_PROFILE_TEMPLATES; i++)
		tmpl_src_done(&b->profile[i]);
	free(b);
}

/* ---- ranges */

/* Reads digits at *p (saturating at UINT64_MAX); false if there are none. */
static bool read_num(const char **p, uint64_t *ret)
{
	uint64_t v = 0;
	const char *s = *p;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v > (UINT64_MAX - 9) / 10 ? UINT64_MAX : v * 10 + (uint64_t) (*s - '0');
	*p = s;
	*ret = v;
	return true;
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int http_boot_range_parse(const char *h, uint64_t size, uint64_t *ret_off, uint64_t *ret_len)
{
	uint64_t first, last = UINT64_MAX;
	const char *p = skip_ows(h);

	if (strncasecmp(p, "bytes", 5) != 0)
		return 0;
	p = skip_ows(p + 5);
	if (*p++ != '=')
		return 0;
	p = skip_ows(p);
	if (*p == '-') { /* suffix: the last N bytes */
		p++;
		if (!read_num(&p, &last) || *skip_ows(p))
			return 0;
		if (last == 0 || size == 0)
			return -ERANGE;
		*ret_len = NB_MIN(last, size);
		*ret_off = size - *ret_len;
		return 1;
	}
	if (!read_num(&p, &first) || *p++ != '-')
		return 0;
	if (*p >= '0' && *p <= '9') {
		(void) read_num(&p, &last);
		if (last < first)
			return 0; /* invalid: ignored */
	}
	if (*skip_ows(p))
		return 0; /* several ranges, or junk: the whole file */
	if (first >= size)
		return -ERANGE;
	if (last >= size)
		last = size - 1;
	*ret_off = first;
	*ret_len = last - first + 1;
	return 1;
}

/* ---- files */

static const char *content_type(const char *rel)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	        {".ipxe", "text/plain; charset=utf-8"},
	        {".txt", "text/plain; charset=utf-8"},
	        {".cfg", "text/plain; charset=utf-8"},
	        {".html", "text/html; charset=utf-8"},
	        {".json", "application/json"},
	        {".iso", "application/x-iso9660-image"},
	        {".efi", "application/efi"},
	};
	const char *dot = strrchr(rel, '.');
	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < NB_ARRAY_SIZE(types); i++)
			if (nb_streq_nocase(dot, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

/* The If-Range precondition (RFC 9110 §13.1.5): the range applies only when
 * the validator is the file's current Last-Modified date. */
static bool if_range_holds(const char *if_range, int64_t mtime)
{
	char d[HTTP_DATE_LEN];
	return !if_range || strcmp(if_range, http_date_fmt(mtime, d)) == 0;
}

static void serve_file(struct http_boot *b, const struct http_req *rq, struct http_reply *rp)
{
	struct journal *j = b->svc->journal;
	char rel[JAIL_PATH_MAX + 1], shown[160];
	struct stat st;
	uint64_t off = 0, len;

	http_printable(rq->path, shown, sizeof shown);
	open_root(b, false);
	int fd = b->root_fd < 0
	                 ? -ENOENT
	                 : jail_open(b->root_fd, rq->path, true, O_NONBLOCK, rel, sizeof rel);
	switch (fd) {
	case -EPERM:
		http_reply_text(rp, 403, "the path leaves the boot root: refused");
		journal_emit(j, &(struct journal_fact){.kind = JOURNAL_HTTP_REFUSED,
		                                       .ip = rq->client_ip,
		                                       .method = rq->method,
		                                       .file = shown,
		                                       .reason = "outside the boot root"});
		return;
	case -ENAMETOOLONG:
		http_reply_text(rp, 414, "path too long");
		journal_emit(j, &(struct journal_fact){.kind = JOURNAL_HTTP_REFUSED,
		                                       .ip = rq->client_ip,
		                                       .method = rq->method,
		                                       .reason = "path too long"});
		return;
	case -ENOENT:
	case -ENOTDIR:
	case -EISDIR:
		http_reply_text(rp, 404, "%s",
		                fd == -EISDIR ? "not a file" : "no such file under the boot root");
		journal_emit(j, &(struct journal_fact){.kind = JOURNAL_HTTP_FILE_MISSING,
		                                       .ip = rq->client_ip,
		                                       .method = rq->method,
		                                       .file = shown,
		                                       .reason = fd == -EISDIR ? "not a file"
		                                                               : "no such file"});
		return;
	default:
		if (fd >= 0)
			break;
		http_reply_text(rp, fd == -EACCES ? 403 : 500, "cannot open: %s", strerror(-fd));
		journal_emit(j, &(struct journal_fact){.kind = JOURNAL_HTTP_FILE_UNREADABLE,
		                                       .ip = rq->client_ip,
		                                       .method = rq->method,
		                                       .file = shown,
		                                       .reason = strerror(-fd)});
		return;
	}
	if (fstat(fd, &st) < 0) {
		http_reply_text(rp, 500, "cannot stat: %s", strerror(errno));
		close(fd);
		return;
	}
	rp->fd = fd;
	rp->size = len = (uint64_t) st.st_size;
	rp->mtime = st.st_mtim.tv_sec;
	rp->type = content_type(rel);
	if (rq->range && if_range_holds(rq->if_range, rp->mtime)) {
		int r = http_boot_range_parse(rq->range, rp->size, &off, &len);
		if (r < 0) {
			char range[64];
			http_reply_text(rp, 416, "range %s is outside the file's %llu bytes",
			                http_printable(rq->range, range, sizeof range),
			                (unsigned long long) rp->size);
			rp->unsatisfiable = true;
			journal_emit(j, &(struct journal_fact){.kind = JOURNAL_HTTP_FETCH,
			                                       .ip = rq->client_ip,
			                                       .method = rq->method,
			                                       .file = rel,
			                                       .status = 416,
			                                       .size = rp->size});
			return;
		}
		rp->partial = r == 1;
	}
	rp->status = rp->partial ? 206 : 200;
	rp->off = off;
	rp->len = len;
	journal_emit(j, &(struct journal_fact){.kind = JOURNAL_HTTP_FETCH,
	                                       .ip = rq->client_ip,
	                                       .method = rq->method,
	                                       .file = rel,
	                                       .status = rp->status,
	                                       .range_start = off,
	                                       .range_end = len ? off + len - 1 : off,
	                                       .size = rp->size});
}

/* ---- per-device scripts */

/* The template a group or device profile names (a file inside the boot
 * root, opened through the jail), read on first use and again when it
 * changes; a version that cannot be read or does not check is refused and
 * the last good one kept. NULL with err set when there is no good version. */
static const struct tmpl_src *profile_template(struct http_boot *b, const char *name,
                                               const char *client, char *err, size_t errlen)
{
	struct tmpl_src t = {0};
	struct tmpl_src *slot = NULL;
	struct stat st;

	if (tmpl_locate(b->root, name, false, &t, err, errlen) < 0)
		return NULL;
	open_root(b, false);
	for (size_t i = 0; i < BOOT_PROFILE_TEMPLATES && !slot; i++)
		if (strcmp(b->profile[i].path, t.path) == 0)
			slot = &b->profile[i];
	if (!slot) {
		slot = &b->profile[b->profile_next];
		b->profile_next = (b->profile_next + 1) % BOOT_PROFILE_TEMPLATES;
		tmpl_src_done(slot);
		*slot = t;
	}
	if (tmpl_update(b->root_fd, slot, &st, err, errlen) >= 0)
		return slot;
	if (!slot->text)
		return NULL;
	log_rl(&b->rl, LOG_LVL_ERR, "http: %s: iPXE template %s; still using the previous version",
	       client, err);
	return slot;
}

/* "/boot/MAC.ipxe" with a MAC in any notation hwaddr_parse takes. */
static bool script_mac(const char *path, struct hwaddr *ret)
{
	static const char prefix[] = "/boot/", suffix[] = ".ipxe";
	char mac[32];
	size_t n = strlen(path);

	if (strncmp(path, prefix, sizeof prefix - 1) != 0 || n < sizeof prefix + sizeof suffix ||
	    strcmp(path + n - (sizeof suffix - 1), suffix) != 0)
		return false;
	size_t mlen = n - (sizeof prefix - 1) - (sizeof suffix - 1);
	if (mlen >= sizeof mac)
		return false;
	memcpy(mac, path + sizeof prefix - 1, mlen);
	mac[mlen] = 0;
	return hwaddr_parse(mac, ret) == 0;
}

static void serve_script(struct http_boot *b, const struct http_req *rq, const struct hwaddr *mac,
                         struct http_reply *rp)
{
	const struct nb_services *svc = b->svc;
	char m[HWADDR_STRLEN], ip[IP4_STRLEN] = "", arch[16] = "", err[200];
	const char *name = "", *uuid = "";
	uint32_t addr = 0;

	tmpl_refresh(b);
	struct registry_boot rb = {.verdict = REGISTRY_BOOT};
	if (svc->registry)
		registry_boot_for(svc->registry, mac, &rb);
	const struct registry_device *dev = rb.dev;
	const struct hosts_entry *he =
	        svc->hosts ? hosts_by_mac(svc->hosts, mac, nb_wall_sec()) : NULL;
	if (dev) {
		name = dev->name;
		uuid = dev->uuid;
		addr = dev->ip;
		if (dev->arch >= 0)
			snprintf(arch, sizeof arch, "%d", dev->arch);
	}
	if (he) {
		if (!*name)
			name = he->name;
		addr = he->addr; /* the current lease or reservation beats the last seen */
	}
	if (addr)
		ip4_fmt(addr, ip);
	const struct http_tmpl_var vars[] = {
	        {"mac", hwaddr_fmt(mac, m)},
	        {"name", name},
	        {"ip", ip},
	        {"uuid", uuid},
	        {"arch", arch},
	        {"server", rq->server},
	};
	const char *text = b->tmpl.text ? b->tmpl.text : http_boot_ipxe_default;
	size_t len = b->tmpl.text ? b->tmpl.len : sizeof http_boot_ipxe_default - 1;
	const char *source = b->tmpl.text ? b->tmpl.path : "the built-in template";
	bool source_file = b->tmpl.text != NULL; /* a template file, not words */
	if (rb.verdict != REGISTRY_BOOT) {
		/* pending, rejected or ignored: no boot script, or one that waits */
		bool wait = rb.verdict == REGISTRY_WAIT && b->conf &&
		            b->conf->dhcp.pending_boot == CONF_PENDING_WAIT;
		if (!wait) {
			http_reply_text(rp, 403, "%s", rb.why);
			char path[32];
			snprintf(path, sizeof path, "/boot/%s.ipxe", hwaddr_fmt(mac, m));
			journal_emit(
			        svc->journal,
			        &(struct journal_fact){.kind = JOURNAL_HTTP_REFUSED,
			                               .mac = mac,
			                               .ip = rq->client_ip,
			                               .file = path,
			                               .reason = rb.why,
			                               .cause = rb.verdict == REGISTRY_WAIT
			                                                ? JOURNAL_CAUSE_PENDING
			                                        : rb.verdict == REGISTRY_DENY
			                                                ? JOURNAL_CAUSE_REJECTED
			                                                : JOURNAL_CAUSE_IGNORED});
			return;
		}
		text = boot_ipxe_wait;
		len = sizeof boot_ipxe_wait - 1;
		source = "the waiting-for-approval script";
		source_file = false;
	} else if (rb.profile.ipxe_template[0] && b->conf &&
	           strcmp(rb.profile.ipxe_template, b->conf->http.ipxe_template) != 0) {
		/* the device's group or the device itself names its own template */
		const struct tmpl_src *t =
		        profile_template(b, rb.profile.ipxe_template, rq->client, err, sizeof err);
		if (!t) {
			http_reply_text(rp, 500, "iPXE template: %s", err);
			journal_emit(svc->journal,
			             &(struct journal_fact){.kind = JOURNAL_HTTP_ERROR,
			                                    .mac = mac,
			                                    .ip = rq->client_ip,
			                                    .reason = err});
			return;
		}
		text = t->text;
		len = t->len;
		source = t->path;
		source_file = true;
	}
	char *out;
	size_t out_len;
	int r = http_tmpl_render(text, len, vars, NB_ARRAY_SIZE(vars), &out, &out_len, err,
	                         sizeof err);
	if (r < 0) {
		http_reply_text(rp, 500, "iPXE template: %s", err);
		return;
	}
	rp->status = 200;
	rp->type = "text/plain; charset=utf-8";
	rp->body = out;
	rp->body_len = out_len;
	rp->no_store = true;
	journal_emit(svc->journal,
	             &(struct journal_fact){.kind = text == boot_ipxe_wait
	                                                    ? JOURNAL_HTTP_IPXE_WAIT
	                                                    : JOURNAL_HTTP_IPXE_SCRIPT,
	                                    .mac = mac,
	                                    .ip = rq->client_ip,
	                                    .method = rq->method,
	                                    .host = name,
	                                    .file = source_file ? source : NULL,
	                                    .reason = source_file ? NULL : source});
}

void http_boot_handle(struct http_boot *b, const struct http_req *rq, struct http_reply *rp)
{
	struct hwaddr mac;

	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		char m[32];
		http_reply_text(rp, 405, "%s is not allowed on boot files (GET or HEAD)",
		                http_printable(rq->method, m, sizeof m));
		snprintf(rp->allow, sizeof rp->allow, "GET, HEAD");
		return;
	}
	if (script_mac(rq->path, &mac))
		serve_script(b, rq, &mac, rp);
	else
		serve_file(b, rq, rp);
}
