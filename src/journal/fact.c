/* Facts: their kinds' names, the one formatter of detail lines, and the
 * fields as JSON (the store's column and the API's events). */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/boot.h"
#include "journal/journal.h"

/* The numbers a kind carries (strings: when not empty). */
enum {
	N_ARCH = 1u << 0, /* arch, ipxe, http */
	N_SERVER = 1u << 1,
	N_RELAY = 1u << 2,
	N_SUBNET = 1u << 3, /* subnet, prefix */
	N_STATUS = 1u << 4,
	N_BYTES = 1u << 5,
	N_RANGE = 1u << 6, /* range_start, range_end */
	N_SIZE = 1u << 7,
	N_BLOCK = 1u << 8,
	N_RETRIES = 1u << 9,
	N_TIMEOUTS = 1u << 10,
	N_BLKSIZE = 1u << 11,
	N_WINDOWSIZE = 1u << 12,
	N_MS = 1u << 13,
	N_SECONDS = 1u << 14,
	N_PORT = 1u << 15,
	N_TRANSFERS = 1u << 16,
	N_ID = 1u << 17,
	N_TSIZE = 1u << 18,
	N_TIMEOUT = 1u << 19,
	N_OTHER_MAC = 1u << 20,
};

static const struct {
	const char *name;
	unsigned numbers;
} kinds[JOURNAL_KINDS] = {
        [JOURNAL_OTHER] = {"", 0},
        [JOURNAL_DHCP_DISCOVER] = {"dhcp.discover", N_RELAY},
        [JOURNAL_DHCP_OFFER] = {"dhcp.offer", 0},
        [JOURNAL_DHCP_REQUEST] = {"dhcp.request", 0},
        [JOURNAL_DHCP_ACK] = {"dhcp.ack", N_SECONDS},
        [JOURNAL_DHCP_NAK] = {"dhcp.nak", 0},
        [JOURNAL_DHCP_OTHER_SERVER] = {"dhcp.other_server", N_SERVER},
        [JOURNAL_DHCP_DECLINE] = {"dhcp.decline", N_SECONDS},
        [JOURNAL_DHCP_DECLINE_REFUSED] = {"dhcp.decline_refused", 0},
        [JOURNAL_DHCP_RELEASE] = {"dhcp.release", 0},
        [JOURNAL_DHCP_RELEASE_REFUSED] = {"dhcp.release_refused", 0},
        [JOURNAL_DHCP_INFORM] = {"dhcp.inform", 0},
        [JOURNAL_DHCP_NAME_REFUSED] = {"dhcp.name_refused", 0},
        [JOURNAL_DHCP_NO_ADDRESS] = {"dhcp.no_address", N_SUBNET},
        [JOURNAL_DHCP_PROXY_REQUEST] = {"dhcp.proxy_request", N_PORT},
        [JOURNAL_DHCP_FOREIGN_SERVER] = {"dhcp.foreign_server", N_SERVER},
        [JOURNAL_PXE_BOOT] = {"pxe.boot", N_ARCH},
        [JOURNAL_PXE_NO_BOOT] = {"pxe.no_boot", N_ARCH},
        [JOURNAL_REGISTRY_NEW] = {"registry.new", N_ID},
        [JOURNAL_REGISTRY_STATE] = {"registry.state", 0},
        [JOURNAL_REGISTRY_UUID_CONFLICT] = {"registry.uuid_conflict", 0},
        [JOURNAL_TFTP_REQUEST] = {"tftp.request", 0},
        [JOURNAL_TFTP_FILE_MISSING] = {"tftp.file_missing", 0},
        [JOURNAL_TFTP_REFUSED] = {"tftp.refused", 0},
        [JOURNAL_TFTP_BUSY] = {"tftp.busy", N_TRANSFERS},
        [JOURNAL_TFTP_ERROR] = {"tftp.error", 0},
        [JOURNAL_TFTP_TIMEOUT] = {"tftp.timeout", N_BLOCK | N_BYTES | N_RETRIES | N_BLKSIZE},
        [JOURNAL_TFTP_COMPLETE] = {"tftp.complete",
                                   N_BYTES | N_MS | N_BLKSIZE | N_WINDOWSIZE | N_TIMEOUTS},
        [JOURNAL_HTTP_FETCH] = {"http.fetch", N_STATUS | N_RANGE | N_SIZE},
        [JOURNAL_HTTP_FILE_MISSING] = {"http.file_missing", 0},
        [JOURNAL_HTTP_FILE_UNREADABLE] = {"http.file_unreadable", 0},
        [JOURNAL_HTTP_REFUSED] = {"http.refused", 0},
        [JOURNAL_HTTP_ERROR] = {"http.error", 0},
        [JOURNAL_HTTP_IPXE_SCRIPT] = {"http.ipxe_script", 0},
        [JOURNAL_HTTP_IPXE_WAIT] = {"http.ipxe_wait", 0},
};

