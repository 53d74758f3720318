/* The detail lines of netbay before schema 3, read once into fields by
 * the migration (store/legacy.h). Each format is the one its raise site
 * printed then; the keys are the journal's (docs/journal.md). */
#include "store/legacy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot.h"
#include "core/util.h"

static void set_str(json_t *o, const char *key, const char *s, size_t len)
{
	char *c = strndup(s, len);
	if (c && *c)
		json_object_set_new(o, key, json_string(c));
	free(c);
}

static void set_num(json_t *o, const char *key, unsigned long long v)
{
	json_object_set_new(o, key, json_integer((json_int_t) v));
}

static void set_ip(json_t *o, const char *key, const char *s, size_t len)
{
	char a[IP4_STRLEN];
	uint32_t ip;
	if (len < sizeof a && (memcpy(a, s, len), a[len] = 0, ip4_parse(a, &ip) == 0))
		json_object_set_new(o, key, json_string(a));
}

/* The last occurrence of needle in s, or NULL. */
static const char *last(const char *s, const char *needle)
{
	const char *r = NULL;
	for (const char *p = s; (p = strstr(p, needle)); p++)
		r = p;
	return r;
}

/* key="value" (to the next quote) or key=word, as tftp.* and
 * dhcp.foreign_server wrote them. */
static bool kv(const char *d, const char *key, const char **ret, size_t *ret_len)
{
	size_t klen = strlen(key);
	for (const char *p = d; (p = strstr(p, key)); p++) {
		if ((p != d && p[-1] != ' ') || p[klen] != '=')
			continue;
		const char *v = p + klen + 1;
		if (*v == '"') {
			const char *end = strchr(++v, '"');
			*ret_len = end ? (size_t) (end - v) : strlen(v);
		} else {
			*ret_len = strcspn(v, " ");
		}
		*ret = v;
		return true;
	}
	return false;
}

static void kv_str(json_t *o, const char *d, const char *key, const char *as)
{
	const char *v;
	size_t n;
	if (kv(d, key, &v, &n))
		set_str(o, as, v, n);
}

static void kv_num(json_t *o, const char *d, const char *key, const char *as)
{
	const char *v;
	size_t n;
	char b[24], *end;
	if (!kv(d, key, &v, &n) || n == 0 || n >= sizeof b)
		return;
	memcpy(b, v, n);
	b[n] = 0;
	unsigned long long x = strtoull(b, &end, 10);
	if (!*end)
		set_num(o, as, x);
}

/* A trailing " (why)". */
static void paren_reason(json_t *o, const char *d)
{
	const char *p = last(d, " (");
	size_t n = p ? strlen(p + 2) : 0;
	if (p && n && p[2 + n - 1] == ')')
		set_str(o, "reason", p + 2, n - 1);
}

static void tftp(json_t *o, const char *name, const char *d)
{
	kv_str(o, d, "file", "file");
	if (strcmp(name, "tftp.request") == 0) {
		set_str(o, "method", d, strcspn(d, " "));
		kv_str(o, d, "mode", "state");
		kv_num(o, d, "blksize", "blksize");
		kv_num(o, d, "tsize", "tsize");
		kv_num(o, d, "timeout", "timeout");
		kv_num(o, d, "windowsize", "windowsize");
	} else if (strcmp(name, "tftp.timeout") == 0) {
		kv_num(o, d, "last_acked_block", "block");
		kv_num(o, d, "bytes_acked", "bytes");
		kv_num(o, d, "retries", "retries");
		kv_num(o, d, "blksize", "blksize");
	} else if (strcmp(name, "tftp.complete") == 0) {
		kv_num(o, d, "bytes", "bytes");
		kv_num(o, d, "ms", "ms");
		kv_num(o, d, "blksize", "blksize");
		kv_num(o, d, "windowsize", "windowsize");
		kv_num(o, d, "timeouts", "timeouts");
	} else {
		kv_num(o, d, "transfers", "transfers");
		paren_reason(o, d);
	}
}

/* "METHOD PATH: ...", "METHOD: ...", "/boot/MAC.ipxe: ..." */
static const char *http_head(json_t *o, const char *d)
{
	const char *colon = last(d, ": ");
	if (!colon)
		return NULL;
	size_t word = strcspn(d, " :");
	if (d[0] != '/') {
		set_str(o, "method", d, word);
		d += word;
		if (*d == ' ')
			d++;
	}
	if (d < colon)
		set_str(o, "file", d, (size_t) (colon - d));
	return colon + 2;
}

