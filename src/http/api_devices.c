/* The device registry over the REST API: devices (list with filters, get,
 * create, update with compare-and-set, approve, reject, delete, import)
 * and the configured groups (read-only). docs/api.md describes the routes.
 *
 * A body is decoded and checked whole (types, lengths, syntax) before the
 * registry is called once; the registry checks the rest (groups exist,
 * names and MACs are free, files are in the boot root) and applies the
 * change whole or not at all. The API runs on the server's loop, so a
 * compare-and-set cannot race with another request. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/conf.h"
#include "core/services.h"
#include "core/util.h"
#include "http/api_internal.h"
#include "http/request.h"
#include "registry/registry.h"

#define IMPORT_ROWS_MAX 10000

static struct registry *reg(const struct http_api_call *c)
{
	return c->api->svc->registry;
}

/* ---- a device as JSON */

static const char *verdict_name(enum registry_verdict v)
{
	switch (v) {
	case REGISTRY_BOOT:
		return "boot";
	case REGISTRY_WAIT:
		return "wait";
	case REGISTRY_DENY:
		return "deny";
	default:
		return "unknown";
	}
}

static json_t *int_or_null(int64_t v, bool known)
{
	return known ? json_integer((json_int_t) v) : json_null();
}

static json_t *device_json(const struct registry *r, const struct registry_device *d)
{
	char ip[IP4_STRLEN], m[HWADDR_STRLEN];
	struct registry_boot rb;
	json_t *macs = json_array();
	for (size_t i = 0; macs && i < d->n_macs; i++)
		json_array_append_new(macs, json_string(hwaddr_fmt(&d->macs[i], m)));
	if (d->n_macs)
		registry_boot_for(r, &d->macs[0], &rb);
	else
		rb = (struct registry_boot){.verdict = REGISTRY_WAIT,
		                            .why = "no MAC yet: it boots once it is seen"};
	json_t *boot =
	        json_pack("{s:s, s:s, s:o}", "verdict", verdict_name(rb.verdict), "why",
	                  rb.why ? rb.why : "", "profile", registry_profile_json(&rb.profile));
	/* notes and names are checked to be UTF-8 on the way in; a store
	 * written by something else could still hold other bytes: json_pack
	 * then fails and the caller answers 500 */
	return json_pack("{s:I, s:I, s:o, s:s, s:s, s:b, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, "
	                 "s:o, s:o}",
	                 "id", (json_int_t) d->id, "version", (json_int_t) d->version, "macs", macs,
	                 "name", d->name, "uuid", d->uuid, "uuid_conflict", d->uuid_conflict,
	                 "group", d->group, "state", registry_state_name(d->state), "notes",
	                 d->notes, "arch", int_or_null(d->arch, d->arch >= 0), "arch_name",
	                 boot_arch_name(d->arch), "ip",
	                 d->ip ? json_string(ip4_fmt(d->ip, ip)) : json_null(), "first_seen",
	                 int_or_null(d->first_seen, d->first_seen > 0), "last_seen",
	                 int_or_null(d->last_seen, d->last_seen > 0), "profile",
	                 registry_profile_json(&d->profile), "boot", boot);
}

static unsigned reply_device(const struct http_api_call *c, const struct registry_device *d,
                             unsigned status, json_t **ret)
{
	*ret = device_json(reg(c), d);
	if (!*ret)
		return 500;
	snprintf(c->etag, HTTP_API_ETAG_MAX, "\"%llu\"", (unsigned long long) d->version);
	return status;
}

/* ---- finding the device a path names */

struct uuid_hunt {
	const char *uuid;
	bool conflict;
};

static void hunt_uuid(const struct registry_device *d, void *data)
{
	struct uuid_hunt *h = data;
	h->conflict |= d->uuid_conflict && strcmp(d->uuid, h->uuid) == 0;
}

const struct registry_device *http_api_device_lookup(const struct http_api_call *c, const char *key,
                                                     char *err, size_t errlen)
{
	char k[80], us[REGISTRY_UUID_STRLEN];
	uint8_t u[16];
	const struct registry_device *d = reg(c) ? registry_find(reg(c), key) : NULL;
	if (d)
		return d;
	if (reg(c) && registry_uuid_parse(key, false, u) == 0) {
		struct uuid_hunt h = {.uuid = registry_uuid_fmt(u, us)};
		registry_foreach(reg(c), hunt_uuid, &h);
		if (h.conflict) {
			snprintf(err, errlen,
			         "UUID %s is reported by several devices; name one by MAC, name or "
			         "#ID",
			         us);
			return NULL;
		}
	}
	snprintf(err, errlen, "no device '%s'", http_printable(key, k, sizeof k));
	return NULL;
}