const char *journal_kind_name(enum journal_kind k)
{
	return (size_t) k < JOURNAL_KINDS ? kinds[k].name : "";
}

enum journal_kind journal_kind_parse(const char *name)
{
	for (size_t k = 1; name && k < JOURNAL_KINDS; k++)
		if (strcmp(kinds[k].name, name) == 0)
			return (enum journal_kind) k;
	return JOURNAL_OTHER;
}

static const char *const causes[JOURNAL_CAUSES] = {
        [JOURNAL_CAUSE_NONE] = "",
        [JOURNAL_CAUSE_PENDING] = "pending",
        [JOURNAL_CAUSE_REJECTED] = "rejected",
        [JOURNAL_CAUSE_IGNORED] = "ignored",
        [JOURNAL_CAUSE_NO_LOADER] = "no_loader",
        [JOURNAL_CAUSE_HTTP_OFF] = "http_off",
        [JOURNAL_CAUSE_GUARD] = "guard",
        [JOURNAL_CAUSE_ADMIN] = "admin",
};

const char *journal_cause_name(enum journal_cause c)
{
	return (size_t) c < JOURNAL_CAUSES ? causes[c] : "";
}

/* The optional numbers a fact says it has. */
static unsigned numbers_of(const struct journal_fields *f)
{
	unsigned n = (size_t) f->kind < JOURNAL_KINDS ? kinds[f->kind].numbers : 0;
	if (f->has & JOURNAL_HAS_BLKSIZE)
		n |= N_BLKSIZE;
	if (f->has & JOURNAL_HAS_TSIZE)
		n |= N_TSIZE;
	if (f->has & JOURNAL_HAS_TIMEOUT)
		n |= N_TIMEOUT;
	if (f->has & JOURNAL_HAS_WINDOWSIZE)
		n |= N_WINDOWSIZE;
	if (f->has & JOURNAL_HAS_OTHER_MAC)
		n |= N_OTHER_MAC;
	if (f->has & JOURNAL_HAS_ID)
		n |= N_ID;
	return n;
}

/* ---- the fields: one table for copying and JSON */

enum ftype { T_STR, T_UINT, T_U64, T_I64, T_IP, T_BOOL, T_INT, T_MAC };

#define FS(k, m)                                                                                   \
	{                                                                                          \
		k, T_STR, offsetof(struct journal_fields, m), offsetof(struct journal_fact, m),    \
		        sizeof(((struct journal_fields *) 0)->m), 0                                \
	}
#define FN(k, t, m, n)                                                                             \
	{                                                                                          \
		k, t, offsetof(struct journal_fields, m), offsetof(struct journal_fact, m), 0, n   \
	}

static const struct field {
	const char *key;
	enum ftype type;
	size_t off, fact_off, size;
	unsigned number; /* N_*: when it is one of the kind's; 0 for strings */
} fields[] = {
        FN("arch", T_INT, arch, N_ARCH),
        FN("ipxe", T_BOOL, ipxe, N_ARCH),
        FN("http", T_BOOL, http, N_ARCH),
        FS("file", file),
        FS("reason", reason),
        FS("host", host),
        FS("uuid", uuid),
        FS("interface", iface),
        FS("method", method),
        FS("state", state),
        FS("was", was),
        FN("server", T_IP, server, N_SERVER),
        FN("relay", T_IP, relay, N_RELAY),
        FN("subnet", T_IP, subnet, N_SUBNET),
        FN("prefix", T_UINT, prefix, N_SUBNET),
        FN("other_mac", T_MAC, other_mac, N_OTHER_MAC),
        FN("device_id", T_U64, id, N_ID),
        FN("status", T_UINT, status, N_STATUS),
        FN("bytes", T_U64, bytes, N_BYTES),
        FN("range_start", T_U64, range_start, N_RANGE),
        FN("range_end", T_U64, range_end, N_RANGE),
        FN("size", T_U64, size, N_SIZE),
        FN("block", T_U64, block, N_BLOCK),
        FN("tsize", T_U64, tsize, N_TSIZE),
        FN("retries", T_UINT, retries, N_RETRIES),
        FN("timeouts", T_UINT, timeouts, N_TIMEOUTS),
        FN("blksize", T_UINT, blksize, N_BLKSIZE),
        FN("windowsize", T_UINT, windowsize, N_WINDOWSIZE),
        FN("timeout", T_UINT, timeout_sec, N_TIMEOUT),
        FN("seconds", T_UINT, seconds, N_SECONDS),
        FN("port", T_UINT, port, N_PORT),
        FN("transfers", T_UINT, transfers, N_TRANSFERS),
        FN("ms", T_I64, ms, N_MS),
};

