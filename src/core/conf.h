/* Configuration: an INI file (inih) read into a validated struct conf.
 *
 * Every key lives in one table in conf.c (section, key, type, range,
 * default). conf_load() reports every problem as "file:line: text" through
 * the diagnostics list and fails if there was any; `netbay check`, `serve`
 * and a SIGHUP reload all run this same code. */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot.h"
#include "core/log.h"
#include "core/util.h"

#define CONF_MAX_LIST      8
#define CONF_RESERVED_MAX  32 /* [dns] reserved-names */
#define CONF_MAX_RANGES    16
#define CONF_MAX_ROUTES    16
#define CONF_NAME_MAX      64
#define CONF_DOMAIN_MAX    254
#define CONF_USER_MAX      33 /* [server] user: 32 characters, as useradd(8) allows */
#define CONF_PATH_MAX      256
#define CONF_CLIENT_ID_MAX 64
#define CONF_SOCKET_MAX    108 /* sun_path */
#define CONF_TOKEN_MAX     129

/* auto: full or proxy per interface, as a probe for other DHCP servers finds (dhcp/probe.h) */
#define CONF_PROBE_MISSES 3 /* auto: probes in a row without an answer before full mode again */
enum dhcp_mode { DHCP_MODE_FULL, DHCP_MODE_PROXY, DHCP_MODE_OFF, DHCP_MODE_AUTO };
enum conf_unknown { CONF_UNKNOWN_IGNORE, CONF_UNKNOWN_PENDING, CONF_UNKNOWN_APPROVE };
enum conf_pending_boot { CONF_PENDING_NONE, CONF_PENDING_WAIT };

struct conf_range {
	uint32_t start, end; /* inclusive, host order */
	int line;
};

struct conf_route {
	uint32_t dest, gw;
	uint8_t prefix;
};

struct conf_subnet {
	int line;
	uint32_t net;
	unsigned prefix;
	struct conf_range ranges[CONF_MAX_RANGES];
	size_t n_ranges;
	uint32_t routers[CONF_MAX_LIST];
	size_t n_routers;
	uint32_t dns[CONF_MAX_LIST];
	size_t n_dns;
	uint32_t ntp[CONF_MAX_LIST];
	size_t n_ntp;
	char domain[CONF_DOMAIN_MAX];
	char search[CONF_MAX_LIST][CONF_DOMAIN_MAX];
	size_t n_search;
	uint32_t mtu; /* 0: not sent */
	struct conf_route routes[CONF_MAX_ROUTES];
	size_t n_routes;
	uint32_t lease_sec, t1_sec, t2_sec; /* t1/t2 0: 50 % / 87.5 % of the lease */
};

/* A group of devices and its boot profile, [group NAME]: "" / 0 inherit. */
struct conf_group {
	int line;
	char name[CONF_NAME_MAX];
	struct boot_loaders loaders;
	char ipxe_template[CONF_PATH_MAX];
	uint32_t lease_sec;
	uint32_t dns[CONF_MAX_LIST];
	size_t n_dns;
	char domain[CONF_DOMAIN_MAX];
};

/* A static reservation, [host NAME]. */
struct conf_host {
	int line;
	char name[CONF_NAME_MAX];
	struct hwaddr mac;
	bool has_mac;
	uint8_t client_id[CONF_CLIENT_ID_MAX];
	size_t client_id_len;
	uint32_t addr;
};

/* ---- [dns] */

enum dns_mode { DNS_MODE_FULL, DNS_MODE_LOCAL, DNS_MODE_OFF };

#define CONF_DNS_TXT_MAX 256

struct conf_net {
	uint32_t net;
	unsigned prefix;
};

struct conf_hostport {
	uint32_t addr;
	uint16_t port;
};

/* [dns] record = NAME [TTL] TYPE DATA. Once the file is loaded, name and
 * target are fully qualified, lower case, without the trailing dot. */