/* ---- decoding a body */

/* 400 with a message. */
#define bad(err, errlen, ...) ((unsigned) nb_errf(err, errlen, 400, __VA_ARGS__))

/* A string field into dst (null: ""); 400 when not a string or too long. */
static unsigned take_str(const char *key, json_t *v, char *dst, size_t n, char *err, size_t errlen)
{
	if (json_is_null(v)) {
		dst[0] = 0;
		return 0;
	}
	if (!json_is_string(v))
		return bad(err, errlen, "%s must be a string", key);
	if (json_string_length(v) >= n)
		return bad(err, errlen, "%s is longer than %zu bytes", key, n - 1);
	const char *s = json_string_value(v);
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == 0x7f)
			return bad(err, errlen, "%s holds a control character", key);
	memcpy(dst, s, json_string_length(v) + 1);
	return 0;
}

/* The profile's file field a key names: a loader slot or the template. */
static char *profile_file(struct registry_profile *p, const char *key)
{
	for (size_t i = 0; i < BOOT_SLOTS; i++)
		if (strcmp(key, boot_slot_key(i)) == 0)
			return p->loaders.file[i];
	return strcmp(key, "ipxe-template") == 0 ? p->ipxe_template : NULL;
}

static unsigned take_lease_time(json_t *v, uint32_t *ret, char *err, size_t errlen)
{
	json_int_t n = json_integer_value(v);
	if (json_is_null(v)) {
		*ret = 0;
	} else if (json_is_integer(v)) {
		if (n < 0 || n > UINT32_MAX)
			return bad(err, errlen, "profile: lease-time is out of range");
		*ret = (uint32_t) n;
	} else if (!json_is_string(v) || nb_parse_duration(json_string_value(v), ret) < 0) {
		return bad(err, errlen, "profile: lease-time must be seconds or a duration (12h)");
	}
	return 0;
}

static unsigned take_dns(json_t *v, struct registry_profile *p, char *err, size_t errlen)
{
	size_t i;
	json_t *a;
	p->n_dns = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > NB_ARRAY_SIZE(p->dns))
		return bad(err, errlen, "profile: dns must be a list of at most %zu addresses",
		           NB_ARRAY_SIZE(p->dns));
	json_array_foreach(v, i, a)
	{
		if (!json_is_string(a) || ip4_parse(json_string_value(a), &p->dns[i]) < 0)
			return bad(err, errlen, "profile: dns[%zu] is not an IPv4 address", i);
		p->n_dns++;
	}
	return 0;
}

/* Applies the members of o to p (a merge: null or "" clears a key). */
static unsigned take_profile(json_t *o, struct registry_profile *p, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	char what[48];
	if (json_is_null(o)) {
		memset(p, 0, sizeof *p);
		return 0;
	}
	if (!json_is_object(o))
		return bad(err, errlen, "profile must be an object");
	json_object_foreach(o, key, v)
	{
		unsigned st = 0;
		char *file = profile_file(p, key);
		snprintf(what, sizeof what, "profile: %.32s", key);
		if (file)
			st = take_str(what, v, file, REGISTRY_FILE_MAX, err, errlen);
		else if (strcmp(key, "domain") == 0)
			st = take_str(what, v, p->domain, sizeof p->domain, err, errlen);
		else if (strcmp(key, "lease-time") == 0)
			st = take_lease_time(v, &p->lease_sec, err, errlen);
		else if (strcmp(key, "dns") == 0)
			st = take_dns(v, p, err, errlen);
		else
			st = bad(
			        err, errlen,
			        "profile: unknown key '%.32s' (bios, uefi-ia32, uefi-x64, "
			        "uefi-arm64, http-x64, http-arm64, ipxe-template, lease-time, dns, "
			        "domain)",
			        key);
		if (st)
			return st;
	}
	return 0;
}