void journal_fields_set(struct journal_fields *out, const struct journal_fact *f)
{
	memset(out, 0, sizeof *out);
	out->kind = f->kind;
	out->cause = f->cause;
	out->has = f->has;
	for (size_t i = 0; i < NB_ARRAY_SIZE(fields); i++) {
		const struct field *d = &fields[i];
		char *dst = (char *) out + d->off;
		const char *src = (const char *) f + d->fact_off;
		switch (d->type) {
		case T_STR: {
			const char *s = *(const char *const *) src;
			if (s)
				(void) nb_strlcpy(dst, s, d->size);
			break;
		}
		case T_UINT:
		case T_IP:
			memcpy(dst, src, sizeof(unsigned));
			break;
		case T_U64:
		case T_I64:
			memcpy(dst, src, sizeof(uint64_t));
			break;
		case T_BOOL:
			memcpy(dst, src, sizeof(bool));
			break;
		case T_INT:
			memcpy(dst, src, sizeof(int));
			break;
		case T_MAC:
			memcpy(dst, src, sizeof(struct hwaddr));
			break;
		}
	}
}

static size_t field_size(const struct field *d)
{
	switch (d->type) {
	case T_STR:
		return d->size;
	case T_U64:
	case T_I64:
		return sizeof(uint64_t);
	case T_BOOL:
		return sizeof(bool);
	case T_MAC:
		return sizeof(struct hwaddr);
	default: /* T_UINT, T_IP, T_INT */
		return sizeof(unsigned);
	}
}

/* Packed: kind, cause, has, then (field index, value) for each number of
 * the kind, then (field index, length, bytes) for each string that is set,
 * as far as they fit: the ring's form, a few dozen bytes an event. */
size_t journal_fields_pack(const struct journal_fields *f, uint8_t *out, size_t n)
{
	unsigned numbers = numbers_of(f);
	size_t k = 3;
	if (n < 3)
		return 0;
	out[0] = (uint8_t) f->kind;
	out[1] = (uint8_t) f->cause;
	out[2] = (uint8_t) f->has;
	for (int strings = 0; strings < 2; strings++)
		for (size_t i = 0; i < NB_ARRAY_SIZE(fields); i++) {
			const struct field *d = &fields[i];
			const char *p = (const char *) f + d->off;
			if ((d->type == T_STR) != strings ||
			    (d->type == T_STR ? !p[0] : !(numbers & d->number)))
				continue;
			size_t len = d->type == T_STR ? strlen(p) : field_size(d);
			size_t head = d->type == T_STR ? 2 : 1;
			if (k + head >= n)
				return k;
			if (len > n - k - head)
				len = n - k - head; /* a string cut to what is left */
			out[k++] = (uint8_t) i;
			if (d->type == T_STR)
				out[k++] = (uint8_t) len;
			memcpy(out + k, p, len);
			k += len;
		}
	return k;
}

void journal_fields_unpack(const uint8_t *in, size_t n, struct journal_fields *f)
{
	memset(f, 0, sizeof *f);
	f->arch = -1;
	if (n < 3)
		return;
	f->kind = in[0] < JOURNAL_KINDS ? (enum journal_kind) in[0] : JOURNAL_OTHER;
	f->cause = in[1] < JOURNAL_CAUSES ? (enum journal_cause) in[1] : JOURNAL_CAUSE_NONE;
	f->has = in[2];
	for (size_t k = 3; k < n;) {
		size_t i = in[k++];
		if (i >= NB_ARRAY_SIZE(fields))
			return;
		const struct field *d = &fields[i];
		size_t len = d->type == T_STR ? (k < n ? in[k++] : 0) : field_size(d);
		if (len > n - k || (d->type == T_STR && len >= d->size))
			return;
		memcpy((char *) f + d->off, in + k, len);
		k += len;
	}
}