struct conf_dns_record {
	int line;
	uint16_t type;    /* DNS type code: 1 A, 28 AAAA, 5 CNAME, 12 PTR, 15 MX, 16 TXT, 33 SRV */
	uint32_t ttl_sec; /* UINT32_MAX: [dns] local-ttl */
	char name[CONF_DOMAIN_MAX];
	char target[CONF_DOMAIN_MAX];    /* CNAME, PTR, MX, SRV */
	uint8_t addr[16];                /* A (4 bytes) and AAAA, network order */
	uint16_t priority, weight, port; /* MX preference is priority; SRV */
	uint8_t txt[CONF_DNS_TXT_MAX];   /* TXT: character-strings, each length-prefixed */
	size_t txt_len;
};

struct conf {
	char path[CONF_PATH_MAX];
	struct {
		char name[CONF_NAME_MAX];
		char data_dir[CONF_PATH_MAX];
		char interfaces[CONF_MAX_LIST][IF_NAMESIZE];
		size_t n_interfaces;      /* 0: every interface */
		int log_level;            /* enum log_level */
		char user[CONF_USER_MAX]; /* switched to after binding, when started as root */
		int user_line;            /* where user was set; 0: the default */
	} server;
	struct {
		int mode;                    /* enum dhcp_mode */
		uint32_t probe_interval_sec; /* auto: time between probes for other servers */
		uint32_t probe_wait_sec;     /* auto: how long a probe waits for answers */
		bool authoritative;
		uint32_t offer_hold_sec;
		uint32_t decline_hold_sec;
		uint32_t decline_rate; /* DECLINEs a minute per interface or relay; 0: no limit */
		uint32_t
		        new_client_rate; /* new clients per second per interface or relay; 0: off */
		uint32_t new_client_burst;
		uint32_t new_client_share; /* % of a subnet's free addresses per 10 s; 0: off */
		struct conf_net relays[CONF_MAX_LIST]; /* trusted relays; none: routed ones */
		size_t n_relays;
		uint32_t new_device_limit;         /* new registry devices a minute */
		uint32_t max_pending_devices;      /* devices pending approval, at most */
		int unknown_devices;               /* enum conf_unknown */
		char default_group[CONF_NAME_MAX]; /* "" : none */
		int pending_boot;                  /* enum conf_pending_boot */
	} dhcp;
	struct {
		char root[CONF_PATH_MAX]; /* the boot root, served by TFTP and HTTP */
		bool enable;
		uint32_t listen; /* host order; 0: every address */
		uint32_t port;
		bool single_port;      /* every transfer from the listening port */
		bool case_insensitive; /* names matched case-insensitively when not found as spelled */
		uint32_t max_blksize;    /* RFC 2348 grant cap, 8-65464 */
		uint32_t max_windowsize; /* RFC 7440 grant cap */
		uint32_t timeout_sec;    /* first retransmission timeout; doubles per retry */
		uint32_t retries;        /* retransmissions before a transfer is given up */
		uint32_t max_transfers;  /* concurrent transfers */
		uint32_t max_transfers_per_client; /* concurrent transfers to one address */
		uint64_t memory_bytes;             /* file data and transfers in total */
		uint32_t first_retries; /* retransmissions before the client's first answer */
		uint32_t busy_poll_us;  /* loop busy polling during a storm; 0: off */
	} tftp;
	/* [boot]: loaders per firmware, relative to the boot root ("" = none) */
	struct boot_loaders boot;
	/* [http]: boot files and per-device iPXE scripts (and the API: health, and the
	 * rest with a token when [api] allow-plain-token) */
	struct {
		bool enable;
		uint32_t listen; /* 0: every address */
		uint32_t port;
		char ipxe_template[CONF_PATH_MAX]; /* "": built in; relative: under tftp.root */
		/* each TCP listener's (HTTP and [api] listen) connection bounds */
		uint32_t max_connections, connections_per_source, request_timeout_sec;
	} http;
	/* [api]: the REST API on a Unix socket and, optionally, its own TCP listener */
	struct {
		char socket[CONF_SOCKET_MAX]; /* "": no Unix socket */
		uint32_t listen_addr;
		uint32_t listen_port;       /* 0: no TCP listener of its own */
		int listen_line;            /* where listen was set, for cross-checks */
		char token[CONF_TOKEN_MAX]; /* "": the API is not served over TCP */
		bool tls;                   /* [api] listen speaks HTTPS (core/tls.h) */
		char tls_cert[CONF_PATH_MAX], tls_key[CONF_PATH_MAX]; /* "": DATA-DIR/tls/ */
		int tls_cert_line, tls_key_line;
		bool allow_plain_token; /* the token is accepted over plain HTTP too */
	} api;
	/* [dns]: the DNS server (src/dns, docs/dns.md) */
	struct {
		int mode;                     /* enum dns_mode */
		char domain[CONF_DOMAIN_MAX]; /* lower case, no trailing dot */
		uint32_t listen[CONF_MAX_LIST];
		size_t n_listen; /* 0: every address */
		uint32_t port;
		struct conf_hostport upstreams[CONF_MAX_LIST];
		size_t n_upstreams; /* 0: the nameservers of resolv_conf */
		char resolv_conf[CONF_PATH_MAX];
		struct conf_net allow[CONF_MAX_LIST]; /* served beyond the served LAN ... */
		size_t n_allow;
		bool allow_only; /* ... or instead of it ("allow = only NET, ...") */
		struct conf_dns_record *records;
		size_t n_records;
		uint32_t local_ttl_sec;
		uint64_t cache_bytes; /* 0: no cache */
		uint32_t cache_max_ttl_sec, negative_max_ttl_sec;
		uint32_t edns_payload;
		uint32_t rate_limit, rate_burst; /* queries per second per client; 0: off */
		uint32_t upstream_timeout_sec, upstream_retry_sec;
		uint32_t forward_max;
		uint32_t tcp_max_connections, tcp_per_client, tcp_idle_sec, tcp_request_sec;
		char reserved[CONF_RESERVED_MAX][CONF_NAME_MAX]; /* names no host may claim */
		size_t n_reserved;
	} dns;
	struct conf_subnet *subnets;
	size_t n_subnets;
	struct conf_host *hosts;
	size_t n_hosts;
	struct conf_group *groups;
	size_t n_groups;
};