static void cause_of(json_t *o, const char *d)
{
	/* the order the rules tested the words in */
	const char *c = strstr(d, "pending approval")       ? "pending"
	                : strstr(d, "rejected")             ? "rejected"
	                : strstr(d, "no loader configured") ? "no_loader"
	                : strstr(d, "HTTP is off")          ? "http_off"
	                : strstr(d, "ignored")              ? "ignored"
	                                                    : NULL;
	if (c)
		json_object_set_new(o, "cause", json_string(c));
}

static void http(json_t *o, const char *name, const char *d)
{
	if (strcmp(name, "http.fetch") == 0) {
		const char *rest = http_head(o, d);
		unsigned long long a, b, size;
		unsigned status;
		if (rest &&
		    sscanf(rest, "%u, bytes %llu-%llu of %llu", &status, &a, &b, &size) == 4) {
			set_num(o, "status", status);
			set_num(o, "range_start", a);
			set_num(o, "range_end", b);
			set_num(o, "size", size);
		} else if (rest && sscanf(rest, "416 range outside %llu", &size) == 1) {
			set_num(o, "status", 416);
			set_num(o, "size", size);
		}
	} else if (strcmp(name, "http.error") == 0) {
		if (strncmp(d, "template ", 9) == 0)
			set_str(o, "reason", d + 9, strlen(d + 9));
	} else if (strcmp(name, "http.ipxe_script") == 0 || strcmp(name, "http.ipxe_wait") == 0) {
		/* "GET for NAME (MAC) from SOURCE" */
		const char *for_ = strstr(d, " for "), *open = last(d, " ("),
		           *from = strstr(d, ") from ");
		set_str(o, "method", d, strcspn(d, " "));
		if (for_ && open && open > for_ && strncmp(for_ + 5, "an unnamed device", 17) != 0)
			set_str(o, "host", for_ + 5, (size_t) (open - for_ - 5));
		if (from)
			set_str(o, strncmp(from + 7, "the ", 4) == 0 ? "reason" : "file", from + 7,
			        strlen(from + 7));
	} else {
		const char *rest = http_head(o, d);
		if (rest)
			set_str(o, "reason", rest, strlen(rest));
		if (strcmp(name, "http.refused") == 0)
			cause_of(o, d);
	}
}

/* The architecture named at the start of a pxe.* line, and the rest. */
static const char *arch_prefix(json_t *o, const char *d, bool *ret_ipxe)
{
	static const int codes[] = {0, 6, 7, 10, 11, 15, 16, 18, 19};
	const char *colon = strstr(d, ": ");
	size_t n = colon ? (size_t) (colon - d) : 0;
	*ret_ipxe = n > 6 && memcmp(d + n - 6, ", iPXE", 6) == 0;
	if (*ret_ipxe)
		n -= 6;
	int arch = -1;
	for (size_t i = 0; colon && i < NB_ARRAY_SIZE(codes); i++) {
		const char *a = boot_arch_name(codes[i]);
		if (strlen(a) == n && memcmp(a, d, n) == 0)
			arch = codes[i];
	}
	json_object_set_new(o, "arch", json_integer(arch));
	json_object_set_new(o, "ipxe", json_boolean(*ret_ipxe));
	json_object_set_new(o, "http", json_boolean(boot_arch_http(arch)));
	return colon ? colon + 2 : NULL;
}

static void pxe(json_t *o, const char *name, const char *d)
{
	bool ipxe;
	const char *rest = arch_prefix(o, d, &ipxe);
	if (strcmp(name, "pxe.boot") == 0) {
		const char *paren = rest ? last(rest, " (") : NULL;
		if (rest)
			set_str(o, "file", rest, paren ? (size_t) (paren - rest) : strlen(rest));
		paren_reason(o, d);
		return;
	}
	cause_of(o, d);
	json_object_set_new(o, "http", json_boolean(strstr(d, "HTTP") != NULL));
	set_str(o, "reason", rest ? rest : d, strlen(rest ? rest : d));
}