static unsigned take_macs(json_t *v, struct registry_device *d, char *err, size_t errlen)
{
	size_t i;
	json_t *m;
	if (!json_is_array(v) || json_array_size(v) > REGISTRY_MAX_MACS)
		return bad(err, errlen, "macs must be a list of at most %d MAC addresses",
		           REGISTRY_MAX_MACS);
	d->n_macs = 0;
	json_array_foreach(v, i, m)
	{
		if (!json_is_string(m) || hwaddr_parse(json_string_value(m), &d->macs[i]) < 0)
			return bad(err, errlen, "macs[%zu] is not a MAC address", i);
		d->n_macs++;
	}
	return 0;
}

static unsigned take_uuid(json_t *v, char *dst, char *err, size_t errlen)
{
	uint8_t u[16];
	if (json_is_null(v) || (json_is_string(v) && !json_string_length(v))) {
		dst[0] = 0;
		return 0;
	}
	if (!json_is_string(v) || registry_uuid_parse(json_string_value(v), false, u) < 0)
		return bad(err, errlen, "uuid must be a UUID (8-4-4-4-12 hex digits)");
	if (registry_uuid_placeholder(u))
		return bad(err, errlen,
		           "uuid %s is a placeholder many boards report: it identifies nothing",
		           json_string_value(v));
	registry_uuid_fmt(u, dst);
	return 0;
}

enum { DECODE_VERSION = 1 }; /* "version" is accepted (compare-and-set) */

/* Decodes body into c: the fields present are set. cur: the device being
 * updated (its profile is what "profile" merges into), or NULL. Returns 0
 * or 400 with the reason in err. */
static unsigned decode_change(json_t *body, const struct registry_device *cur, unsigned opts,
                              struct registry_change *c, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	memset(c, 0, sizeof *c);
	if (cur)
		c->d.profile = cur->profile;
	if (!json_is_object(body))
		return bad(err, errlen, "the body must be a JSON object");
	json_object_foreach(body, key, v)
	{
		unsigned st;
		if (strcmp(key, "macs") == 0) {
			c->fields |= REGISTRY_F_MACS;
			st = take_macs(v, &c->d, err, errlen);
		} else if (strcmp(key, "name") == 0) {
			c->fields |= REGISTRY_F_NAME;
			st = take_str("name", v, c->d.name, sizeof c->d.name, err, errlen);
		} else if (strcmp(key, "uuid") == 0) {
			c->fields |= REGISTRY_F_UUID;
			st = take_uuid(v, c->d.uuid, err, errlen);
		} else if (strcmp(key, "group") == 0) {
			c->fields |= REGISTRY_F_GROUP;
			st = take_str("group", v, c->d.group, sizeof c->d.group, err, errlen);
		} else if (strcmp(key, "notes") == 0) {
			c->fields |= REGISTRY_F_NOTES;
			st = take_str("notes", v, c->d.notes, sizeof c->d.notes, err, errlen);
		} else if (strcmp(key, "state") == 0) {
			c->fields |= REGISTRY_F_STATE;
			c->d.state =
			        registry_state_parse(json_is_string(v) ? json_string_value(v) : "");
			st = c->d.state < 0 ? bad(err, errlen,
			                          "state must be pending, approved or rejected")
			                    : 0;
		} else if (strcmp(key, "profile") == 0) {
			c->fields |= REGISTRY_F_PROFILE;
			st = take_profile(v, &c->d.profile, err, errlen);
		} else if (strcmp(key, "version") == 0 && (opts & DECODE_VERSION)) {
			json_int_t n = json_integer_value(v);
			st = json_is_integer(v) && n >= 1
			             ? 0
			             : bad(err, errlen, "version must be a positive integer");
			c->expect_version = (uint64_t) n;
		} else {
			char k[40];
			st = bad(err, errlen, "unknown or read-only field '%s'",
			         http_printable(key, k, sizeof k));
		}
		if (st)
			return st;
	}
	return 0;
}

/* The registry's refusals as HTTP statuses. An unknown group in a body is
 * bad input (400): 404 is for the object the path names. */
static unsigned status_of(int e)
{
	switch (e) {
	case -EINVAL:
	case -ENOENT:
		return 400;
	case -EEXIST:
	case -ESTALE:
		return 409;
	default:
		return 500;
	}
}

/* If-Match: "N" (the ETag of GET), N, or *. Sets *ret_version (0 for *
 * or no header); 400 when it is not one of those. */
