/* The device registry's table and its boot side: UUID and state names, the
 * devices in memory and their MAC index, lookups, loading and persisting a
 * device as a JSON document, and what a booting client may boot (identifying
 * it, UUID conflicts, creating it by the policy). The admin's changes (add,
 * update, remove, import) are in admin.c; internal.h is what they share. */
#include "registry/registry.h"
#include "registry/internal.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"
#include "core/log.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "store/store.h"

/* last_seen and friends are written back at most this often per device */
#define SEEN_PERSIST_SEC 60

/* ---- UUIDs */

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int registry_uuid_parse(const char *s, bool swap, uint8_t ret[16])
{
	uint8_t u[16];
	size_t n = 0, len = strlen(s);
	if (len != 36 && len != 32)
		return -EINVAL;
	for (size_t i = 0; i < len;) {
		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		int hi = hexv((unsigned char) s[i]), lo = hexv((unsigned char) s[i + 1]);
		if (hi < 0 || lo < 0 || n == 16)
			return -EINVAL;
		u[n++] = (uint8_t) (hi << 4 | lo);
		i += 2;
	}
	if (n != 16)
		return -EINVAL;
	if (swap) {
		/* SMBIOS 2.6+: time_low, time_mid, time_hi little-endian */
		uint8_t t[16];
		memcpy(t, u, 16);
		u[0] = t[3], u[1] = t[2], u[2] = t[1], u[3] = t[0];
		u[4] = t[5], u[5] = t[4];
		u[6] = t[7], u[7] = t[6];
	}
	memcpy(ret, u, 16);
	return 0;
}

char *registry_uuid_fmt(const uint8_t u[16], char buf[static REGISTRY_UUID_STRLEN])
{
	snprintf(buf, REGISTRY_UUID_STRLEN,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
	         u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
	         u[15]);
	return buf;
}

/* Boards ship these instead of a real UUID; they identify nothing. The one list. */
static const char *const placeholder_uuids[] = {
        "03000200-0400-0500-0006-000700080009", /* AMI default */
        "00020003-0004-0005-0006-000700080009", /* the same, byte-swapped */
        "12345678-1234-5678-90ab-cddeefaabbcc", "4c4c4544-0000-0000-0000-000000000000",
        "00000000-0000-0000-0000-000000000001",
};

bool registry_uuid_placeholder(const uint8_t u[16])
{
	char s[REGISTRY_UUID_STRLEN];
	bool same = true;
	for (int i = 1; i < 16; i++)
		same = same && u[i] == u[0];
	if (same)
		return true; /* all zeros, all FF, any one repeated byte */
	registry_uuid_fmt(u, s);
	for (size_t i = 0; i < NB_ARRAY_SIZE(placeholder_uuids); i++)
		if (strcmp(s, placeholder_uuids[i]) == 0)
			return true;
	return false;
}

const char *registry_state_name(int state)
{
	switch (state) {
	case REGISTRY_APPROVED:
		return "approved";
	case REGISTRY_REJECTED:
		return "rejected";
	default:
		return "pending";
	}
}

int registry_state_parse(const char *s)
{
	static const char *const names[] = {"pending", "approved", "rejected"};
	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}

/* ---- lookups (the MAC and UUID indexes are in index.c) */

const struct registry_device *registry_get_id(const struct registry *r, uint64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->dev[i]->id == id)
			return r->dev[i];
	return NULL;
}

struct registry_device *registry_by_name(const struct registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->dev[i]->name[0] && nb_streq_nocase(r->dev[i]->name, name))
			return r->dev[i];
	return NULL;
}

const struct registry_device *registry_find(const struct registry *r, const char *key)
{
	struct hwaddr m;
	uint8_t u[16];
	char us[REGISTRY_UUID_STRLEN];
	if (key[0] == '#') {
		uint64_t id;
		return nb_parse_uint(key + 1, 1, UINT64_MAX, &id) == 0 ? registry_get_id(r, id)
		                                                       : NULL;
	}
	if (hwaddr_parse(key, &m) == 0)
		return registry_get(r, &m);
	/* a UUID finds a device only while it is not in conflict: MAC only then */
	if (registry_uuid_parse(key, false, u) == 0) {
		registry_uuid_fmt(u, us);
		return registry_uuid_conflicting(r, us) ? NULL : registry_by_uuid(r, us, NULL);
	}
	return registry_by_name(r, key);
}

