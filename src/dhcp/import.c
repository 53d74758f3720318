/* The running server's lease import ("lease.import", POST
 * /api/v1/leases/import; `netbay lease import` uses it while netbay runs):
 * the rows are checked against each other and against the leases the
 * server holds, stored in one savepoint of the turn's batch and committed,
 * and only then put into the lease table, so the server answers from them
 * at once and no import races its writes. All rows or none. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/services.h"
#include "dhcp/internal.h"
#include "registry/hosts.h"
#include "store/store.h"

struct import_row {
	uint32_t addr;
	struct hwaddr mac;
	uint32_t expires;
	char hostname[STORE_HOSTNAME_MAX];
};

/* One row: {"address", "mac", "expires", "hostname"?}, nothing else.
 * Returns 0, or -EINVAL with why said. */
static int row_parse(json_t *o, struct import_row *r, char *why, size_t n)
{
	const char *a = json_string_value(json_object_get(o, "address"));
	const char *m = json_string_value(json_object_get(o, "mac"));
	json_t *exp = json_object_get(o, "expires"), *host = json_object_get(o, "hostname");
	if (!json_is_object(o))
		return nb_errf(why, n, -EINVAL, "a row is an object");
	if (json_object_size(o) != 3 + (size_t) (host != NULL))
		return nb_errf(why, n, -EINVAL,
		               "a row has address, mac, expires and optionally hostname, no more");
	if (!a || ip4_parse(a, &r->addr) < 0)
		return nb_errf(why, n, -EINVAL, "address is not an IPv4 address");
	if (!m || hwaddr_parse(m, &r->mac) < 0)
		return nb_errf(why, n, -EINVAL, "mac is not a MAC address");
	if (!json_is_integer(exp) || json_integer_value(exp) < 0 ||
	    json_integer_value(exp) > UINT32_MAX)
		return nb_errf(why, n, -EINVAL, "expires is not a number of seconds since 1970");
	r->expires = (uint32_t) json_integer_value(exp);
	const char *h = host ? json_string_value(host) : "";
	if (!h || (h[0] && (!nb_hostname_valid(h) || strchr(h, '.') ||
	                    nb_strlcpy(r->hostname, h, sizeof r->hostname) < 0)))
		return nb_errf(why, n, -EINVAL, "hostname is not a valid host name");
	return 0;
}

/* A lease the server holds for another client, now: the row would take
 * an address in use. Returns 0, or -EEXIST with why said. */
static int row_conflict(struct dhcp_server *s, const struct import_row *r, int64_t now, char *why,
                        size_t n)
{
	const struct dhcp_lease *l = dhcp_lease_by_addr(s->leases, r->addr);
	struct dhcp_client c = {.mac = r->mac};
	char a[IP4_STRLEN], m[HWADDR_STRLEN];
	if (!l || l->expires <= now || dhcp_lease_owned_by(l, &c) ||
	    (l->state != DHCP_LEASE_BOUND && l->state != DHCP_LEASE_OFFERED))
		return 0;
	return nb_errf(why, n, -EEXIST, "%s is %s to %s until %lld", ip4_fmt(r->addr, a),
	               l->state == DHCP_LEASE_BOUND ? "leased" : "offered", hwaddr_fmt(&l->mac, m),
	               (long long) l->expires);
}

struct by_addr {
	uint32_t addr;
	size_t row;
};

static int cmp_addr(const void *x, const void *y)
{
	const struct by_addr *a = x, *b = y;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->row < b->row ? -1 : a->row > b->row;
}

struct import {
	struct dhcp_server *s;
	struct import_row *rows;
	size_t n;
	json_t *bad;  /* [{"index": i, "error": "..."}] */
	bool invalid; /* a malformed row (400), not only conflicts (409) */
};

static void bad_row(struct import *im, size_t i, int e, const char *why, size_t other)
{
	json_t *o = json_pack("{s:I, s:s}", "index", (json_int_t) i, "error", why);
	if (o && other != SIZE_MAX)
		json_object_set_new(o, "other_index", json_integer((json_int_t) other));
	json_array_append_new(im->bad, o);
	im->invalid |= e == -EINVAL;
}

/* Every row parsed and checked; each bad one noted. Returns 0 or -ENOMEM. */
static int check_rows(struct import *im, json_t *list)
{
	int64_t now = nb_wall_sec();
	bool *ok = calloc(im->n ? im->n : 1, sizeof *ok);
	struct by_addr *order = calloc(im->n ? im->n : 1, sizeof *order);
	size_t n_ok = 0;
	char why[160];
	if (!ok || !order) {
		free(ok);
		free(order);
		return -ENOMEM;
	}
	for (size_t i = 0; i < im->n; i++) {
		int e = row_parse(json_array_get(list, i), &im->rows[i], why, sizeof why);
		if (e == 0)
			e = row_conflict(im->s, &im->rows[i], now, why, sizeof why);
		if (e < 0) {
			bad_row(im, i, e, why, SIZE_MAX);
			continue;
		}
		ok[i] = true;
		order[n_ok++] = (struct by_addr){im->rows[i].addr, i};
	}
	/* one row per address: sorted, each repeat names the first */
	qsort(order, n_ok, sizeof *order, cmp_addr);
	for (size_t k = 1; k < n_ok; k++) {
		size_t first = k;
		while (first > 0 && order[first - 1].addr == order[k].addr)
			first--;
		if (first == k)
			continue;
		char a[IP4_STRLEN];
		snprintf(why, sizeof why, "%s is also in an earlier row",
		         ip4_fmt(order[k].addr, a));
		bad_row(im, order[k].row, -EEXIST, why, order[first].row);
	}
	free(ok);
	free(order);
	return 0;
}