static unsigned if_match(const struct http_api_call *c, uint64_t *ret_version, char *err,
                         size_t errlen)
{
	const char *h = c->rq->if_match;
	char buf[32];
	*ret_version = 0;
	if (!h)
		return 0;
	while (*h == ' ')
		h++;
	size_t n = strlen(h);
	while (n && h[n - 1] == ' ')
		n--;
	if (n == 1 && h[0] == '*')
		return 0;
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"') {
		h++;
		n -= 2;
	}
	uint64_t v;
	if (n == 0 || n >= sizeof buf)
		return bad(err, errlen, "If-Match must be the device's ETag (\"VERSION\")");
	memcpy(buf, h, n);
	buf[n] = 0;
	if (nb_parse_uint(buf, 1, UINT64_MAX, &v) < 0)
		return bad(err, errlen, "If-Match must be the device's ETag (\"VERSION\")");
	*ret_version = v;
	return 0;
}

/* The version a change must apply to: the body's and If-Match's, which
 * must agree when both are given. */
static unsigned expected_version(const struct http_api_call *c, struct registry_change *ch,
                                 char *err, size_t errlen)
{
	uint64_t h;
	unsigned st = if_match(c, &h, err, errlen);
	if (st)
		return st;
	if (h && ch->expect_version && h != ch->expect_version)
		return bad(err, errlen, "If-Match says version %llu, the body %llu",
		           (unsigned long long) h, (unsigned long long) ch->expect_version);
	if (h)
		ch->expect_version = h;
	return 0;
}

/* ---- device routes */

struct list {
	const struct registry *r;
	int state; /* -1: any */
	const char *group, *q;
	struct hwaddr q_mac;
	bool q_is_mac;
	const struct registry_device **v;
	size_t n;
};

static bool contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

static bool matches_q(const struct list *l, const struct registry_device *d)
{
	char m[HWADDR_STRLEN];
	if (contains_nocase(d->name, l->q) || contains_nocase(d->uuid, l->q) ||
	    contains_nocase(d->notes, l->q))
		return true;
	for (size_t i = 0; i < d->n_macs; i++)
		if ((l->q_is_mac && memcmp(&d->macs[i], &l->q_mac, sizeof l->q_mac) == 0) ||
		    contains_nocase(hwaddr_fmt(&d->macs[i], m), l->q))
			return true;
	return false;
}

static void collect(const struct registry_device *d, void *data)
{
	struct list *l = data;
	if ((l->state >= 0 && d->state != l->state) || (l->group && strcmp(d->group, l->group)) ||
	    (l->q && !matches_q(l, d)))
		return;
	l->v[l->n++] = d;
}

static int by_id(const void *a, const void *b)
{
	const struct registry_device *x = *(const struct registry_device *const *) a;
	const struct registry_device *y = *(const struct registry_device *const *) b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The query's filters; 400 for an unknown, repeated or bad argument. */
static unsigned list_filters(const struct http_api_call *c, struct list *l, char *err,
                             size_t errlen)
{
	const struct http_req *rq = c->rq;
	char k[40];
	if (rq->n_args > HTTP_ARGS_MAX)
		return bad(err, errlen, "too many query arguments");
	for (size_t i = 0; i < rq->n_args; i++) {
		const char *key = rq->args[i].key, *v = rq->args[i].value ? rq->args[i].value : "";
		const char **slot = strcmp(key, "group") == 0 ? &l->group
		                    : strcmp(key, "q") == 0   ? &l->q
		                                              : NULL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(rq->args[j].key, key) == 0)
				return bad(err, errlen, "query argument '%s' is given twice",
				           http_printable(key, k, sizeof k));
		if (strcmp(key, "state") == 0) {
			if ((l->state = registry_state_parse(v)) < 0)
				return bad(err, errlen,
				           "state must be pending, approved or rejected");
		} else if (slot) {
			*slot = v;
		} else {
			return bad(err, errlen, "unknown query argument '%s' (state, group, q)",
			           http_printable(key, k, sizeof k));
		}
	}
	l->q_is_mac = l->q && hwaddr_parse(l->q, &l->q_mac) == 0;
	return 0;
}

unsigned http_api_devices_list(const struct http_api_call *c, json_t **ret, char *err,
                               size_t errlen)
{
	struct list l = {.r = reg(c), .state = -1};
	unsigned st = list_filters(c, &l, err, errlen);
	if (st)
		return st;
	size_t n = l.r ? registry_count(l.r) : 0;
	l.v = calloc(n ? n : 1, sizeof *l.v);
	json_t *a = json_array();
	if (!l.v || !a) {
		free(l.v);
		json_decref(a);
		return 500;
	}
	if (l.r)
		registry_foreach(l.r, collect, &l);
	qsort(l.v, l.n, sizeof *l.v, by_id);
	for (size_t i = 0; i < l.n; i++)
		if (json_array_append_new(a, device_json(l.r, l.v[i])) < 0) {
			free(l.v);
			json_decref(a);
			return 500;
		}
	free(l.v);
	*ret = json_pack("{s:o}", "devices", a);
	return *ret ? 200 : 500;
}