size_t registry_count(const struct registry *r)
{
	return r->n;
}

void registry_foreach(const struct registry *r,
                      void (*fn)(const struct registry_device *d, void *data), void *data)
{
	for (size_t i = 0; i < r->n; i++)
		fn(r->dev[i], data);
}

const struct conf_group *registry_group(const struct registry *r, const char *name)
{
	return r->conf && name[0] ? conf_group_find(r->conf, name) : NULL;
}

/* ---- persistence: a device as a JSON document */

static json_t *profile_json(const struct registry_profile *p)
{
	json_t *o = json_object();
	const struct {
		const char *k, *v;
	} f[] = {{"ipxe-template", p->ipxe_template}, {"domain", p->domain}};
	for (size_t i = 0; i < BOOT_SLOTS; i++)
		if (p->loaders.file[i][0])
			json_object_set_new(o, boot_slot_key(i), json_string(p->loaders.file[i]));
	for (size_t i = 0; i < NB_ARRAY_SIZE(f); i++)
		if (f[i].v[0])
			json_object_set_new(o, f[i].k, json_string(f[i].v));
	if (p->lease_sec)
		json_object_set_new(o, "lease-time", json_integer(p->lease_sec));
	if (p->n_dns) {
		json_t *a = json_array();
		char s[IP4_STRLEN];
		for (size_t i = 0; i < p->n_dns; i++)
			json_array_append_new(a, json_string(ip4_fmt(p->dns[i], s)));
		json_object_set_new(o, "dns", a);
	}
	return o;
}

struct json_t *registry_profile_json(const struct registry_profile *p)
{
	return profile_json(p);
}

static void str_from(json_t *o, const char *k, char *dst, size_t n)
{
	const char *v = json_string_value(json_object_get(o, k));
	nb_strlcpy(dst, v ? v : "", n);
}

static void profile_from(json_t *o, struct registry_profile *p)
{
	memset(p, 0, sizeof *p);
	if (!json_is_object(o))
		return;
	for (size_t i = 0; i < BOOT_SLOTS; i++)
		str_from(o, boot_slot_key(i), p->loaders.file[i], sizeof p->loaders.file[i]);
	str_from(o, "ipxe-template", p->ipxe_template, sizeof p->ipxe_template);
	str_from(o, "domain", p->domain, sizeof p->domain);
	p->lease_sec = (uint32_t) json_integer_value(json_object_get(o, "lease-time"));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(o, "dns"), i, v)
	{
		if (p->n_dns < NB_ARRAY_SIZE(p->dns) &&
		    ip4_parse(json_string_value(v) ? json_string_value(v) : "",
		              &p->dns[p->n_dns]) == 0)
			p->n_dns++;
	}
}

static char *device_doc(const struct registry_device *d)
{
	char ip[IP4_STRLEN];
	json_t *o =
	        json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:o}", "name",
	                  d->name, "uuid", d->uuid, "uuid_conflict", d->uuid_conflict, "group",
	                  d->group, "state", registry_state_name(d->state), "notes", d->notes,
	                  "arch", d->arch, "ip", d->ip ? ip4_fmt(d->ip, ip) : "", "first_seen",
	                  (json_int_t) d->first_seen, "last_seen", (json_int_t) d->last_seen,
	                  "version", (json_int_t) d->version, "profile", profile_json(&d->profile));
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

int registry_persist(struct registry *r, const struct registry_device *d)
{
	if (!r->store)
		return 0; /* in memory only (tests) */
	char *doc = device_doc(d);
	if (!doc)
		return -ENOMEM;
	struct store_device sd = {.id = d->id, .n_macs = d->n_macs, .doc = doc};
	memcpy(sd.macs, d->macs, d->n_macs * sizeof d->macs[0]);
	int ret = store_device_put(r->store, &sd);
	free(doc);
	return ret;
}

