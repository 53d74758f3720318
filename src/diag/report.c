#include "diag/report.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/boot.h"
#include "diag/rules.h"
#include "journal/journal.h"
#include "registry/hosts.h"

/* Whether netbay has anything on mac: events, or a name it publishes. */
static bool seen(const struct diag_sources *src, const struct hwaddr *mac,
                 const struct hosts_entry **ret_host)
{
	struct journal_entry *v = NULL;
	*ret_host = src->hosts ? hosts_by_mac(src->hosts, mac, nb_wall_sec()) : NULL;
	int n = journal_read(src->journal, mac, 1, 1, &v);
	free(v);
	return n > 0 || *ret_host;
}

int diag_subject_find(const struct diag_sources *src, const char *key, struct diag_subject *ret,
                      char *err, size_t errlen)
{
	const struct registry_device *d = src->registry ? registry_find(src->registry, key) : NULL;
	const struct hosts_entry *h = NULL;
	struct hwaddr m;
	uint64_t id;

	memset(ret, 0, sizeof *ret);
	if (d) {
		ret->dev = d;
		memcpy(ret->macs, d->macs, sizeof ret->macs);
		ret->n_macs = d->n_macs;
		nb_strlcpy(ret->name, d->name, sizeof ret->name);
		return 0;
	}
	if (hwaddr_parse(key, &m) == 0) {
		if (!seen(src, &m, &h))
			return nb_errf(err, errlen, -ENOENT, "no device with MAC %s has been seen",
			               hwaddr_fmt(&m, (char[HWADDR_STRLEN]){0}));
	} else if (key[0] == '#') {
		if (nb_parse_uint(key + 1, 1, UINT64_MAX, &id) < 0)
			return nb_errf(err, errlen, -EINVAL, "'%.64s' is not a device #ID", key);
		return nb_errf(err, errlen, -ENOENT, "no device %.64s", key);
	} else if (!nb_hostname_valid(key)) {
		return nb_errf(err, errlen, -EINVAL,
		               "'%.64s' is not a MAC address, a name or a #ID", key);
	} else {
		/* a plain DHCP client's name: its lease or reservation */
		h = src->hosts ? hosts_by_name(src->hosts, key, nb_wall_sec()) : NULL;
		if (!h || hwaddr_is_zero(&h->mac))
			return nb_errf(err, errlen, -ENOENT, "no device or host named '%.64s'",
			               key);
		m = h->mac;
	}
	ret->macs[0] = m;
	ret->n_macs = 1;
	if (h)
		nb_strlcpy(ret->name, h->name, sizeof ret->name);
	return 0;
}

/* ---- JSON */

/* A string as JSON; bytes that are not UTF-8 become '?' (details carry
 * what clients sent). */