unsigned http_api_device_get(const struct http_api_call *c, json_t **ret, char *err, size_t errlen)
{
	const struct registry_device *d = http_api_device_lookup(c, c->param[0], err, errlen);
	return d ? reply_device(c, d, 200, ret) : 404;
}

unsigned http_api_devices_create(const struct http_api_call *c, json_t **ret, char *err,
                                 size_t errlen)
{
	struct registry_change ch;
	uint64_t id;
	if (!reg(c))
		return bad(err, errlen, "the registry is not running");
	if (!c->body)
		return bad(err, errlen, "the body must be a JSON object");
	unsigned st = decode_change(c->body, NULL, 0, &ch, err, errlen);
	if (st)
		return st;
	int e = registry_add(reg(c), &ch, &id, err, errlen);
	if (e < 0)
		return status_of(e);
	return reply_device(c, registry_get_id(reg(c), id), 201, ret);
}

/* One change of the device the path names, after If-Match. */
static unsigned change(const struct http_api_call *c, struct registry_change *ch, json_t **ret,
                       char *err, size_t errlen)
{
	const struct registry_device *d = http_api_device_lookup(c, c->param[0], err, errlen);
	if (!d)
		return 404;
	unsigned st = expected_version(c, ch, err, errlen);
	if (st)
		return st;
	uint64_t id = d->id;
	int e = registry_update(reg(c), id, ch, err, errlen);
	if (e < 0)
		return status_of(e);
	return reply_device(c, registry_get_id(reg(c), id), 200, ret);
}

unsigned http_api_device_patch(const struct http_api_call *c, json_t **ret, char *err,
                               size_t errlen)
{
	struct registry_change ch;
	const struct registry_device *d = http_api_device_lookup(c, c->param[0], err, errlen);
	if (!d)
		return 404;
	if (!c->body)
		return bad(err, errlen, "the body must be a JSON object of the fields to change");
	unsigned st = decode_change(c->body, d, DECODE_VERSION, &ch, err, errlen);
	return st ? st : change(c, &ch, ret, err, errlen);
}

/* approve and reject: an optional body {"version": N} ({"group": G} too
 * when approving: approve into a group in one step). */
static unsigned set_state(const struct http_api_call *c, int state, bool group_ok, json_t **ret,
                          char *err, size_t errlen)
{
	struct registry_change ch;
	const struct registry_device *d = http_api_device_lookup(c, c->param[0], err, errlen);
	if (!d)
		return 404;
	if (c->body) {
		json_t *g = json_object_get(c->body, "group");
		json_t *v = json_object_get(c->body, "version");
		if (!json_is_object(c->body) ||
		    json_object_size(c->body) != (size_t) (g != NULL) + (v != NULL) ||
		    (g && !group_ok))
			return bad(err, errlen, "the body may only hold %s",
			           group_ok ? "\"version\" and \"group\"" : "\"version\"");
	}
	unsigned st = c->body ? decode_change(c->body, d, DECODE_VERSION, &ch, err, errlen) : 0;
	if (!c->body)
		memset(&ch, 0, sizeof ch);
	if (st)
		return st;
	ch.fields |= REGISTRY_F_STATE;
	ch.d.state = state;
	return change(c, &ch, ret, err, errlen);
}

unsigned http_api_device_approve(const struct http_api_call *c, json_t **ret, char *err,
                                 size_t errlen)
{
	return set_state(c, REGISTRY_APPROVED, true, ret, err, errlen);
}

unsigned http_api_device_reject(const struct http_api_call *c, json_t **ret, char *err,
                                size_t errlen)
{
	return set_state(c, REGISTRY_REJECTED, false, ret, err, errlen);
}