static void registry(json_t *o, const char *name, const char *d)
{
	unsigned long long id;
	char w[24], was[24];
	if (strcmp(name, "registry.new") == 0 && sscanf(d, "new device #%llu, %23s", &id, w) == 2) {
		set_num(o, "device_id", id);
		set_str(o, "state", w, strlen(w));
	} else if (strcmp(name, "registry.state") == 0 &&
	           sscanf(d, "%23[^,], was %23s", w, was) == 2) {
		set_str(o, "state", w, strlen(w));
		set_str(o, "was", was, strlen(was));
	} else if (strcmp(name, "registry.uuid_conflict") == 0 && strncmp(d, "UUID ", 5) == 0) {
		const char *by;
		struct hwaddr m;
		char mac[32];
		set_str(o, "uuid", d + 5, strcspn(d + 5, " "));
		if ((by = strstr(d, "reported by ")) && sscanf(by + 12, "%31[^;, ]", mac) == 1 &&
		    hwaddr_parse(mac, &m) == 0)
			json_object_set_new(o, "other_mac", json_string(hwaddr_fmt(&m, mac)));
		else if ((by = strstr(d, "registered for device #")) &&
		         sscanf(by + 23, "%llu", &id) == 1)
			set_num(o, "device_id", id);
	}
}

static void dhcp(json_t *o, const char *name, const char *d)
{
	const char *p;
	unsigned n;
	char w[64];
	if (strcmp(name, "dhcp.discover") == 0 && strncmp(d, "via ", 4) == 0) {
		size_t len = strcspn(d + 4, ",");
		uint32_t ip;
		snprintf(w, sizeof w, "%.*s", (int) len, d + 4);
		if (ip4_parse(w, &ip) == 0)
			set_ip(o, "relay", w, strlen(w));
		else
			set_str(o, "interface", w, strlen(w));
		if (strstr(d, "refused by the starvation guard"))
			json_object_set_new(o, "cause", json_string("guard"));
	} else if (strcmp(name, "dhcp.request") == 0) {
		set_str(o, "state", d, strcspn(d, " "));
	} else if (strcmp(name, "dhcp.ack") == 0 && (p = strstr(d, " for "))) {
		if (sscanf(p, " for %us", &n) == 1)
			set_num(o, "seconds", n);
		if ((p = strstr(d, "s as ")))
			set_str(o, "host", p + 5, strlen(p + 5));
	} else if (strcmp(name, "dhcp.nak") == 0) {
		set_str(o, "reason", d, strlen(d));
	} else if (strcmp(name, "dhcp.other_server") == 0 && (p = strstr(d, "offer of "))) {
		set_ip(o, "server", p + 9, strlen(p + 9));
	} else if (strcmp(name, "dhcp.decline") == 0 && (p = strstr(d, "quarantined for "))) {
		if (sscanf(p + 16, "%u", &n) == 1)
			set_num(o, "seconds", n);
	} else if ((strcmp(name, "dhcp.decline_refused") == 0 ||
	            strcmp(name, "dhcp.release_refused") == 0) &&
	           (p = strstr(d, ": "))) {
		set_str(o, "reason", p + 2, strlen(p + 2));
	} else if (strcmp(name, "dhcp.release") == 0 && strstr(d, " by the admin")) {
		json_object_set_new(o, "cause", json_string("admin"));
	} else if (strcmp(name, "dhcp.name_refused") == 0 && d[0] == '\'' &&
	           (p = strchr(d + 1, '\''))) {
		set_str(o, "host", d + 1, (size_t) (p - d - 1));
	} else if (strcmp(name, "dhcp.no_address") == 0 &&
	           sscanf(d, "no free address in %63[^/]/%u", w, &n) == 2) {
		set_ip(o, "subnet", w, strlen(w));
		set_num(o, "prefix", n);
	} else if (strcmp(name, "dhcp.proxy_request") == 0 &&
	           sscanf(d, "%63s on port %u", w, &n) == 2) {
		set_str(o, "method", w, strlen(w));
		set_num(o, "port", n);
	} else if (strcmp(name, "dhcp.foreign_server") == 0) {
		const char *v;
		size_t len;
		if (kv(d, "server", &v, &len))
			set_ip(o, "server", v, len);
		kv_str(o, d, "interface", "interface");
	}
}

char *store_legacy_fact(const char *name, const char *detail)
{
	json_t *o = json_object();
	const char *d = detail ? detail : "";
	if (!o)
		return NULL;
	if (!name)
		name = "";
	if (strncmp(name, "tftp.", 5) == 0)
		tftp(o, name, d);
	else if (strncmp(name, "http.", 5) == 0)
		http(o, name, d);
	else if (strncmp(name, "pxe.", 4) == 0)
		pxe(o, name, d);
	else if (strncmp(name, "registry.", 9) == 0)
		registry(o, name, d);
	else if (strncmp(name, "dhcp.", 5) == 0)
		dhcp(o, name, d);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}