static json_t *text(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	char *c = strdup(s);
	if (!c)
		return NULL;
	for (char *p = c; *p; p++)
		if ((unsigned char) *p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

static json_t *ip_json(uint32_t ip)
{
	char a[IP4_STRLEN];
	return ip ? json_string(ip4_fmt(ip, a)) : json_null();
}

json_t *diag_entry_json(const struct journal_entry *e)
{
	char t[40], m[HWADDR_STRLEN];
	time_t sec = (time_t) (e->time_ms / 1000);
	struct tm tm;
	if (!gmtime_r(&sec, &tm))
		return NULL;
	size_t n = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + n, sizeof t - n, ".%03dZ", (int) (e->time_ms % 1000));
	json_t *detail = json_string(e->detail);
	/* the detail may hold bytes that are not UTF-8: keep the event, drop them */
	json_t *o =
	        json_pack("{s:s, s:s, s:o, s:o, s:s}", "time", t, "name", e->name, "ip",
	                  ip_json(e->ip), "detail", detail ? detail : json_string("(not UTF-8)"),
	                  "mac", hwaddr_fmt(&e->mac, m));
	/* and the fact's fields (docs/journal.md): what the line says, as data */
	if (o && journal_fields_json(&e->f, o) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The subject's newest max events as a JSON array (*ret_v keeps them). */
static int events_of(const struct diag_sources *src, const struct diag_subject *s, size_t max,
                     struct journal_entry **ret_v, json_t **ret)
{
	struct journal_entry *v = NULL;
	int n = s->n_macs ? journal_read(src->journal, s->macs, s->n_macs, max, &v) : 0;
	if (n < 0)
		return n;
	json_t *a = json_array();
	for (int i = 0; a && i < n; i++)
		if (json_array_append_new(a, diag_entry_json(&v[i])) < 0) {
			json_decref(a);
			a = NULL;
		}
	if (!a) {
		free(v);
		return -ENOMEM;
	}
	*ret_v = v;
	*ret = a;
	return n;
}

int diag_events_json(const struct diag_sources *src, const struct diag_subject *s, json_t **ret)
{
	struct journal_entry *v = NULL;
	json_t *events;
	char m[HWADDR_STRLEN] = "";
	int n = events_of(src, s, DIAG_API_EVENTS, &v, &events);
	free(v);
	if (n < 0)
		return n;
	if (s->n_macs)
		hwaddr_fmt(&s->macs[0], m);
	*ret = json_pack("{s:s, s:o}", "mac", m, "events", events);
	return *ret ? 0 : -ENOMEM;
}

static json_t *device_json(const struct diag_subject *s)
{
	const struct registry_device *d = s->dev;
	char m[HWADDR_STRLEN];
	json_t *macs = json_array();
	for (size_t i = 0; macs && i < s->n_macs; i++)
		json_array_append_new(macs, json_string(hwaddr_fmt(&s->macs[i], m)));
	json_t *o = json_pack("{s:s, s:o, s:s, s:b}", "mac",
	                      s->n_macs ? hwaddr_fmt(&s->macs[0], m) : "", "macs", macs, "name",
	                      s->name, "registered", d != NULL);
	if (!o || !d)
		return o;
	json_t *more =
	        json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:b}", "id", (json_int_t) d->id, "state",
	                  registry_state_name(d->state), "group", d->group, "arch",
	                  d->arch >= 0 ? json_string(boot_arch_phrase(d->arch)) : json_null(), "ip",
	                  ip_json(d->ip), "uuid", d->uuid, "uuid_conflict", d->uuid_conflict);
	if (!more || json_object_update(o, more) < 0) {
		json_decref(more);
		json_decref(o);
		return NULL;
	}
	json_decref(more);
	return o;
}

static json_t *findings_json(const struct diag_finding *f, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		json_t *ev = json_array();
		for (size_t k = 0; ev && k < f[i].n_evidence; k++)
			json_array_append_new(ev, json_integer((json_int_t) f[i].evidence[k]));
		json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "rule", f[i].rule, "severity",
		                      diag_severity_name(f[i].severity), "finding",
		                      text(f[i].finding), "evidence", ev, "fix", text(f[i].fix));
		if (json_array_append_new(a, o) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int diag_why_json(const struct diag_sources *src, const struct diag_subject *s, json_t **ret)
{
	struct journal_entry *v = NULL;
	json_t *events;
	struct diag_finding found[DIAG_FINDINGS_MAX];
	struct registry_boot rb = {0};
	char who[REGISTRY_NAME_MAX + HWADDR_STRLEN] = "";
	int n = events_of(src, s, DIAG_WHY_EVENTS, &v, &events);
	if (n < 0)
		return n;
	if (src->registry && s->n_macs)
		registry_boot_for(src->registry, &s->macs[0], &rb);
	if (s->name[0])
		nb_strlcpy(who, s->name, sizeof who);
	else if (s->n_macs)
		hwaddr_fmt(&s->macs[0], who);
	const struct diag_facts facts = {
	        .dev = s->dev,
	        .profile = src->registry && s->n_macs ? &rb.profile : NULL,
	        .boot_root = src->boot_root,
	        .who = who,
	};
	size_t k = diag_run(v, (size_t) n, &facts, found, DIAG_FINDINGS_MAX);
	free(v);
	*ret = json_pack("{s:o, s:o, s:o}", "device", device_json(s), "events", events, "findings",
	                 findings_json(found, k));
	return *ret ? 0 : -ENOMEM;
}
