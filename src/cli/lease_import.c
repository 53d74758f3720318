/* netbay lease import: CSV lines 'ip,mac,expiry_epoch[,hostname]' from
 * another server. Every line is checked first; nothing is imported when
 * one is bad. While `netbay serve` holds the database (store_hold: the
 * lock it takes at start), the rows go to it over the API (POST
 * /api/v1/leases/import): it checks them against the leases it holds,
 * stores them and answers from them at once, and nothing races its writes.
 * With no server running, they go into the database directly, under the
 * same lock, so a server cannot start in the middle of the import. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "core/conf.h"
#include "core/util.h"
#include "store/store.h"

/* A row as read (the transfer form of a lease is 600 bytes; 100,000 rows
 * of this are 9 MB). */
struct row {
	uint32_t addr;
	struct hwaddr mac;
	uint32_t expires;
	int line;
	char hostname[STORE_HOSTNAME_MAX];
};

struct rows {
	const char *path;
	struct row *v;
	size_t n, cap, bad;
};

/* Parses one CSV line into l; returns NULL or the reason it is bad. */
static const char *parse_row(char *line, struct store_lease *l)
{
	char *f[5] = {0};
	size_t n = 0;
	for (char *p = line; n < NB_ARRAY_SIZE(f);) {
		f[n++] = p;
		char *comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = 0;
		p = comma + 1;
	}
	if (n < 3 || n > 4)
		return "expected ip,mac,expiry[,hostname]";
	uint64_t exp;
	if (ip4_parse(nb_strstrip(f[0]), &l->addr) < 0)
		return "not an IPv4 address";
	if (hwaddr_parse(nb_strstrip(f[1]), &l->mac) < 0)
		return "not a MAC address";
	if (nb_parse_uint(nb_strstrip(f[2]), 0, UINT32_MAX, &exp) < 0)
		return "expiry is not a number of seconds since 1970";
	l->hostname[0] = 0;
	if (n == 4) {
		char *h = nb_strstrip(f[3]);
		if (*h &&
		    (!nb_hostname_valid(h) || nb_strlcpy(l->hostname, h, sizeof l->hostname) < 0))
			return "not a valid host name";
	}
	l->expires = (int64_t) exp;
	return NULL;
}

static int add_row(struct rows *rs, const struct store_lease *l, int line)
{
	struct row r = {
	        .addr = l->addr, .mac = l->mac, .expires = (uint32_t) l->expires, .line = line};
	memcpy(r.hostname, l->hostname, sizeof r.hostname);
	if (nb_grow(&rs->v, &rs->cap, rs->n + 1, sizeof *rs->v) < 0)
		return -ENOMEM;
	rs->v[rs->n++] = r;
	return 0;
}

static int by_addr(const void *x, const void *y)
{
	const struct row *const *a = x, *const *b = y;
	if ((*a)->addr != (*b)->addr)
		return (*a)->addr < (*b)->addr ? -1 : 1;
	return (*a)->line - (*b)->line;
}

/* One line per address: each repeat is a bad line naming the first. */
static int check_repeats(struct rows *rs)
{
	struct row **o = calloc(rs->n ? rs->n : 1, sizeof *o);
	char a[IP4_STRLEN];
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n; i++)
		o[i] = &rs->v[i];
	qsort(o, rs->n, sizeof *o, by_addr);
	for (size_t i = 1, first = 0; i < rs->n; i++) {
		if (o[i]->addr != o[first]->addr) {
			first = i;
			continue;
		}
		fprintf(stderr, "%s:%d: %s is also on line %d\n", rs->path, o[i]->line,
		        ip4_fmt(o[i]->addr, a), o[first]->line);
		rs->bad++;
	}
	free(o);
	return 0;
}

static int read_csv(struct rows *rs)
{
	FILE *f = fopen(rs->path, "re");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, r = 0;
	struct store_lease l = {0};
	if (!f) {
		fprintf(stderr, "%s: %s\n", rs->path, strerror(errno));
		return -errno;
	}
	while (r == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		char *s = nb_strstrip(line);
		if (!*s || *s == '#')
			continue;
		const char *why = parse_row(s, &l);
		if (why) {
			fprintf(stderr, "%s:%d: %s\n", rs->path, lineno, why);
			rs->bad++;
			continue;
		}
		r = add_row(rs, &l, lineno);
	}
	free(line);
	fclose(f);
	if (r == 0)
		r = check_repeats(rs);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", rs->path, strerror(-r));
	return r;
}