int registry_add_slot(struct registry *r, struct registry_device *d)
{
	if (nb_grow(&r->dev, &r->cap, r->n + 1, sizeof *r->dev) < 0)
		return -ENOMEM;
	d->seen_stored = d->last_seen;
	r->dev[r->n++] = d;
	if (d->id >= r->next_id)
		r->next_id = d->id + 1;
	return 0;
}

static int load_one(const struct store_device *sd, void *data)
{
	struct registry *r = data;
	json_error_t jerr;
	json_t *o = json_loads(sd->doc, 0, &jerr);
	if (!o) {
		log_warn("registry: device #%llu has an unreadable record (%s); skipped",
		         (unsigned long long) sd->id, jerr.text);
		return 0;
	}
	struct registry_device *d = calloc(1, sizeof *d);
	if (!d) {
		json_decref(o);
		return -ENOMEM;
	}
	d->id = sd->id;
	d->n_macs = NB_MIN(sd->n_macs, (size_t) REGISTRY_MAX_MACS);
	memcpy(d->macs, sd->macs, d->n_macs * sizeof d->macs[0]);
	str_from(o, "name", d->name, sizeof d->name);
	str_from(o, "uuid", d->uuid, sizeof d->uuid);
	d->uuid_conflict = json_is_true(json_object_get(o, "uuid_conflict"));
	str_from(o, "group", d->group, sizeof d->group);
	int st = registry_state_parse(json_string_value(json_object_get(o, "state"))
	                                      ? json_string_value(json_object_get(o, "state"))
	                                      : "");
	d->state = st < 0 ? REGISTRY_PENDING : st;
	str_from(o, "notes", d->notes, sizeof d->notes);
	json_t *arch = json_object_get(o, "arch");
	d->arch = json_is_integer(arch) ? (int) json_integer_value(arch) : -1;
	const char *ip = json_string_value(json_object_get(o, "ip"));
	if (ip && *ip)
		(void) ip4_parse(ip, &d->ip);
	d->first_seen = json_integer_value(json_object_get(o, "first_seen"));
	d->last_seen = json_integer_value(json_object_get(o, "last_seen"));
	d->version = (uint64_t) json_integer_value(json_object_get(o, "version"));
	profile_from(json_object_get(o, "profile"), &d->profile);
	json_decref(o);
	return registry_add_slot(r, d) < 0 ? (free(d), -ENOMEM) : 0;
}

void registry_publish(struct registry *r, const struct registry_device *d)
{
	/* named devices with a known address are names on the LAN */
	if (r->hosts && d->name[0] && d->ip && d->n_macs)
		(void) hosts_set(r->hosts, &d->macs[0], d->ip, d->name, HOSTS_DEVICE, 0);
}

int registry_open(struct store *store, struct hosts *hosts, struct journal *journal,
                  struct registry **ret)
{
	struct registry *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->store = store;
	r->hosts = hosts;
	r->journal = journal;
	r->next_id = 1;
	r->rl = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	int e = store ? store_device_foreach(store, load_one, r) : 0;
	if (e == 0)
		e = registry_reindex(r);
	if (e < 0) {
		registry_free(r);
		return e;
	}
	for (size_t i = 0; i < r->n; i++)
		registry_publish(r, r->dev[i]);
	*ret = r;
	return 0;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->dev[i]);
	free(r->dev);
	free(r->by_mac.s);
	free(r->by_uuid.s);
	free(r);
}

void registry_set_conf(struct registry *r, const struct conf *c)
{
	r->conf = c;
	r->new_last_ms = 0; /* [dhcp] new-device-limit may have changed: a full minute's worth */
}

/* ---- boot decisions */

/* [dhcp] unknown-devices, with its default when no config is set. */
static int policy(const struct registry *r)
{
	return r->conf ? r->conf->dhcp.unknown_devices : CONF_UNKNOWN_APPROVE;
}