static json_t *field_json(const struct field *d, const char *p)
{
	char b[HWADDR_STRLEN];
	switch (d->type) {
	case T_STR:
		return json_string(p); /* NULL for bytes that are not UTF-8: left out */
	case T_UINT:
		return json_integer(*(const unsigned *) p);
	case T_U64:
		return json_integer((json_int_t) * (const uint64_t *) p);
	case T_I64:
		return json_integer(*(const int64_t *) p);
	case T_INT:
		return json_integer(*(const int *) p);
	case T_BOOL:
		return json_boolean(*(const bool *) p);
	case T_IP:
		return json_string(ip4_fmt(*(const uint32_t *) p, b));
	case T_MAC:
		return json_string(hwaddr_fmt((const struct hwaddr *) p, b));
	}
	return NULL;
}

int journal_fields_json(const struct journal_fields *f, json_t *obj)
{
	unsigned numbers = numbers_of(f);
	if (f->cause &&
	    json_object_set_new(obj, "cause", json_string(journal_cause_name(f->cause))))
		return -ENOMEM;
	for (size_t i = 0; i < NB_ARRAY_SIZE(fields); i++) {
		const struct field *d = &fields[i];
		const char *p = (const char *) f + d->off;
		if (d->type == T_STR ? !p[0] : !(numbers & d->number))
			continue;
		json_t *v = field_json(d, p);
		if (v && json_object_set_new(obj, d->key, v) < 0)
			return -ENOMEM;
	}
	return 0;
}

void journal_fields_from_json(json_t *obj, struct journal_fields *f)
{
	enum journal_kind kind = f->kind;
	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->arch = -1;
	const char *cause = json_string_value(json_object_get(obj, "cause"));
	for (size_t c = 1; cause && c < JOURNAL_CAUSES; c++)
		if (strcmp(causes[c], cause) == 0)
			f->cause = (enum journal_cause) c;
	for (size_t i = 0; i < NB_ARRAY_SIZE(fields); i++) {
		const struct field *d = &fields[i];
		json_t *v = json_object_get(obj, d->key);
		char *p = (char *) f + d->off;
		json_int_t n = json_integer_value(v);
		const char *s = json_string_value(v);
		if (!v)
			continue;
		switch (d->type) {
		case T_STR:
			(void) nb_strlcpy(p, s ? s : "", d->size);
			break;
		case T_UINT:
			*(unsigned *) p = (unsigned) n;
			break;
		case T_U64:
			*(uint64_t *) p = (uint64_t) n;
			break;
		case T_I64:
			*(int64_t *) p = n;
			break;
		case T_INT:
			*(int *) p = (int) n;
			break;
		case T_BOOL:
			*(bool *) p = json_is_true(v);
			break;
		case T_IP:
			(void) ip4_parse(s ? s : "", (uint32_t *) p);
			break;
		case T_MAC:
			(void) hwaddr_parse(s ? s : "", (struct hwaddr *) p);
			break;
		}
		/* an optional number read back is one the fact has */
		if (d->number == N_BLKSIZE && !(kinds[kind].numbers & N_BLKSIZE))
			f->has |= JOURNAL_HAS_BLKSIZE;
		else if (d->number == N_WINDOWSIZE && !(kinds[kind].numbers & N_WINDOWSIZE))
			f->has |= JOURNAL_HAS_WINDOWSIZE;
		else if (d->number == N_TSIZE)
			f->has |= JOURNAL_HAS_TSIZE;
		else if (d->number == N_TIMEOUT)
			f->has |= JOURNAL_HAS_TIMEOUT;
		else if (d->number == N_OTHER_MAC)
			f->has |= JOURNAL_HAS_OTHER_MAC;
		else if (d->number == N_ID && !(kinds[kind].numbers & N_ID))
			f->has |= JOURNAL_HAS_ID;
	}
}

/* ---- the one formatter */

struct out {
	char *p;
	size_t n, len;
};

static void put(struct out *o, const char *fmt, ...) NB_PRINTF(2, 3);
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->len >= o->n)
		return;
	va_start(ap, fmt);
	int r = vsnprintf(o->p + o->len, o->n - o->len, fmt, ap);
	va_end(ap);
	if (r > 0)
		o->len = NB_MIN(o->len + (size_t) r, o->n);
}

