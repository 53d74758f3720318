/* The [dns] section of the config loader: the value parsers for upstream,
 * allow, cache-size and record (the record syntax NAME [TTL] TYPE DATA and
 * its rdata), and conf_check_dns(), which runs once the whole file is read:
 * it resolves record names against the local domain, keeps them inside it
 * (or in-addr.arpa for PTR) and refuses a CNAME beside other data. */
#include "core/conf.h"
#include "core/conf_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int conf_parse_dns_upstream(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	char *save = NULL;
	c->dns.n_upstreams = 0;
	for (char *t = strtok_r(value, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		struct conf_hostport hp = {.port = 53};
		char *colon = strchr(t, ':');
		uint64_t port;
		if (colon) {
			*colon = 0;
			if (nb_parse_uint(colon + 1, 1, 65535, &port) < 0) {
				snprintf(err, errlen, "'%s' is not a port number", colon + 1);
				return -EINVAL;
			}
			hp.port = (uint16_t) port;
		}
		if (ip4_parse(t, &hp.addr) < 0 || hp.addr == 0) {
			snprintf(err, errlen, "'%s' is not an IPv4 address (ADDR or ADDR:PORT)", t);
			return -EINVAL;
		}
		if (c->dns.n_upstreams == CONF_MAX_LIST) {
			snprintf(err, errlen, "more than %d upstreams", CONF_MAX_LIST);
			return -E2BIG;
		}
		c->dns.upstreams[c->dns.n_upstreams++] = hp;
	}
	return 0;
}

/* allow = [only] NET[/PREFIX], ...: networks served beside the served LAN, or with
 * "only" first, instead of it. */