static void overlay(struct registry_profile *dst, const struct boot_loaders *loaders,
                    const char *tmpl, uint32_t lease, const uint32_t *dns, size_t n_dns,
                    const char *domain)
{
#define OVER(f, v)                                                                                 \
	if ((v) && (v)[0])                                                                         \
	nb_strlcpy(dst->f, (v), sizeof dst->f)
	boot_loaders_overlay(&dst->loaders, loaders);
	OVER(ipxe_template, tmpl);
	OVER(domain, domain);
#undef OVER
	if (lease)
		dst->lease_sec = lease;
	if (n_dns) {
		dst->n_dns = NB_MIN(n_dns, NB_ARRAY_SIZE(dst->dns));
		memcpy(dst->dns, dns, dst->n_dns * sizeof *dns);
	}
}

/* [boot]/[http] defaults <- the group's profile <- the device's own. */
static void merged_profile(const struct registry *r, const char *group,
                           const struct registry_device *d, struct registry_profile *out)
{
	const struct conf *c = r->conf;
	memset(out, 0, sizeof *out);
	if (c)
		overlay(out, &c->boot, c->http.ipxe_template, 0, NULL, 0, NULL);
	const struct conf_group *g = group ? registry_group(r, group) : NULL;
	if (g)
		overlay(out, &g->loaders, g->ipxe_template, g->lease_sec, g->dns, g->n_dns,
		        g->domain);
	if (d) {
		const struct registry_profile *p = &d->profile;
		overlay(out, &p->loaders, p->ipxe_template, p->lease_sec, p->dns, p->n_dns,
		        p->domain);
	}
}

static void decide(const struct registry *r, const struct registry_device *d,
                   struct registry_boot *out)
{
	int pol = policy(r);
	const char *default_group = r->conf ? r->conf->dhcp.default_group : "";
	memset(out, 0, sizeof *out);
	out->dev = d;
	if (!d) {
		merged_profile(r, default_group, NULL, &out->profile);
		out->verdict = pol == CONF_UNKNOWN_IGNORE    ? REGISTRY_UNKNOWN
		               : pol == CONF_UNKNOWN_PENDING ? REGISTRY_WAIT
		                                             : REGISTRY_BOOT;
		out->why = pol == CONF_UNKNOWN_IGNORE
		                   ? "unknown device, and unknown devices are ignored"
		           : pol == CONF_UNKNOWN_PENDING ? "unknown device, pending approval"
		                                         : "unknown device, approved by policy";
		return;
	}
	merged_profile(r, d->group, d, &out->profile);
	switch (d->state) {
	case REGISTRY_APPROVED:
		out->verdict = REGISTRY_BOOT;
		out->why = d->group[0] ? "approved device, its group's profile" : "approved device";
		break;
	case REGISTRY_REJECTED:
		out->verdict = REGISTRY_DENY;
		out->why = "the device was rejected";
		break;
	default:
		out->verdict = REGISTRY_WAIT;
		out->why = "the device is pending approval";
	}
}

bool registry_journal_keep(enum journal_kind k, const struct hwaddr *mac, void *data)
{
	if (registry_get(data, mac))
		return true;
	return (k >= JOURNAL_TFTP_REQUEST && k <= JOURNAL_TFTP_COMPLETE) ||
	       (k >= JOURNAL_HTTP_FETCH && k <= JOURNAL_HTTP_IPXE_WAIT);
}

void registry_boot_for(const struct registry *r, const struct hwaddr *mac,
                       struct registry_boot *out)
{
	decide(r, registry_get(r, mac), out);
}

/* The journal's registry.uuid_conflict, raised here only: the device at
 * mac shares its UUID with another one, named by its MAC (for `netbay
 * why`) or, when it has none, by its ID. */
static void ev_uuid_conflict(struct registry *r, const struct hwaddr *mac, uint32_t ip,
                             const char *uuid, const struct hwaddr *other_mac, uint64_t other_id)
{
	struct journal_fact f = {.kind = JOURNAL_REGISTRY_UUID_CONFLICT,
	                         .mac = mac,
	                         .ip = ip,
	                         .uuid = uuid,
	                         .has = other_mac ? JOURNAL_HAS_OTHER_MAC : JOURNAL_HAS_ID,
	                         .id = other_id};
	if (other_mac)
		f.other_mac = *other_mac;
	journal_emit(r->journal, &f);
}