unsigned http_api_device_delete(const struct http_api_call *c, json_t **ret, char *err,
                                size_t errlen)
{
	const struct registry_device *d = http_api_device_lookup(c, c->param[0], err, errlen);
	uint64_t want;
	if (!d)
		return 404;
	if (c->body)
		return bad(err, errlen, "DELETE takes no body (If-Match for compare-and-set)");
	unsigned st = if_match(c, &want, err, errlen);
	if (st)
		return st;
	if (want && want != d->version) {
		snprintf(err, errlen, "device #%llu changed meanwhile (version %llu, not %llu)",
		         (unsigned long long) d->id, (unsigned long long) d->version,
		         (unsigned long long) want);
		return 409;
	}
	int e = registry_remove(reg(c), d->id, err, errlen);
	return e < 0 ? status_of(e) : 204;
}

/* ---- import */

struct import {
	json_t *rows;     /* [{"index": i, "error": "..."}] */
	size_t *index;    /* registry row -> body row */
	bool invalid;     /* some row is bad input (400), not only a conflict (409) */
	size_t n_rows_in; /* rows in the body */
};

static void import_bad(size_t row, size_t other, int code, const char *why, void *data)
{
	struct import *im = data;
	json_t *o = json_pack("{s:I, s:s}", "index", (json_int_t) im->index[row], "error", why);
	if (o && other != SIZE_MAX) /* the earlier row it clashes with */
		json_object_set_new(o, "other_index", json_integer((json_int_t) im->index[other]));
	json_array_append_new(im->rows, o);
	im->invalid |= status_of(code) == 400;
}

static int by_index(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *) a, "index"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *) b, "index"));
	return x < y ? -1 : x > y;
}

