/* The custom value parsers of the config loader: the keys whose values are
 * more than a string, number, duration, address or enum, outside [dns]:
 * [server] interfaces and log-level, [dhcp] relays, [tftp] root, a [subnet]'s range, search
 * and route, a [host]'s mac and client-id, the [api] socket, listen address
 * and token, and a [group]'s boot file names. Each has the conf_custom_fn
 * signature and is reached only through the key table in conf.c. */
#include "core/conf.h"
#include "core/conf_internal.h"
#include "core/jail.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[] = {"error", "warning", "info", "debug", NULL};
static const int level_values[] = {LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG};

int conf_parse_interfaces(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	char *save = NULL;
	c->server.n_interfaces = 0;
	for (char *t = strtok_r(value, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (c->server.n_interfaces == CONF_MAX_LIST) {
			snprintf(err, errlen, "more than %d interfaces", CONF_MAX_LIST);
			return -E2BIG;
		}
		if (strlen(t) >= IF_NAMESIZE) {
			snprintf(err, errlen, "'%s' is too long for an interface name", t);
			return -EINVAL;
		}
		snprintf(c->server.interfaces[c->server.n_interfaces++], IF_NAMESIZE, "%s", t);
	}
	return 0;
}

/* [dhcp] relays: addresses (a /32) or NETWORK/PREFIX, comma-separated. */
int conf_parse_dhcp_relays(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	char *save = NULL;
	c->dhcp.n_relays = 0;
	for (char *t = strtok_r(value, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		struct conf_net *n = &c->dhcp.relays[c->dhcp.n_relays];
		if (c->dhcp.n_relays == CONF_MAX_LIST)
			return nb_errf(err, errlen, -E2BIG, "more than %d relays", CONF_MAX_LIST);
		n->prefix = 32;
		if ((strchr(t, '/') ? ip4_cidr_parse(t, &n->net, &n->prefix)
		                    : ip4_parse(t, &n->net)) < 0)
			return nb_errf(err, errlen, -EINVAL,
			               "relay '%s' is neither an address nor NETWORK/PREFIX", t);
		c->dhcp.n_relays++;
	}
	return 0;
}

int conf_parse_log_level(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	for (size_t i = 0; level_names[i]; i++)
		if (strcmp(value, level_names[i]) == 0) {
			c->server.log_level = level_values[i];
			return 0;
		}
	snprintf(err, errlen, "'%s' is not one of: error warning info debug", value);
	return -EINVAL;
}

/* [server] user: a name as useradd(8) takes it (letters, digits, '_', '-',
 * '.', not starting with '-' or '.', not only digits); whether it exists is
 * asked at start, on the machine that runs it (daemon/privs.c). The key
 * has a field of its own (a reload keeps it), so obj is that field; the
 * line goes beside it, for the start's message. */
int conf_parse_user(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = (struct conf *) ((char *) obj - offsetof(struct conf, server.user));
	size_t n = strlen(value);
	bool digits = n > 0;
	for (size_t i = 0; i < n; i++) {
		char ch = value[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
		          (i > 0 && (ch == '-' || ch == '.' || (ch >= '0' && ch <= '9'))) ||
		          (i == 0 && ch >= '0' && ch <= '9');
		digits = digits && ch >= '0' && ch <= '9';
		if (!ok) {
			snprintf(err, errlen,
			         "'%s' is not a user name (letters, digits, '_', '-', '.')", value);
			return -EINVAL;
		}
	}
	if (n == 0 || digits || n >= sizeof c->server.user) {
		snprintf(err, errlen, "'%s' is not a user name (1-%zu characters, not only digits)",
		         value, sizeof c->server.user - 1);
		return -EINVAL;
	}
	memcpy(c->server.user, value, n + 1);
	c->server.user_line = line;
	return 0;
}

int conf_parse_tftp_root(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	if (value[0] != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", value);
		return -EINVAL;
	}
	if (nb_strlcpy(c->tftp.root, value, sizeof c->tftp.root) < 0) {
		snprintf(err, errlen, "too long (at most %zu characters)", sizeof c->tftp.root - 1);
		return -EINVAL;
	}
	return 0;
}

int conf_parse_range(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf_subnet *s = obj;
	char *dash = strchr(value, '-');
	uint32_t a, b;
	if (!dash) {
		snprintf(err, errlen, "'%s' is not FIRST-LAST", value);
		return -EINVAL;
	}
	*dash = 0;
	if (ip4_parse(nb_strstrip(value), &a) < 0 || ip4_parse(nb_strstrip(dash + 1), &b) < 0) {
		snprintf(err, errlen, "not FIRST-LAST with two IPv4 addresses");
		return -EINVAL;
	}
	if (a > b) {
		snprintf(err, errlen, "the first address is above the last");
		return -EINVAL;
	}
	if (s->n_ranges == CONF_MAX_RANGES) {
		snprintf(err, errlen, "more than %d ranges in one subnet", CONF_MAX_RANGES);
		return -E2BIG;
	}
	s->ranges[s->n_ranges++] = (struct conf_range){.start = a, .end = b, .line = line};
	return 0;
}

int conf_parse_search(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf_subnet *s = obj;
	char *save = NULL;
	s->n_search = 0;
	for (char *t = strtok_r(value, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (s->n_search == CONF_MAX_LIST) {
			snprintf(err, errlen, "more than %d domains", CONF_MAX_LIST);
			return -E2BIG;
		}
		if (!nb_hostname_valid(t) || strlen(t) >= CONF_DOMAIN_MAX) {
			snprintf(err, errlen, "'%s' is not a valid domain", t);
			return -EINVAL;
		}
		snprintf(s->search[s->n_search++], CONF_DOMAIN_MAX, "%s", t);
	}
	return 0;
}

int conf_parse_route(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf_subnet *s = obj;
	char dest[40], via[8], gw[40];
	uint32_t net, g;
	unsigned prefix;
	if (sscanf(value, "%39s %7s %39s", dest, via, gw) != 3 || strcmp(via, "via") != 0 ||
	    ip4_cidr_parse(dest, &net, &prefix) < 0 || ip4_parse(gw, &g) < 0) {
		snprintf(err, errlen, "'%s' is not DEST/PREFIX via GATEWAY (host bits clear)",
		         value);
		return -EINVAL;
	}
	if (s->n_routes == CONF_MAX_ROUTES) {
		snprintf(err, errlen, "more than %d routes", CONF_MAX_ROUTES);
		return -E2BIG;
	}
	s->routes[s->n_routes++] =
	        (struct conf_route){.dest = net, .gw = g, .prefix = (uint8_t) prefix};
	return 0;
}

int conf_parse_mac(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf_host *h = obj;
	if (hwaddr_parse(value, &h->mac) < 0) {
		snprintf(err, errlen, "'%s' is not a MAC address", value);
		return -EINVAL;
	}
	h->has_mac = true;
	return 0;
}

int conf_parse_client_id(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf_host *h = obj;
	size_t n = 0, len = strlen(value);
	bool hex = len >= 2 && len % 3 == 2;
	for (size_t i = 0; hex && i < len; i++) {
		char ch = value[i];
		bool want_sep = i % 3 == 2;
		if (want_sep ? ch != ':'
		             : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		                 (ch >= 'A' && ch <= 'F')))
			hex = false;
	}
	if (hex) {
		for (size_t i = 0; i < len; i += 3) {
			if (n == CONF_CLIENT_ID_MAX)
				goto toolong;
			h->client_id[n++] =
			        (uint8_t) strtoul((char[3]){value[i], value[i + 1], 0}, NULL, 16);
		}
	} else {
		if (len > CONF_CLIENT_ID_MAX)
			goto toolong;
		memcpy(h->client_id, value, len);
		n = len;
	}
	if (n < 2) {
		snprintf(err, errlen, "a client identifier has at least 2 bytes (RFC 2132 9.14)");
		return -EINVAL;
	}
	h->client_id_len = n;
	return 0;
toolong:
	snprintf(err, errlen, "longer than %d bytes", CONF_CLIENT_ID_MAX);
	return -EINVAL;
}

/* ---- [api] */

int conf_parse_api_socket(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	if (*value && *value != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", value);
		return -EINVAL;
	}
	if (strlen(value) >= sizeof c->api.socket) {
		snprintf(err, errlen, "longer than a Unix socket path may be (%zu characters)",
		         sizeof c->api.socket - 1);
		return -EINVAL;
	}
	memcpy(c->api.socket, value, strlen(value) + 1);
	return 0;
}

int conf_parse_api_listen(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	char *colon = strrchr(value, ':');
	uint64_t port;
	uint32_t addr;

	c->api.listen_line = line;
	if (!*value) {
		c->api.listen_port = 0;
		return 0;
	}
	if (!colon) {
		snprintf(err, errlen, "'%s' is not ADDRESS:PORT", value);
		return -EINVAL;
	}
	*colon = 0;
	if (ip4_parse(value, &addr) < 0 || nb_parse_uint(colon + 1, 1, 65535, &port) < 0) {
		*colon = ':';
		snprintf(err, errlen, "'%s' is not ADDRESS:PORT (an IPv4 address, a port 1-65535)",
		         value);
		return -EINVAL;
	}
	c->api.listen_addr = addr;
	c->api.listen_port = (uint32_t) port;
	return 0;
}

int conf_parse_api_token(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	size_t n = strlen(value);
	if (n < 16 || n >= sizeof c->api.token) {
		snprintf(err, errlen, "must be 16 to %zu characters long (got %zu)",
		         sizeof c->api.token - 1, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (value[i] <= 0x20 || value[i] >= 0x7f) {
			snprintf(err, errlen, "only visible ASCII characters, no spaces");
			return -EINVAL;
		}
	memcpy(c->api.token, value, n + 1);
	return 0;
}

static int tls_path(char *field, size_t size, const char *value, char *err, size_t errlen)
{
	if (*value && *value != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path", value);
		return -EINVAL;
	}
	if (nb_strlcpy(field, value, size) < 0) {
		snprintf(err, errlen, "too long (at most %zu characters)", size - 1);
		return -EINVAL;
	}
	return 0;
}

/* The files themselves are read and checked with the whole file
 * (conf_check.c), once both keys are known. */
int conf_parse_api_tls_cert(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	c->api.tls_cert_line = line;
	return tls_path(c->api.tls_cert, sizeof c->api.tls_cert, value, err, errlen);
}

int conf_parse_api_tls_key(void *obj, char *value, int line, char *err, size_t errlen)
{
	struct conf *c = obj;
	c->api.tls_key_line = line;
	return tls_path(c->api.tls_key, sizeof c->api.tls_key, value, err, errlen);
}

/* A loader file name: a path inside the boot root (the mapping TFTP and HTTP
 * apply to client requests, so ".." or control bytes are refused here). */
int conf_parse_boot_file(void *field, char *value, int line, char *err, size_t errlen)
{
	char rel[JAIL_PATH_MAX + 1];
	if (*value && jail_map(value, rel, sizeof rel) < 0) {
		snprintf(err, errlen, "'%s' is not a file name inside the boot root", value);
		return -EINVAL;
	}
	if (nb_strlcpy(field, value, CONF_PATH_MAX) < 0) {
		snprintf(err, errlen, "too long (at most %d characters)", CONF_PATH_MAX - 1);
		return -EINVAL;
	}
	return 0;
}