/* One problem found while loading. */
struct conf_diag {
	char **msgs;
	size_t n;
};

void conf_diag_add(struct conf_diag *d, const char *file, int line, const char *fmt, ...)
        NB_PRINTF(4, 5);
void conf_diag_done(struct conf_diag *d);

/* Loads and validates path. On success returns 0 and *ret_conf (caller frees
 * with conf_free). On failure returns -EINVAL (problems in d) or -errno (the
 * file could not be read; also described in d). */
int conf_load(const char *path, struct conf_diag *d, struct conf **ret_conf);
/* The same, from a string (tests); name is used in messages. */
int conf_load_string(const char *text, const char *name, struct conf_diag *d,
                     struct conf **ret_conf);
void conf_free(struct conf *c);
void conf_freep(struct conf **c);

/* The group of that name, or NULL. */
const struct conf_group *conf_group_find(const struct conf *c, const char *name);
/* The subnet containing addr, or NULL. */
const struct conf_subnet *conf_subnet_find(const struct conf *c, uint32_t addr);
/* Lease timing with derived defaults applied. */
uint32_t conf_subnet_t1(const struct conf_subnet *s);
uint32_t conf_subnet_t2(const struct conf_subnet *s);

/* Prints every key with its type and default (docs generation, `netbay check --keys`),
 * and whether changing it needs a restart. */
void conf_print_keys(void);

/* A reload: for each key whose change a running server cannot apply (marked in the key
 * table) and whose value differs between running and next, calls fn(section, key,
 * data) and puts the running value back into next, so no module sees the change.
 * Returns how many keys were kept so. */
size_t conf_keep_restart_keys(const struct conf *running, struct conf *next,
                              void (*fn)(const char *section, const char *key, void *data),
                              void *data);
/* Whether key i of the table, if marked as needing a restart, can be kept by
 * conf_keep_restart_keys() (it has a field of its own in a singleton section). Tests. */
bool conf_key_restart_ok(size_t i);