static void to_store(const struct import_row *r, int64_t now, struct store_lease *sl)
{
	memset(sl, 0, sizeof *sl);
	sl->addr = r->addr;
	sl->mac = r->mac;
	memcpy(sl->hostname, r->hostname, sizeof sl->hostname);
	sl->expires = r->expires;
	sl->updated = now;
	sl->state = STORE_LEASE_BOUND;
}

/* Stores every row in one change and commits. Returns 0 or -errno. */
static int store_rows(struct import *im)
{
	struct store *st = im->s->svc->store;
	struct store_lease sl;
	int64_t now = nb_wall_sec();
	int r = store_change_begin(st);
	if (r < 0)
		return r;
	for (size_t i = 0; i < im->n && r == 0; i++) {
		to_store(&im->rows[i], now, &sl);
		r = store_lease_put(st, &sl);
	}
	int k = store_change_end(st, r == 0);
	if (r == 0 && k == 0)
		k = store_commit(st); /* the answer says they are stored */
	return r < 0 ? r : k;
}

/* The stored rows into the table, and their names onto the LAN. */
static int load_rows(struct import *im)
{
	struct dhcp_server *s = im->s;
	int64_t now = nb_wall_sec();
	int r = 0;
	for (size_t i = 0; i < im->n; i++) {
		const struct import_row *row = &im->rows[i];
		struct dhcp_client c = {.mac = row->mac};
		struct dhcp_lease *l = dhcp_leases_claim(s->leases, row->addr, &c);
		if (!l) {
			r = -ENOMEM;
			continue;
		}
		dhcp_lease_set(s->leases, l, DHCP_LEASE_BOUND, row->expires);
		if (dhcp_lease_set_names(l, row->hostname, NULL) < 0)
			r = -ENOMEM;
		if (row->expires > now)
			(void) hosts_set(s->svc->hosts, &row->mac, row->addr, row->hostname,
			                 HOSTS_LEASE, row->expires);
	}
	return r;
}

static int import_answer(struct import *im, bool dry, json_t **ret, char *err, size_t errlen)
{
	int r;
	if (json_array_size(im->bad)) {
		snprintf(err, errlen, "%zu of %zu rows are bad; nothing imported",
		         json_array_size(im->bad), im->n);
		*ret = json_pack("{s:O}", "rows", im->bad);
		return im->invalid ? 400 : 409;
	}
	if (!dry && (r = store_rows(im)) < 0) {
		snprintf(err, errlen, "the database refused the import: %s; nothing imported",
		         strerror(-r));
		return 500;
	}
	if (!dry && (r = load_rows(im)) < 0) {
		snprintf(err, errlen,
		         "the leases are stored but not all are in force (%s): restart "
		         "netbay",
		         strerror(-r));
		return 500;
	}
	if (!dry)
		log_info("dhcp: %zu leases imported", im->n);
	*ret = json_pack("{s:I, s:b}", "imported", (json_int_t) im->n, "dry_run", dry);
	return *ret ? 200 : 500;
}

int dhcp_ctl_lease_import(void *data, json_t *args, json_t **ret, char *err, size_t errlen)
{
	json_t *list = json_object_get(args, "leases"), *dry = json_object_get(args, "dry_run");
	if (!json_is_object(args) || !json_is_array(list) ||
	    json_object_size(args) != 1 + (size_t) (dry != NULL) ||
	    (dry && !json_is_boolean(dry))) {
		snprintf(err, errlen,
		         "the body must be {\"leases\": [...]} (and optionally \"dry_run\": bool)");
		return 400;
	}
	if (json_array_size(list) > DHCP_IMPORT_MAX) {
		snprintf(err, errlen, "at most %d leases per import", DHCP_IMPORT_MAX);
		return 400;
	}
	struct import im = {.s = data, .n = json_array_size(list), .bad = json_array()};
	im.rows = calloc(im.n ? im.n : 1, sizeof *im.rows);
	int st = 500;
	if (im.rows && im.bad && check_rows(&im, list) == 0)
		st = import_answer(&im, json_is_true(dry), ret, err, errlen);
	else
		snprintf(err, errlen, "out of memory");
	free(im.rows);
	json_decref(im.bad);
	return st;
}