/* Sorts the bad rows by index (decoding and the registry report apart). */
static json_t *sorted_rows(json_t *rows)
{
	size_t n = json_array_size(rows);
	json_t **v = calloc(n ? n : 1, sizeof *v), *out = json_array();
	if (!v || !out) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(rows, i);
	qsort(v, n, sizeof *v, by_index);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

/* A row whose MACs one device already holds leaves that device's MAC list
 * as it is (a row names one NIC of a machine that has two). */
static void keep_known_macs(const struct registry *r, struct registry_change *ch)
{
	const struct registry_device *d = NULL;
	if (!(ch->fields & REGISTRY_F_MACS) || !ch->d.n_macs)
		return;
	for (size_t i = 0; i < ch->d.n_macs; i++) {
		const struct registry_device *o = registry_get(r, &ch->d.macs[i]);
		if (!o || (d && o != d))
			return;
		d = o;
	}
	ch->fields &= ~(unsigned) REGISTRY_F_MACS;
	ch->d.n_macs = d->n_macs;
	memcpy(ch->d.macs, d->macs, sizeof ch->d.macs);
}

static unsigned import_body(const struct http_api_call *c, json_t **ret_devices, bool *ret_dry,
                            char *err, size_t errlen)
{
	json_t *b = c->body, *dry = json_object_get(b, "dry_run");
	json_t *devs = json_object_get(b, "devices");
	if (!json_is_object(b) || !json_is_array(devs) ||
	    json_object_size(b) != 1 + (size_t) (dry != NULL))
		return bad(err, errlen,
		           "the body must be {\"devices\": [...]} (and optionally \"dry_run\")");
	if (dry && !json_is_boolean(dry))
		return bad(err, errlen, "dry_run must be true or false");
	if (json_array_size(devs) > IMPORT_ROWS_MAX)
		return bad(err, errlen, "at most %d devices per import", IMPORT_ROWS_MAX);
	*ret_devices = devs;
	*ret_dry = json_is_true(dry);
	return 0;
}

unsigned http_api_devices_import(const struct http_api_call *c, json_t **ret, char *err,
                                 size_t errlen)
{
	json_t *devs = NULL, *row;
	bool dry = false;
	size_t i;
	char why[256], e1[256] = "";
	if (!reg(c))
		return bad(err, errlen, "the registry is not running");
	unsigned st = import_body(c, &devs, &dry, err, errlen);
	if (st)
		return st;
	size_t n = json_array_size(devs), good = 0;
	struct registry_change *ch = calloc(n ? n : 1, sizeof *ch);
	struct import im = {
	        .rows = json_array(), .index = calloc(n ? n : 1, sizeof *im.index), .n_rows_in = n};
	if (!ch || !im.rows || !im.index) {
		free(ch);
		free(im.index);
		json_decref(im.rows);
		return 500;
	}
	/* every row decoded; the good ones checked by the registry, so the
	 * answer names every bad row, malformed or conflicting */
	json_array_foreach(devs, i, row)
	{
		if (decode_change(row, NULL, 0, &ch[good], why, sizeof why)) {
			json_array_append_new(im.rows, json_pack("{s:I, s:s}", "index",
			                                         (json_int_t) i, "error", why));
			im.invalid = true;
			continue;
		}
		keep_known_macs(reg(c), &ch[good]);
		im.index[good++] = i;
	}
	size_t n_bad = json_array_size(im.rows);
	unsigned flags = n_bad || dry ? REGISTRY_IMPORT_DRY_RUN : 0;
	int e = registry_import(reg(c), ch, good, flags, import_bad, &im, e1, sizeof e1);
	free(ch);
	free(im.index);
	n_bad = json_array_size(im.rows);
	if (n_bad || e < 0) {
		json_t *rows = sorted_rows(im.rows);
		json_decref(im.rows);
		if (!n_bad || !rows) {
			json_decref(rows);
			snprintf(err, errlen, "%s", e1);
			return status_of(e);
		}
		snprintf(err, errlen, "%zu of %zu rows are bad; nothing imported", n_bad, n);
		*ret = json_pack("{s:o}", "rows", rows);
		return im.invalid ? 400 : 409;
	}
	json_decref(im.rows);
	*ret = json_pack("{s:I, s:I, s:I, s:b}", "imported", (json_int_t) n, "added",
	                 (json_int_t) e, "updated", (json_int_t) (n - (size_t) e), "dry_run", dry);
	return *ret ? 200 : 500;
}

/* ---- groups: from the config, read-only */

static json_t *group_profile(const struct conf_group *g)
{
	struct registry_profile p = {0};
	p.loaders = g->loaders;
	nb_strlcpy(p.ipxe_template, g->ipxe_template, sizeof p.ipxe_template);
	nb_strlcpy(p.domain, g->domain, sizeof p.domain);
	p.lease_sec = g->lease_sec;
	json_t *o = registry_profile_json(&p);
	json_t *dns = g->n_dns ? json_array() : NULL;
	char ip[IP4_STRLEN];
	for (size_t i = 0; dns && i < g->n_dns; i++) /* a group may list more than a device */
		json_array_append_new(dns, json_string(ip4_fmt(g->dns[i], ip)));
	if (o && dns)
		json_object_set_new(o, "dns", dns);
	return o;
}

struct members {
	const char *group;
	json_t *list; /* NULL: count only */
	size_t n;
};

static void member(const struct registry_device *d, void *data)
{
	struct members *m = data;
	if (strcmp(d->group, m->group) != 0)
		return;
	m->n++;
	if (m->list)
		json_array_append_new(m->list,
		                      json_pack("{s:I, s:s, s:s}", "id", (json_int_t) d->id, "name",
		                                d->name, "state", registry_state_name(d->state)));
}

static json_t *group_json(const struct http_api_call *c, const struct conf_group *g, bool members)
{
	const struct conf *conf = c->api->conf;
	struct members m = {.group = g->name, .list = members ? json_array() : NULL};
	if (reg(c))
		registry_foreach(reg(c), member, &m);
	json_t *o = json_pack("{s:s, s:b, s:o, s:I}", "name", g->name, "default",
	                      strcmp(conf->dhcp.default_group, g->name) == 0, "profile",
	                      group_profile(g), "device_count", (json_int_t) m.n);
	if (o && m.list)
		json_object_set_new(o, "devices", m.list);
	else
		json_decref(m.list);
	return o;
}

unsigned http_api_groups_list(const struct http_api_call *c, json_t **ret, char *err, size_t errlen)
{
	const struct conf *conf = c->api->conf;
	json_t *a = json_array();
	for (size_t i = 0; a && i < conf->n_groups; i++)
		if (json_array_append_new(a, group_json(c, &conf->groups[i], false)) < 0) {
			json_decref(a);
			a = NULL;
		}
	*ret = a ? json_pack("{s:o}", "groups", a) : NULL;
	return *ret ? 200 : 500;
}

unsigned http_api_group_get(const struct http_api_call *c, json_t **ret, char *err, size_t errlen)
{
	char k[80];
	const struct conf_group *g = conf_group_find(c->api->conf, c->param[0]);
	if (!g) {
		snprintf(err, errlen, "no [group %s] is configured",
		         http_printable(c->param[0], k, sizeof k));
		return 404;
	}
	*ret = group_json(c, g, true);
	return *ret ? 200 : 500;
}