int conf_parse_dns_allow(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	char *save = NULL;
	c->dns.n_allow = 0;
	c->dns.allow_only = false;
	for (char *t = strtok_r(value, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		struct conf_net n = {.prefix = 32};
		if (strcmp(t, "only") == 0) {
			if (c->dns.n_allow || c->dns.allow_only) {
				snprintf(err, errlen, "'only' comes first, before the networks");
				return -EINVAL;
			}
			c->dns.allow_only = true;
			continue;
		}
		int r = strchr(t, '/') ? ip4_cidr_parse(t, &n.net, &n.prefix)
		                       : ip4_parse(t, &n.net);
		if (r < 0) {
			snprintf(err, errlen,
			         "'%s' is not NETWORK/PREFIX (host bits clear) or an address", t);
			return -EINVAL;
		}
		if (c->dns.n_allow == CONF_MAX_LIST) {
			snprintf(err, errlen, "more than %d networks", CONF_MAX_LIST);
			return -E2BIG;
		}
		c->dns.allow[c->dns.n_allow++] = n;
	}
	if (c->dns.allow_only && c->dns.n_allow == 0) {
		snprintf(err, errlen, "'only' needs the networks that replace the served LAN");
		return -EINVAL;
	}
	return 0;
}

int conf_parse_dns_reserved(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	char *save = NULL;
	c->dns.n_reserved = 0;
	for (char *t = strtok_r(value, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (!nb_hostname_valid(t) || strchr(t, '.') || strlen(t) >= CONF_NAME_MAX) {
			snprintf(err, errlen, "'%s' is not a host name (one DNS label)", t);
			return -EINVAL;
		}
		if (c->dns.n_reserved == CONF_RESERVED_MAX) {
			snprintf(err, errlen, "more than %d names", CONF_RESERVED_MAX);
			return -E2BIG;
		}
		char *n = c->dns.reserved[c->dns.n_reserved++];
		for (size_t i = 0; i == 0 || t[i - 1]; i++)
			n[i] = (char) tolower((unsigned char) t[i]);
	}
	return 0;
}

static const struct {
	const char *name;
	uint16_t type;
} dns_rtypes[] = {
        {"A", 1}, {"AAAA", 28}, {"CNAME", 5}, {"PTR", 12}, {"MX", 15}, {"TXT", 16}, {"SRV", 33},
};

static char *dns_token(char **s)
{
	char *p = *s;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return NULL;
	char *t = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = 0;
	*s = p;
	return t;
}

/* A name as written: validated and lower-cased; resolved against the domain in conf_check_dns(). */
static int dns_name_token(const char *t, char *out, char *err, size_t errlen)
{
	if (!t) {
		snprintf(err, errlen, "a name is missing");
		return -EINVAL;
	}
	if (strcmp(t, "@") != 0 && (!nb_hostname_valid(t) || strcmp(t, ".") == 0)) {
		snprintf(err, errlen, "'%s' is not a valid DNS name", t);
		return -EINVAL;
	}
	size_t n = strlen(t);
	if (n >= CONF_DOMAIN_MAX) {
		snprintf(err, errlen, "'%s' is too long", t);
		return -EINVAL;
	}
	for (size_t i = 0; i <= n; i++)
		out[i] = (char) tolower((unsigned char) t[i]);
	return 0;
}

static int dns_u16_token(const char *t, const char *what, uint16_t *ret, char *err, size_t errlen)
{
	uint64_t v;
	if (!t || nb_parse_uint(t, 0, 65535, &v) < 0) {
		snprintf(err, errlen, "%s: '%s' is not a number from 0 to 65535", what, t ? t : "");
		return -EINVAL;
	}
	*ret = (uint16_t) v;
	return 0;
}

/* TXT data: "quoted strings" (\" and \\ escape) or bare words, each at most 255 bytes. */
static int dns_txt_parse(char *s, struct conf_dns_record *r, char *err, size_t errlen)
{
	size_t n = 0;
	for (;;) {
		uint8_t buf[256];
		size_t len = 0;
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		bool quoted = *s == '"';
		s += quoted;
		while (*s && (quoted ? *s != '"' : (*s != ' ' && *s != '\t'))) {
			char ch = *s++;
			if (quoted && ch == '\\' && *s)
				ch = *s++;
			if (len == 255) {
				snprintf(err, errlen, "TXT: a string is longer than 255 bytes");
				return -EINVAL;
			}
			buf[len++] = (uint8_t) ch;
		}
		if (quoted && *s++ != '"') {
			snprintf(err, errlen, "TXT: a quoted string is not closed");
			return -EINVAL;
		}
		if (n + 1 + len > sizeof r->txt) {
			snprintf(err, errlen, "TXT: more than %d bytes", CONF_DNS_TXT_MAX);
			return -EINVAL;
		}
		r->txt[n++] = (uint8_t) len;
		memcpy(r->txt + n, buf, len);
		n += len;
	}
	if (n == 0) {
		snprintf(err, errlen, "TXT needs at least one string");
		return -EINVAL;
	}
	r->txt_len = n;
	return 0;
}

static int dns_rdata_parse(struct conf_dns_record *r, char *rest, char *err, size_t errlen)
{
	char *t;
	switch (r->type) {
	case 1:
		t = dns_token(&rest);
		if (!t || inet_pton(AF_INET, t, r->addr) != 1) {
			snprintf(err, errlen, "A: '%s' is not an IPv4 address", t ? t : "");
			return -EINVAL;
		}
		break;
	case 28:
		t = dns_token(&rest);
		if (!t || inet_pton(AF_INET6, t, r->addr) != 1) {
			snprintf(err, errlen, "AAAA: '%s' is not an IPv6 address", t ? t : "");
			return -EINVAL;
		}
		break;
	case 16:
		return dns_txt_parse(rest, r, err, errlen);
	case 33:
		if (dns_u16_token(dns_token(&rest), "SRV priority", &r->priority, err, errlen) <
		            0 ||
		    dns_u16_token(dns_token(&rest), "SRV weight", &r->weight, err, errlen) < 0 ||
		    dns_u16_token(dns_token(&rest), "SRV port", &r->port, err, errlen) < 0)
			return -EINVAL;
		goto target;
	case 15:
		if (dns_u16_token(dns_token(&rest), "MX preference", &r->priority, err, errlen) < 0)
			return -EINVAL;
		goto target;
	default: /* CNAME, PTR */
	target:
		t = dns_token(&rest);
		if (!t || strcmp(t, "@") == 0) {
			snprintf(err, errlen, "a target name is missing");
			return -EINVAL;
		}
		if (dns_name_token(t, r->target, err, errlen) < 0)
			return -EINVAL;
		break;
	}
	if (dns_token(&rest)) {
		snprintf(err, errlen, "unexpected text after the record data");
		return -EINVAL;
	}
	return 0;
}

int conf_parse_dns_record(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	struct conf_dns_record r = {.line = line, .ttl_sec = UINT32_MAX};
	char *rest = value;
	char *owner = dns_token(&rest);
	char *t = dns_token(&rest);
	uint32_t addr;

	if (!owner || !t) {
		snprintf(err, errlen, "not NAME [TTL] TYPE DATA");
		return -EINVAL;
	}
	if (t[0] >= '0' && t[0] <= '9') {
		if (nb_parse_duration(t, &r.ttl_sec) < 0 || r.ttl_sec > 604800) {
			snprintf(err, errlen, "'%s' is not a TTL up to 7d", t);
			return -EINVAL;
		}
		t = dns_token(&rest);
	}
	for (size_t i = 0; t && i < NB_ARRAY_SIZE(dns_rtypes); i++)
		if (nb_streq_nocase(t, dns_rtypes[i].name))
			r.type = dns_rtypes[i].type;
	if (!r.type) {
		snprintf(err, errlen, "'%s' is not a record type (A AAAA CNAME TXT MX SRV PTR)",
		         t ? t : "");
		return -EINVAL;
	}
	if (r.type == 12 && ip4_parse(owner, &addr) == 0) /* "10.0.0.5 PTR nas": the reverse name */
		snprintf(r.name, sizeof r.name, "%u.%u.%u.%u.in-addr.arpa.", addr & 0xff,
		         (addr >> 8) & 0xff, (addr >> 16) & 0xff, addr >> 24);
	else if (dns_name_token(owner, r.name, err, errlen) < 0)
		return -EINVAL;
	if (dns_rdata_parse(&r, rest, err, errlen) < 0)
		return -EINVAL;
	struct conf_dns_record *v = realloc(c->dns.records, (c->dns.n_records + 1) * sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->dns.records = v;
	v[c->dns.n_records++] = r;
	return 0;
}

static bool dns_name_under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	return n == z ? strcmp(name, zone) == 0
	              : n > z && name[n - z - 1] == '.' && strcmp(name + n - z, zone) == 0;
}

/* Owners: '@' is the domain; a trailing dot, the domain itself or a reverse name are
 * absolute; anything else is relative to the domain. Targets: a single label is relative
 * to the domain, anything else absolute (trailing dot optional). */
static int dns_name_resolve(char *name, const char *domain, bool owner)
{
	char out[CONF_DOMAIN_MAX + 2];
	size_t n = strlen(name);
	int len;
	if (owner && strcmp(name, "@") == 0)
		len = snprintf(out, sizeof out, "%s", domain);
	else if (name[n - 1] == '.')
		len = snprintf(out, sizeof out, "%.*s", (int) n - 1, name);
	else if (owner ? (dns_name_under(name, domain) || dns_name_under(name, "in-addr.arpa"))
	               : strchr(name, '.') != NULL)
		len = snprintf(out, sizeof out, "%s", name);
	else
		len = snprintf(out, sizeof out, "%s.%s", name, domain);
	if (len <= 0 || len > 253)
		return -ENAMETOOLONG;
	memcpy(name, out, (size_t) len + 1);
	return 0;
}

static int dns_record_cmp(const void *a, const void *b)
{
	const struct conf_dns_record *x = *(const struct conf_dns_record *const *) a;
	const struct conf_dns_record *y = *(const struct conf_dns_record *const *) b;
	int r = strcmp(x->name, y->name);
	return r ? r : x->line - y->line;
}

/* RFC 1034 3.6.2: a name with a CNAME has no other data. */
static void check_dns_cnames(struct conf_state *st)
{
	struct conf *c = st->c;
	NB_CLEANUP(freep) const struct conf_dns_record **v = calloc(c->dns.n_records, sizeof *v);
	if (!v)
		return;
	for (size_t i = 0; i < c->dns.n_records; i++)
		v[i] = &c->dns.records[i];
	qsort(v, c->dns.n_records, sizeof *v, dns_record_cmp);
	for (size_t i = 0, j; i < c->dns.n_records; i = j) {
		const struct conf_dns_record *cname = NULL, *other = NULL;
		for (j = i; j < c->dns.n_records && strcmp(v[j]->name, v[i]->name) == 0; j++) {
			if (v[j]->type == 5 && !cname)
				cname = v[j];
			else if (!other)
				other = v[j];
		}
		if (cname && other) {
			st->line = NB_MAX(cname->line, other->line);
			diag(st, "record: %s has a CNAME and other data (lines %d and %d)",
			     cname->name, NB_MIN(cname->line, other->line),
			     NB_MAX(cname->line, other->line));
		}
	}
}

void conf_check_dns(struct conf_state *st)
{
	struct conf *c = st->c;
	char *d = c->dns.domain;
	size_t n = strlen(d);
	if (n > 1 && d[n - 1] == '.')
		d[--n] = 0;
	for (size_t i = 0; i < n; i++)
		d[i] = (char) tolower((unsigned char) d[i]);
	st->line = 0;
	if (!*d || dns_name_under(d, "in-addr.arpa") || strcmp(d, ".") == 0) {
		diag(st, "[dns] domain must be a domain name outside in-addr.arpa");
		return;
	}
	for (size_t i = 0; i < c->dns.n_records; i++) {
		struct conf_dns_record *r = &c->dns.records[i];
		bool has_target = r->type == 5 || r->type == 12 || r->type == 15 || r->type == 33;
		st->line = r->line;
		if (dns_name_resolve(r->name, d, true) < 0 ||
		    (has_target && dns_name_resolve(r->target, d, false) < 0)) {
			diag(st, "record: a name is longer than 253 characters with the domain");
			continue;
		}
		bool in_zone = dns_name_under(r->name, d);
		bool in_reverse = dns_name_under(r->name, "in-addr.arpa");
		if (r->type == 12 ? !in_zone && !in_reverse : !in_zone)
			diag(st, "record: %s is outside the local domain %s%s", r->name, d,
			     r->type == 12 ? " and in-addr.arpa" : "");
		else if (r->type == 5 && strcmp(r->name, d) == 0)
			diag(st, "record: the domain %s itself cannot be a CNAME", d);
	}
	check_dns_cnames(st);
}
