/* Shared between the config loader's files (conf.c: the key table, the
 * reader and the sections; conf_values.c and conf_dns.c: the custom value
 * parsers; conf_check.c: the checks over the whole file). Not a contract for
 * anything outside src/core/conf*.c; conf.h is the public interface. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/conf.h"

/* Room for the key table's "seen" lines; conf.c asserts the table fits. */
#define CONF_KEYS_MAX 128

/* ---- loading state */

struct conf_state {
	struct conf *c;
	struct conf_diag *d;
	const char *file;
	int line;
	const char *section; /* current section kind, NULL while skipping */
	bool had_header;
	void *obj;               /* object keys write into */
	int seen[CONF_KEYS_MAX]; /* line where each key was last set in the current object */
	/* the text source */
	FILE *f;
	const char *text;
	bool failed;
};

/* Reports a problem at the current file and line (st->line; 0 for the
 * file as a whole) and marks the load as failed. */
static inline void diag(struct conf_state *st, const char *fmt, ...) NB_PRINTF(2, 3);
static inline void diag(struct conf_state *st, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	conf_diag_add(st->d, st->file, st->line, "%s", msg);
	st->failed = true;
}

/* ---- custom value parsers, named in the key table (conf_custom_fn)
 *
 * Each parses value (which it may modify) into obj, the section's object
 * (struct conf, conf_subnet or conf_host), or for conf_parse_boot_file the
 * one field it fills. Returns 0, or a negative errno with the reason in err;
 * line is the value's line, kept by those that report later. */

/* conf_values.c */
int conf_parse_interfaces(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_log_level(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_user(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_tftp_root(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_range(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_search(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_route(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_mac(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_client_id(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_api_socket(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_api_listen(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_api_token(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_api_tls_cert(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_api_tls_key(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_boot_file(void *field, char *value, int line, char *err, size_t errlen);

/* conf_dns.c */
int conf_parse_dns_upstream(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_dhcp_relays(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_dns_allow(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_dns_reserved(void *obj, char *value, int line, char *err, size_t errlen);
int conf_parse_dns_record(void *obj, char *value, int line, char *err, size_t errlen);

/* ---- checks over the whole file, once every line is read; each problem
 * goes through diag() at the line it concerns */

/* conf_dns.c: resolves the [dns] domain and record names in place (lower
 * case, absolute) and checks the records against the domain. */
void conf_check_dns(struct conf_state *st);

/* conf_check.c: every whole-file check, conf_check_dns() among them. */
void conf_check_all(struct conf_state *st);