/* A file name with quotes and bytes outside printable ASCII as \xNN. */
static void put_file(struct out *o, const char *s)
{
	for (; *s && o->len + 1 < o->n; s++) {
		unsigned char c = (unsigned char) *s;
		if (c >= 0x20 && c < 0x7f && c != '"')
			o->p[o->len++] = (char) c;
		else
			put(o, "\\x%02x", c);
	}
	if (o->len < o->n)
		o->p[o->len] = 0;
}

static void fmt_dhcp(struct out *o, const struct journal_fields *f, const char *a)
{
	char b[IP4_STRLEN];
	switch (f->kind) {
	case JOURNAL_DHCP_DISCOVER:
		put(o, "via %s%s", f->relay ? ip4_fmt(f->relay, b) : f->iface,
		    f->cause == JOURNAL_CAUSE_GUARD ? ", refused by the starvation guard" : "");
		break;
	case JOURNAL_DHCP_OFFER:
		put(o, "%s", a);
		break;
	case JOURNAL_DHCP_REQUEST:
		put(o, "%s %s", f->state, a);
		break;
	case JOURNAL_DHCP_ACK:
		put(o, "%s for %us%s%s", a, f->seconds, f->host[0] ? " as " : "", f->host);
		break;
	case JOURNAL_DHCP_NAK:
		put(o, "%s", f->reason);
		break;
	case JOURNAL_DHCP_OTHER_SERVER:
		put(o, "client chose the offer of %s", ip4_fmt(f->server, b));
		break;
	case JOURNAL_DHCP_DECLINE:
		put(o, "%s is in use by another host; quarantined for %us", a, f->seconds);
		break;
	case JOURNAL_DHCP_DECLINE_REFUSED:
	case JOURNAL_DHCP_RELEASE_REFUSED:
		put(o, "%s: %s", a, f->reason);
		break;
	case JOURNAL_DHCP_RELEASE:
		put(o, "%s%s", a, f->cause == JOURNAL_CAUSE_ADMIN ? " by the admin" : "");
		break;
	case JOURNAL_DHCP_INFORM:
		put(o, "configuration request");
		break;
	case JOURNAL_DHCP_NAME_REFUSED:
		put(o, "'%s' is reserved ([dns] reserved-names); %s published without a name",
		    f->host, a);
		break;
	case JOURNAL_DHCP_NO_ADDRESS:
		put(o, "no free address in %s/%u", ip4_fmt(f->subnet, b), f->prefix);
		break;
	case JOURNAL_DHCP_PROXY_REQUEST:
		put(o, "%s on port %u", f->method, f->port);
		break;
	case JOURNAL_DHCP_FOREIGN_SERVER:
		put(o, "server=%s interface=%s", ip4_fmt(f->server, b), f->iface);
		break;
	default:
		break;
	}
}

static bool registry_cause(enum journal_cause c)
{
	return c == JOURNAL_CAUSE_PENDING || c == JOURNAL_CAUSE_REJECTED ||
	       c == JOURNAL_CAUSE_IGNORED;
}

static void fmt_boot(struct out *o, const struct journal_fields *f)
{
	char m[HWADDR_STRLEN];
	switch (f->kind) {
	case JOURNAL_PXE_BOOT:
		put(o, "%s%s: ", boot_arch_phrase(f->arch), f->ipxe ? ", iPXE" : "");
		put_file(o, f->file);
		put(o, " (%s)", f->reason);
		break;
	case JOURNAL_PXE_NO_BOOT:
		if (registry_cause(f->cause))
			put(o, "%s", f->reason); /* the registry's verdict */
		else
			put(o, "%s: %s", boot_arch_phrase(f->arch), f->reason);
		break;
	case JOURNAL_REGISTRY_NEW:
		put(o, "new device #%llu, %s", (unsigned long long) f->id, f->state);
		break;
	case JOURNAL_REGISTRY_STATE:
		put(o, "%s, was %s", f->state, f->was);
		break;
	case JOURNAL_REGISTRY_UUID_CONFLICT:
		if (f->has & JOURNAL_HAS_OTHER_MAC)
			put(o, "UUID %s also reported by %s; matched by MAC only", f->uuid,
			    hwaddr_fmt(&f->other_mac, m));
		else
			put(o, "UUID %s also registered for device #%llu; matched by MAC only",
			    f->uuid, (unsigned long long) f->id);
		break;
	default:
		break;
	}
}