/* No server: into the database, in one transaction, under our hold. */
static int import_offline(const char *db, const struct rows *rs)
{
	NB_CLEANUP(store_closep) struct store *st = NULL;
	struct store_open_info info;
	int r = store_open_ex(db, STORE_OPEN_CHECK, &st, &info);
	if (r < 0) {
		fprintf(stderr, "netbay: %s\n", info.why);
		return 1;
	}
	struct store_lease l = {.updated = nb_wall_sec(), .state = STORE_LEASE_BOUND};
	if ((r = store_change_begin(st)) == 0) {
		for (size_t i = 0; i < rs->n && r == 0; i++) {
			const struct row *w = &rs->v[i];
			l.addr = w->addr;
			l.mac = w->mac;
			l.expires = w->expires;
			memcpy(l.hostname, w->hostname, sizeof l.hostname);
			r = store_lease_put(st, &l);
		}
		int k = store_change_end(st, r == 0);
		if (r == 0 && (r = k) == 0)
			r = store_commit(st);
	}
	if (r < 0) {
		fprintf(stderr, "%s: import failed: %s; nothing imported\n", db, strerror(-r));
		return 1;
	}
	printf("%s: %zu leases imported into %s\n", rs->path, rs->n, db);
	return 0;
}

static json_t *rows_json(const struct rows *rs, bool dry_run)
{
	json_t *list = json_array();
	char a[IP4_STRLEN], m[HWADDR_STRLEN];
	for (size_t i = 0; list && i < rs->n; i++) {
		const struct row *l = &rs->v[i];
		json_t *o = json_pack("{s:s, s:s, s:I}", "address", ip4_fmt(l->addr, a), "mac",
		                      hwaddr_fmt(&l->mac, m), "expires", (json_int_t) l->expires);
		if (o && l->hostname[0])
			json_object_set_new(o, "hostname", json_string(l->hostname));
		json_array_append_new(list, o);
	}
	return list ? json_pack("{s:o, s:b}", "leases", list, "dry_run", dry_run) : NULL;
}

/* The server's bad rows, as lines of the file. */
static void say_bad_rows(const struct rows *rs, json_t *answer)
{
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(answer, "rows"), i, o)
	{
		json_int_t k = json_integer_value(json_object_get(o, "index"));
		const char *why = json_string_value(json_object_get(o, "error"));
		if (k >= 0 && (size_t) k < rs->n)
			fprintf(stderr, "%s:%d: %s\n", rs->path, rs->v[k].line, why ? why : "bad");
	}
}

/* A server holds the database: through its API. */
static int import_online(const struct cli_api_target *t, int pid, const char *db,
                         const struct rows *rs, bool dry_run)
{
	char err[CLI_API_ERR_MAX], where[160];
	int status = 0;
	json_t *body = rows_json(rs, dry_run), *answer = NULL;
	if (!body) {
		fprintf(stderr, "netbay: out of memory\n");
		return 1;
	}
	int r = cli_api_request(t, "POST", "/api/v1/leases/import", body, &answer, &status, err,
	                        sizeof err);
	json_decref(body);
	if (r < 0) {
		fprintf(stderr,
		        "netbay: %s is held by a running server (pid %d), but its API does not "
		        "answer (%s); nothing imported\n",
		        db, pid, err);
		return 1;
	}
	cli_api_target_describe(t, where, sizeof where);
	if (status != 200) {
		const char *e = cli_api_error_text(answer);
		say_bad_rows(rs, answer);
		fprintf(stderr, "%s: the server at %s refused the import: %s\n", rs->path, where,
		        e ? e : "no reason given");
		json_decref(answer);
		return 1;
	}
	json_decref(answer);
	if (dry_run)
		printf("%s: %zu leases would be imported into the running server (pid %d)\n",
		       rs->path, rs->n, pid);
	else
		printf("%s: %zu leases imported into the running server (pid %d, at %s)\n",
		       rs->path, rs->n, pid, where);
	return 0;
}

int cli_lease_import(const char *conf_path, const char *csv, bool dry_run, struct cli_api_target *t,
                     bool target_given)
{
	struct conf_diag d = {0};
	NB_CLEANUP(conf_freep) struct conf *c = NULL;
	struct rows rs = {.path = csv};
	char db[CONF_PATH_MAX + 16];
	int pid = 0, ret = 1;

	if (conf_load(conf_path, &d, &c) < 0) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		conf_diag_done(&d);
		return 1;
	}
	conf_diag_done(&d);
	snprintf(db, sizeof db, "%s/netbay.db", c->server.data_dir);
	if (read_csv(&rs) < 0)
		goto out;
	if (rs.bad) {
		fprintf(stderr, "%s: %zu bad line%s; nothing imported\n", csv, rs.bad,
		        rs.bad == 1 ? "" : "s");
		goto out;
	}
	int hold = store_hold(db, &pid);
	if (hold == -EBUSY) {
		/* the server's socket, unless another target was named */
		if (!target_given && c->api.socket[0])
			nb_strlcpy(t->socket, c->api.socket, sizeof t->socket);
		ret = import_online(t, pid, db, &rs, dry_run);
	} else if (dry_run) {
		printf("%s: %zu leases would be imported\n", csv, rs.n);
		ret = 0;
	} else if (hold < 0) {
		fprintf(stderr, "netbay: cannot lock %s.lock: %s; nothing imported\n", db,
		        strerror(-hold));
	} else {
		ret = import_offline(db, &rs);
	}
	if (hold >= 0)
		close(hold);
out:
	free(rs.v);
	return ret;
}