/* Two devices claim one UUID: flag both, from now on MAC only. b is the
 * device of the client at mac, or NULL when it has none yet. */
static void conflict(struct registry *r, const char *uuid, struct registry_device *a,
                     struct registry_device *b, const struct hwaddr *mac)
{
	char m1[HWADDR_STRLEN], m2[HWADDR_STRLEN];
	struct registry_device *both[2] = {a, b};
	for (int i = 0; i < 2; i++) {
		if (!both[i] || both[i]->uuid_conflict)
			continue;
		both[i]->uuid_conflict = true;
		(void) registry_index_set_uuid(r, both[i], uuid); /* kept unindexed on -ENOMEM */
		both[i]->version++;
		(void) registry_persist(r, both[i]);
	}
	/* each side's journal names the other side */
	if (a->n_macs)
		ev_uuid_conflict(r, &a->macs[0], a->ip, uuid, mac, 0);
	if (b)
		ev_uuid_conflict(r, mac, b->ip, uuid, a->n_macs ? &a->macs[0] : NULL, a->id);
	log_rl(&r->rl, LOG_LVL_WARN,
	       "registry: SMBIOS UUID %s seen on %s and on device #%llu (%s): a cloned or "
	       "placeholder UUID; these devices are matched by MAC only from now on",
	       uuid, hwaddr_fmt(mac, m1), (unsigned long long) a->id,
	       a->n_macs ? hwaddr_fmt(&a->macs[0], m2) : "no MAC");
}

/* Whether a booting client never seen may be recorded now: at most
 * [dhcp] new-device-limit a minute (a token bucket holding a minute's
 * worth), and no more pending devices than [dhcp] max-pending-devices.
 * When not, the client is answered by the policy as an unknown device and
 * recorded when it asks again once there is room; logged, rate-limited. */
static bool may_create(struct registry *r, const struct hwaddr *mac)
{
	const struct conf *c = r->conf;
	char m[HWADDR_STRLEN];
	if (!c)
		return true;
	int64_t now = nb_now_ms();
	double per_min = c->dhcp.new_device_limit;
	r->new_tokens += (double) (now - r->new_last_ms) * per_min / 60000.0;
	if (r->new_tokens > per_min || r->new_last_ms == 0)
		r->new_tokens = per_min;
	r->new_last_ms = now;
	if (policy(r) == CONF_UNKNOWN_PENDING && r->n_pending >= c->dhcp.max_pending_devices) {
		log_rl(&r->rl, LOG_LVL_WARN,
		       "registry: %s: not recorded: %zu devices are pending approval "
		       "([dhcp] max-pending-devices); approve or remove some",
		       hwaddr_fmt(mac, m), r->n_pending);
		return false;
	}
	if (r->new_tokens < 1) {
		log_rl(&r->rl, LOG_LVL_WARN,
		       "registry: %s: not recorded yet: more than %u new devices a minute "
		       "([dhcp] new-device-limit)",
		       hwaddr_fmt(mac, m), c->dhcp.new_device_limit);
		return false;
	}
	r->new_tokens -= 1;
	return true;
}

static struct registry_device *create(struct registry *r, const struct hwaddr *mac,
                                      const char *uuid, bool uuid_conflict, int64_t now)
{
	struct registry_device *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->id = r->next_id;
	d->version = 1;
	d->macs[0] = *mac;
	d->n_macs = 1;
	d->arch = -1;
	d->first_seen = now;
	nb_strlcpy(d->uuid, uuid, sizeof d->uuid);
	d->uuid_conflict = uuid_conflict;
	if (policy(r) == CONF_UNKNOWN_APPROVE) {
		d->state = REGISTRY_APPROVED;
		if (r->conf)
			nb_strlcpy(d->group, r->conf->dhcp.default_group, sizeof d->group);
	} else {
		d->state = REGISTRY_PENDING;
	}
	if (registry_index_add(r, d) < 0) {
		free(d);
		return NULL;
	}
	if (registry_add_slot(r, d) < 0) {
		registry_index_del(r, d);
		free(d);
		return NULL;
	}
	r->n_pending += d->state == REGISTRY_PENDING;
	d->seen_stored = 0; /* stored below, whatever the time */
	return d;
}