static void fmt_tftp(struct out *o, const struct journal_fields *f)
{
	switch (f->kind) {
	case JOURNAL_TFTP_REQUEST:
		put(o, "%s file=\"", f->method);
		put_file(o, f->file);
		put(o, "\" mode=%s", f->state);
		if (f->has & JOURNAL_HAS_BLKSIZE)
			put(o, " blksize=%u", f->blksize);
		if (f->has & JOURNAL_HAS_TSIZE)
			put(o, " tsize=%llu", (unsigned long long) f->tsize);
		if (f->has & JOURNAL_HAS_TIMEOUT)
			put(o, " timeout=%u", f->timeout_sec);
		if (f->has & JOURNAL_HAS_WINDOWSIZE)
			put(o, " windowsize=%u", f->windowsize);
		break;
	case JOURNAL_TFTP_TIMEOUT:
		/* the numbers first: a long name is what the detail's size cuts */
		put(o, "last_acked_block=%llu bytes_acked=%llu retries=%u blksize=%u file=\"",
		    (unsigned long long) f->block, (unsigned long long) f->bytes, f->retries,
		    f->blksize);
		put_file(o, f->file);
		put(o, "\"");
		break;
	case JOURNAL_TFTP_COMPLETE:
		put(o, "file=\"");
		put_file(o, f->file);
		put(o, "\" bytes=%llu ms=%lld blksize=%u windowsize=%u timeouts=%u",
		    (unsigned long long) f->bytes, (long long) f->ms, f->blksize, f->windowsize,
		    f->timeouts);
		break;
	default: /* file_missing, refused, busy, error */
		put(o, "file=\"");
		put_file(o, f->file);
		put(o, "\"");
		if (f->kind == JOURNAL_TFTP_BUSY)
			put(o, " transfers=%u", f->transfers);
		put(o, " (%s)", f->reason);
	}
}

static void fmt_http(struct out *o, const struct journal_fields *f, const struct hwaddr *mac)
{
	char m[HWADDR_STRLEN];
	switch (f->kind) {
	case JOURNAL_HTTP_FETCH:
		put(o, "%s ", f->method);
		put_file(o, f->file);
		if (f->status == 416)
			put(o, ": 416 range outside %llu bytes", (unsigned long long) f->size);
		else
			put(o, ": %u, bytes %llu-%llu of %llu", f->status,
			    (unsigned long long) f->range_start, (unsigned long long) f->range_end,
			    (unsigned long long) f->size);
		break;
	case JOURNAL_HTTP_ERROR:
		put(o, "template %s", f->reason);
		break;
	case JOURNAL_HTTP_IPXE_SCRIPT:
	case JOURNAL_HTTP_IPXE_WAIT:
		put(o, "%s for %s (%s) from ", f->method,
		    f->host[0] ? f->host : "an unnamed device", hwaddr_fmt(mac, m));
		if (f->file[0])
			put_file(o, f->file);
		else
			put(o, "%s", f->reason);
		break;
	default: /* file_missing, file_unreadable, refused: [METHOD] [FILE]: REASON */
		put(o, "%s%s", f->method, f->method[0] && f->file[0] ? " " : "");
		put_file(o, f->file);
		put(o, ": %s", f->reason);
	}
}

void journal_format(const struct journal_fields *f, uint32_t ip, const struct hwaddr *mac,
                    char *out, size_t n)
{
	struct out o = {out, n, 0};
	char a[IP4_STRLEN];
	if (!n)
		return;
	out[0] = 0;
	ip4_fmt(ip, a);
	if (f->kind >= JOURNAL_DHCP_DISCOVER && f->kind <= JOURNAL_DHCP_FOREIGN_SERVER)
		fmt_dhcp(&o, f, a);
	else if (f->kind >= JOURNAL_PXE_BOOT && f->kind <= JOURNAL_REGISTRY_UUID_CONFLICT)
		fmt_boot(&o, f);
	else if (f->kind >= JOURNAL_TFTP_REQUEST && f->kind <= JOURNAL_TFTP_COMPLETE)
		fmt_tftp(&o, f);
	else if (f->kind >= JOURNAL_HTTP_FETCH && f->kind <= JOURNAL_HTTP_IPXE_WAIT)
		fmt_http(&o, f, mac);
}