/* Finds the device of a booting client by MAC, else by a usable UUID
 * (attaching the MAC to a registered device that has none). */
static struct registry_device *identify(struct registry *r, const struct hwaddr *mac,
                                        const char *uuid, bool *ret_conflict)
{
	struct registry_device *d = (struct registry_device *) registry_get(r, mac);
	*ret_conflict = uuid[0] && registry_uuid_conflicting(r, uuid);
	if (!uuid[0] || *ret_conflict)
		return d;
	struct registry_device *other = registry_by_uuid(r, uuid, d);
	if (d) {
		if (other) {
			conflict(r, uuid, other, d, mac);
			*ret_conflict = true;
		} else if (strcmp(d->uuid, uuid) != 0 && registry_index_set_uuid(r, d, uuid) == 0) {
			d->version++;
			(void) registry_persist(r, d);
		}
		return d;
	}
	if (other && other->n_macs == 0) {
		/* registered by UUID: this is its first MAC */
		if (registry_index_mac_add(r, other, mac) < 0) {
			log_rl(&r->rl, LOG_LVL_WARN,
			       "registry: could not record the MAC of device #%llu",
			       (unsigned long long) other->id);
			return NULL;
		}
		other->macs[other->n_macs++] = *mac;
		other->version++;
		(void) registry_persist(r, other);
		return other;
	}
	if (other) {
		conflict(r, uuid, other, NULL, mac);
		*ret_conflict = true;
	}
	return NULL;
}

/* A new device for a booting client, when the limits allow; journaled and
 * logged (rate-limited). NULL when not recorded. */
static struct registry_device *record_new(struct registry *r, const struct hwaddr *mac, uint32_t ip,
                                          const char *uuid, bool conflicting, int64_t now)
{
	char m[HWADDR_STRLEN];
	if (!may_create(r, mac))
		return NULL;
	struct registry_device *d = create(r, mac, uuid, conflicting, now);
	if (!d) {
		log_rl(&r->rl, LOG_LVL_ERR, "registry: %s: out of memory recording a new device",
		       hwaddr_fmt(mac, m));
		return NULL;
	}
	journal_emit(r->journal, &(struct journal_fact){.kind = JOURNAL_REGISTRY_NEW,
	                                                .mac = mac,
	                                                .ip = ip,
	                                                .id = d->id,
	                                                .state = registry_state_name(d->state)});
	const struct registry_device *holder = conflicting ? registry_by_uuid(r, uuid, d) : NULL;
	if (holder)
		ev_uuid_conflict(r, mac, ip, uuid, holder->n_macs ? &holder->macs[0] : NULL,
		                 holder->id);
	log_rl(&r->rl, LOG_LVL_INFO, "registry: %s: new device #%llu (%s)", hwaddr_fmt(mac, m),
	       (unsigned long long) d->id, registry_state_name(d->state));
	return d;
}

int registry_boot_seen(struct registry *r, const struct hwaddr *mac, uint32_t ip, int arch,
                       const uint8_t uuid16[16], struct registry_boot *out)
{
	char uuid[REGISTRY_UUID_STRLEN] = "";
	int64_t now = nb_wall_sec();
	bool conflicting;

	if (uuid16 && !registry_uuid_placeholder(uuid16))
		registry_uuid_fmt(uuid16, uuid);
	struct registry_device *d = identify(r, mac, uuid, &conflicting);
	if (!d && policy(r) != CONF_UNKNOWN_IGNORE)
		d = record_new(r, mac, ip, uuid, conflicting, now);
	if (d) {
		bool changed = (arch >= 0 && arch != d->arch) || (ip && ip != d->ip);
		d->last_seen = now;
		if (arch >= 0)
			d->arch = arch;
		if (ip)
			d->ip = ip;
		if (changed || now - d->seen_stored >= SEEN_PERSIST_SEC) {
			if (registry_persist(r, d) == 0)
				d->seen_stored = now;
			if (ip && changed)
				registry_publish(r, d);
		}
	}
	decide(r, d, out);
	return 0;
}
