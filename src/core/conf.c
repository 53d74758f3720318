/* The config loader: diagnostics, the key table, the reader that hands inih
 * one checked line at a time, the sections and their objects, setting a value
 * by its key's type, and the public calls. The custom value parsers live in
 * conf_values.c and conf_dns.c, the checks over the whole file in
 * conf_check.c; conf_internal.h is what they share. */
#include "core/conf.h"
#include "core/conf_internal.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- diagnostics */

void conf_diag_add(struct conf_diag *d, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n = line > 0 ? snprintf(msg, sizeof msg, "%s:%d: ", file, line)
	                 : snprintf(msg, sizeof msg, "%s: ", file);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof msg - (size_t) n, fmt, ap);
	va_end(ap);
	char **m = realloc(d->msgs, (d->n + 1) * sizeof *m);
	if (!m)
		return;
	d->msgs = m;
	d->msgs[d->n] = strdup(msg);
	if (d->msgs[d->n])
		d->n++;
}

void conf_diag_done(struct conf_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = 0;
}

/* ---- the key table */

enum conf_type {
	CT_STR,
	CT_HOSTNAME,
	CT_BOOL,
	CT_UINT,
	CT_DURATION,
	CT_IP4,
	CT_IP4_LIST,
	CT_ENUM,
	CT_SIZE, /* bytes, with an optional K, M or G suffix; a uint64_t field */
	CT_CUSTOM
};

typedef int (*conf_custom_fn)(void *obj, char *value, int line, char *err, size_t errlen);

struct conf_key {
	const char *section, *key;
	enum conf_type type;
	size_t off;       /* field in the section's object */
	size_t size;      /* CT_STR: buffer size; CT_IP4_LIST: capacity */
	size_t count_off; /* CT_IP4_LIST: size_t count field */
	uint64_t min, max;
	const char *const *enum_names;
	conf_custom_fn custom;
	const char *def;
	bool repeat; /* may appear more than once; each occurrence adds */
	const char *help;
	uint8_t restart; /* enum conf_restart: what a reload cannot apply */
};

/* Keys a running server cannot change: a reload keeps their running value (and says so).
 * Only keys of the singleton sections with a field of their own. */
enum conf_restart {
	CONF_LIVE = 0,    /* applied by a reload */
	CONF_RESTART,     /* any change needs a restart */
	CONF_RESTART_OFF, /* an enum: a change to or from "off" needs a restart */
};

static const char *const mode_names[] = {"full", "proxy", "off", "auto", NULL};
static const char *const unknown_names[] = {"ignore", "pending", "approve", NULL};
static const char *const pending_boot_names[] = {"none", "wait", NULL};

static const char *const dns_mode_names[] = {"full", "local", "off", NULL};

#define S(f) offsetof(struct conf, f)
#define N(f) offsetof(struct conf_subnet, f)
#define H(f) offsetof(struct conf_host, f)
#define G(f) offsetof(struct conf_group, f)
#define GFILE(k, field, h)                                                                         \
	{                                                                                          \
		.section = "group", .key = k, .type = CT_CUSTOM, .off = G(field),                  \
		.size = sizeof(((struct conf_group *) 0)->field), .custom = conf_parse_boot_file,  \
		.help = h                                                                          \
	}
#define STR(sec, k, field, d, h)                                                                   \
	{                                                                                          \
		.section = sec, .key = k, .type = CT_STR, .off = S(field),                         \
		.size = sizeof(((struct conf *) 0)->field), .def = d, .help = h                    \
	}

/* Every entry names its fields; those left out are 0, NULL or false (no
 * limits, no default, not repeatable, applied by a reload: CONF_LIVE). */
static const struct conf_key keys[] = {
        /* [server] */
        {.section = "server",
         .key = "name",
         .type = CT_HOSTNAME,
         .off = S(server.name),
         .size = CONF_NAME_MAX,
         .def = "netbay",
         .help = "the server's own host name, answered in DNS as NAME.<domain>"},
        {.section = "server",
         .key = "data-dir",
         .type = CT_STR,
         .off = S(server.data_dir),
         .size = sizeof(((struct conf *) 0)->server.data_dir),
         .def = "/var/lib/netbay",
         .help = "where the lease and device database lives",
         .restart = CONF_RESTART},
        {.section = "server",
         .key = "interfaces",
         .type = CT_CUSTOM,
         .custom = conf_parse_interfaces,
         .help = "comma-separated interfaces to serve; empty: all"},
        {.section = "server",
         .key = "log-level",
         .type = CT_CUSTOM,
         .custom = conf_parse_log_level,
         .def = "info",
         .help = "error | warning | info | debug"},
        {.section = "server",
         .key = "user",
         .type = CT_CUSTOM,
         .custom = conf_parse_user,
         .off = S(server.user),
         .size = sizeof(((struct conf *) 0)->server.user),
         .def = "netbay",
         .help = "started as root, netbay binds its sockets, then runs as this user with only "
                 "the capabilities it needs; root: stays root (not advised)",
         .restart = CONF_RESTART},

        /* [dhcp] */
        {.section = "dhcp",
         .key = "mode",
         .type = CT_ENUM,
         .off = S(dhcp.mode),
         .enum_names = mode_names,
         .def = "auto",
         .help = "auto (probe each interface: proxy where another DHCP server answers, else full) "
                 "| "
                 "full (addresses and boot) | proxy (PXE only, beside another DHCP server) | off",
         .restart = CONF_RESTART},
        {.section = "dhcp",
         .key = "probe-interval",
         .type = CT_DURATION,
         .off = S(dhcp.probe_interval_sec),
         .min = 10,
         .max = 86400,
         .def = "5m",
         .help = "mode = auto: how often each interface is probed for other DHCP servers"},
        {.section = "dhcp",
         .key = "probe-wait",
         .type = CT_DURATION,
         .off = S(dhcp.probe_wait_sec),
         .min = 1,
         .max = 5,
         .def = "2s",
         .help = "mode = auto: how long a probe listens for answers (DISCOVERs wait on the first)"},
        {.section = "dhcp",
         .key = "authoritative",
         .type = CT_BOOL,
         .off = S(dhcp.authoritative),
         .def = "yes",
         .help = "NAK requests for addresses this server does not know in its own subnets"},
        {.section = "dhcp",
         .key = "offer-hold",
         .type = CT_DURATION,
         .off = S(dhcp.offer_hold_sec),
         .min = 1,
         .max = 3600,
         .def = "30s",
         .help = "how long an offered address is held for the client that was offered it"},
        {.section = "dhcp",
         .key = "decline-hold",
         .type = CT_DURATION,
         .off = S(dhcp.decline_hold_sec),
         .min = 1,
         .max = 604800,
         .def = "1h",
         .help = "how long an address a client DECLINEd stays out of use"},
        {.section = "dhcp",
         .key = "decline-rate",
         .type = CT_UINT,
         .off = S(dhcp.decline_rate),
         .max = 10000,
         .def = "10",
         .help = "DECLINEs honoured per minute per interface or relay, 4x that in all (0: no "
                 "limit)"},
        {.section = "dhcp",
         .key = "new-client-rate",
         .type = CT_UINT,
         .off = S(dhcp.new_client_rate),
         .max = 1000000,
         .def = "50",
         .help = "new clients per second allowed per interface or relay (0: unlimited)"},
        {.section = "dhcp",
         .key = "new-client-burst",
         .type = CT_UINT,
         .off = S(dhcp.new_client_burst),
         .min = 1,
         .max = 1000000,
         .def = "200",
         .help = "how many new clients may arrive at once before the rate applies"},
        {.section = "dhcp",
         .key = "new-client-share",
         .type = CT_UINT,
         .off = S(dhcp.new_client_share),
         .max = 100,
         .def = "25",
         .help = "percent of a subnet's free addresses new clients via one interface or relay may "
                 "take in 10 s (0: no pool scaling)"},
        {.section = "dhcp",
         .key = "relays",
         .type = CT_CUSTOM,
         .custom = conf_parse_dhcp_relays,
         .help = "relay addresses or networks whose relayed requests are accepted; empty: relays "
                 "the server routes the client's network through"},
        {.section = "dhcp",
         .key = "new-device-limit",
         .type = CT_UINT,
         .off = S(dhcp.new_device_limit),
         .min = 1,
         .max = 1000000,
         .def = "100",
         .help = "new devices network-booting clients may add to the registry a minute"},
        {.section = "dhcp",
         .key = "max-pending-devices",
         .type = CT_UINT,
         .off = S(dhcp.max_pending_devices),
         .min = 1,
         .max = 1000000,
         .def = "1000",
         .help = "devices pending approval the registry holds at most"},

        /* [tftp] */
        {.section = "tftp",
         .key = "root",
         .type = CT_CUSTOM,
         .custom = conf_parse_tftp_root,
         .def = "/srv/netbay/boot",
         .help = "the boot root: files served over TFTP and HTTP (an absolute path)"},
        {.section = "tftp",
         .key = "enable",
         .type = CT_BOOL,
         .off = S(tftp.enable),
         .def = "yes",
         .help = "serve TFTP"},
        {.section = "tftp",
         .key = "listen",
         .type = CT_IP4,
         .off = S(tftp.listen),
         .def = "0.0.0.0",
         .help = "address to listen on; 0.0.0.0: every address"},
        {.section = "tftp",
         .key = "port",
         .type = CT_UINT,
         .off = S(tftp.port),
         .min = 1,
         .max = 65535,
         .def = "69",
         .help = "UDP port requests arrive on"},
        {.section = "tftp",
         .key = "single-port",
         .type = CT_BOOL,
         .off = S(tftp.single_port),
         .def = "no",
         .help = "serve every transfer from the listening port (clients behind NAT or strict "
                 "firewalls)"},
        {.section = "tftp",
         .key = "case-insensitive",
         .type = CT_BOOL,
         .off = S(tftp.case_insensitive),
         .def = "no",
         .help = "match names case-insensitively when they do not exist as spelled"},
        {.section = "tftp",
         .key = "max-blksize",
         .type = CT_UINT,
         .off = S(tftp.max_blksize),
         .min = 8,
         .max = 65464,
         .def = "65464",
         .help = "largest block size granted (RFC 2348)"},
        {.section = "tftp",
         .key = "max-windowsize",
         .type = CT_UINT,
         .off = S(tftp.max_windowsize),
         .min = 1,
         .max = 1024,
         .def = "64",
         .help = "largest window granted (RFC 7440)"},
        {.section = "tftp",
         .key = "timeout",
         .type = CT_DURATION,
         .off = S(tftp.timeout_sec),
         .min = 1,
         .max = 255,
         .def = "1s",
         .help = "first retransmission timeout unless the client asks for one; doubles per retry"},
        {.section = "tftp",
         .key = "retries",
         .type = CT_UINT,
         .off = S(tftp.retries),
         .max = 100,
         .def = "5",
         .help = "retransmissions without an answer before a transfer is given up"},
        {.section = "tftp",
         .key = "max-transfers",
         .type = CT_UINT,
         .off = S(tftp.max_transfers),
         .min = 1,
         .max = 65535,
         .def = "1000",
         .help = "concurrent transfers; requests beyond are answered 'server busy'"},
        {.section = "tftp",
         .key = "max-transfers-per-client",
         .type = CT_UINT,
         .off = S(tftp.max_transfers_per_client),
         .min = 1,
         .max = 65535,
         .def = "32",
         .help = "concurrent transfers to one client address; requests beyond are answered 'server "
                 "busy'"},
        {.section = "tftp",
         .key = "memory",
         .type = CT_SIZE,
         .off = S(tftp.memory_bytes),
         .min = 2ull << 20,
         .max = 16ull << 30,
         .def = "64M",
         .help = "memory for file data and transfers in total; the file cache every transfer "
                 "shares "
                 "gets what transfers do not hold"},
        {.section = "tftp",
         .key = "first-retries",
         .type = CT_UINT,
         .off = S(tftp.first_retries),
         .max = 100,
         .def = "2",
         .help = "retransmissions of a transfer's first packet before the client has answered once "
                 "(at most retries)"},
        {.section = "tftp",
         .key = "busy-poll-us",
         .type = CT_UINT,
         .off = S(tftp.busy_poll_us),
         .max = 1000,
         .def = "0",
         .help = "while 8 or more transfers run, poll up to this many microseconds before sleeping "
                 "(0: never)"},

        /* [http] */
        {.section = "http",
         .key = "enable",
         .type = CT_BOOL,
         .off = S(http.enable),
         .def = "yes",
         .help = "serve boot files and per-device iPXE scripts over HTTP"},
        {.section = "http",
         .key = "listen",
         .type = CT_IP4,
         .off = S(http.listen),
         .def = "0.0.0.0",
         .help = "address the HTTP listener binds (0.0.0.0: every address)"},
        {.section = "http",
         .key = "port",
         .type = CT_UINT,
         .off = S(http.port),
         .min = 1,
         .max = 65535,
         .def = "80",
         .help = "TCP port of the HTTP listener"},
        STR("http", "ipxe-template", http.ipxe_template, NULL,
            "template of /boot/MAC.ipxe scripts, relative to the boot root or absolute; empty: "
            "built in"),
        {.section = "http",
         .key = "max-connections",
         .type = CT_UINT,
         .off = S(http.max_connections),
         .min = 1,
         .max = 16384,
         .def = "512",
         .help = "open connections per TCP listener (HTTP and [api] listen); when full, the oldest "
                 "one without a complete request makes room"},
        {.section = "http",
         .key = "connections-per-source",
         .type = CT_UINT,
         .off = S(http.connections_per_source),
         .min = 1,
         .max = 16384,
         .def = "16",
         .help = "open connections per TCP listener from one client address; beyond, refused"},
        {.section = "http",
         .key = "request-timeout",
         .type = CT_DURATION,
         .off = S(http.request_timeout_sec),
         .min = 1,
         .max = 3600,
         .def = "10s",
         .help = "a request must be in whole (headers and body) this long after the connection (or "
                 "the previous reply); then the connection is closed"},

        /* [api] */
        {.section = "api",
         .key = "socket",
         .type = CT_CUSTOM,
         .custom = conf_parse_api_socket,
         .def = "/run/netbay/api.sock",
         .help = "Unix socket of the REST API (mode 0660; empty: none)"},
        {.section = "api",
         .key = "listen",
         .type = CT_CUSTOM,
         .custom = conf_parse_api_listen,
         .help = "ADDRESS:PORT of a TCP listener for the API alone (needs token); empty: none"},
        {.section = "api",
         .key = "token",
         .type = CT_CUSTOM,
         .custom = conf_parse_api_token,
         .help = "bearer token the API requires over TCP (16-128 visible characters)"},
        {.section = "api",
         .key = "tls",
         .type = CT_BOOL,
         .off = S(api.tls),
         .def = "yes",
         .help = "serve [api] listen over HTTPS (no: plain HTTP, which needs allow-plain-token)"},
        {.section = "api",
         .key = "tls-cert",
         .type = CT_CUSTOM,
         .custom = conf_parse_api_tls_cert,
         .help = "PEM certificate (a chain may follow) of the HTTPS listener, an absolute path; "
                 "empty: a self-signed one made in DATA-DIR/tls/"},
        {.section = "api",
         .key = "tls-key",
         .type = CT_CUSTOM,
         .custom = conf_parse_api_tls_key,
         .help = "PEM private key of tls-cert (unencrypted, an absolute path)"},
        {.section = "api",
         .key = "allow-plain-token",
         .type = CT_BOOL,
         .off = S(api.allow_plain_token),
         .def = "no",
         .help = "accept the token over plain HTTP ([http] port, [api] listen with tls = no): it "
                 "then crosses the LAN in clear"},

        /* [boot] */
        {.section = "boot",
         .key = "bios",
         .type = CT_CUSTOM,
         .off = S(boot.file[BOOT_BIOS]),
         .size = BOOT_FILE_MAX,
         .custom = conf_parse_boot_file,
         .def = "undionly.kpxe",
         .help = "loader for x86 BIOS PXE clients (arch 0)"},
        {.section = "boot",
         .key = "uefi-ia32",
         .type = CT_CUSTOM,
         .off = S(boot.file[BOOT_UEFI_IA32]),
         .size = BOOT_FILE_MAX,
         .custom = conf_parse_boot_file,
         .def = "",
         .help = "loader for IA32 UEFI PXE clients (arch 6)"},
        {.section = "boot",
         .key = "uefi-x64",
         .type = CT_CUSTOM,
         .off = S(boot.file[BOOT_UEFI_X64]),
         .size = BOOT_FILE_MAX,
         .custom = conf_parse_boot_file,
         .def = "ipxe.efi",
         .help = "loader for x64 UEFI PXE clients (arch 7, 9)"},
        {.section = "boot",
         .key = "uefi-arm64",
         .type = CT_CUSTOM,
         .off = S(boot.file[BOOT_UEFI_ARM64]),
         .size = BOOT_FILE_MAX,
         .custom = conf_parse_boot_file,
         .def = "ipxe-arm64.efi",
         .help = "loader for ARM64 UEFI PXE clients (arch 11)"},
        {.section = "boot",
         .key = "http-x64",
         .type = CT_CUSTOM,
         .off = S(boot.file[BOOT_HTTP_X64]),
         .size = BOOT_FILE_MAX,
         .custom = conf_parse_boot_file,
         .def = "ipxe.efi",
         .help = "loader x64 UEFI HTTP boot clients (arch 16) fetch by URL"},
        {.section = "boot",
         .key = "http-arm64",
         .type = CT_CUSTOM,
         .off = S(boot.file[BOOT_HTTP_ARM64]),
         .size = BOOT_FILE_MAX,
         .custom = conf_parse_boot_file,
         .def = "ipxe-arm64.efi",
         .help = "loader ARM64 UEFI HTTP boot clients (arch 19) fetch by URL"},
        /* [dns] */
        {.section = "dns",
         .key = "mode",
         .type = CT_ENUM,
         .off = S(dns.mode),
         .enum_names = dns_mode_names,
         .def = "full",
         .help = "full (local names and forwarding) | local (local names only) | off",
         .restart = CONF_RESTART_OFF},
        {.section = "dns",
         .key = "domain",
         .type = CT_HOSTNAME,
         .off = S(dns.domain),
         .size = CONF_DOMAIN_MAX,
         .def = "lan",
         .help = "the local zone: leases, [host] names and records live under it"},
        {.section = "dns",
         .key = "listen",
         .type = CT_IP4_LIST,
         .off = S(dns.listen),
         .size = CONF_MAX_LIST,
         .count_off = S(dns.n_listen),
         .help = "addresses to answer on, comma-separated; empty: all"},
        {.section = "dns",
         .key = "port",
         .type = CT_UINT,
         .off = S(dns.port),
         .min = 1,
         .max = 65535,
         .def = "53",
         .help = "UDP and TCP port"},
        {.section = "dns",
         .key = "upstream",
         .type = CT_CUSTOM,
         .custom = conf_parse_dns_upstream,
         .help = "servers other names are forwarded to, ADDR or ADDR:PORT, comma-separated; empty: "
                 "the nameservers of resolv-conf"},
        STR("dns", "resolv-conf", dns.resolv_conf, "/etc/resolv.conf",
            "where upstreams come from when upstream is empty"),
        {.section = "dns",
         .key = "allow",
         .type = CT_CUSTOM,
         .custom = conf_parse_dns_allow,
         .help = "networks served beyond the served LAN (NET/PREFIX or ADDR, comma-separated); "
                 "'only' first: instead of it"},
        {.section = "dns",
         .key = "reserved-names",
         .type = CT_CUSTOM,
         .custom = conf_parse_dns_reserved,
         .def = "wpad, isatap, localhost",
         .help = "names no DHCP client, device or [host] may be published under, comma-separated"},
        {.section = "dns",
         .key = "record",
         .type = CT_CUSTOM,
         .custom = conf_parse_dns_record,
         .repeat = true,
         .help = "a static record: NAME [TTL] TYPE DATA (A AAAA CNAME TXT MX SRV PTR; repeatable)"},
        {.section = "dns",
         .key = "local-ttl",
         .type = CT_DURATION,
         .off = S(dns.local_ttl_sec),
         .max = 604800,
         .def = "60s",
         .help = "TTL of local answers and of negative local answers (SOA minimum)"},
        {.section = "dns",
         .key = "cache-size",
         .type = CT_SIZE,
         .off = S(dns.cache_bytes),
         .max = 64ull << 30,
         .def = "32M",
         .help = "memory for cached answers (K, M, G suffixes; 0: no cache)"},
        {.section = "dns",
         .key = "cache-max-ttl",
         .type = CT_DURATION,
         .off = S(dns.cache_max_ttl_sec),
         .min = 1,
         .max = 604800,
         .def = "1d",
         .help = "longest time an answer is cached"},
        {.section = "dns",
         .key = "negative-max-ttl",
         .type = CT_DURATION,
         .off = S(dns.negative_max_ttl_sec),
         .max = 86400,
         .def = "1h",
         .help = "longest time a negative answer is cached (RFC 2308)"},
        {.section = "dns",
         .key = "edns-payload",
         .type = CT_UINT,
         .off = S(dns.edns_payload),
         .min = 512,
         .max = 4096,
         .def = "1232",
         .help = "largest UDP answer sent and the EDNS size advertised"},
        {.section = "dns",
         .key = "rate-limit",
         .type = CT_UINT,
         .off = S(dns.rate_limit),
         .max = 10000000,
         .def = "1000",
         .help = "queries per second per client address (0: unlimited)"},
        {.section = "dns",
         .key = "rate-burst",
         .type = CT_UINT,
         .off = S(dns.rate_burst),
         .min = 1,
         .max = 10000000,
         .def = "2000",
         .help = "queries a client may send at once before rate-limit applies"},
        {.section = "dns",
         .key = "upstream-timeout",
         .type = CT_DURATION,
         .off = S(dns.upstream_timeout_sec),
         .min = 1,
         .max = 30,
         .def = "1s",
         .help = "how long an upstream has to answer before the next one is asked"},
        {.section = "dns",
         .key = "upstream-retry",
         .type = CT_DURATION,
         .off = S(dns.upstream_retry_sec),
         .min = 1,
         .max = 3600,
         .def = "30s",
         .help = "how long an upstream that timed out is skipped"},
        {.section = "dns",
         .key = "forward-max",
         .type = CT_UINT,
         .off = S(dns.forward_max),
         .min = 16,
         .max = 65536,
         .def = "4096",
         .help = "forwarded queries in flight at once"},
        {.section = "dns",
         .key = "tcp-connections",
         .type = CT_UINT,
         .off = S(dns.tcp_max_connections),
         .min = 1,
         .max = 10000,
         .def = "64",
         .help = "open client TCP connections at most"},
        {.section = "dns",
         .key = "tcp-connections-per-client",
         .type = CT_UINT,
         .off = S(dns.tcp_per_client),
         .min = 1,
         .max = 10000,
         .def = "8",
         .help = "open TCP connections at most from one client address"},
        {.section = "dns",
         .key = "tcp-idle-timeout",
         .type = CT_DURATION,
         .off = S(dns.tcp_idle_sec),
         .min = 1,
         .max = 3600,
         .def = "10s",
         .help = "an idle client TCP connection is closed after this"},
        {.section = "dns",
         .key = "tcp-request-timeout",
         .type = CT_DURATION,
         .off = S(dns.tcp_request_sec),
         .min = 1,
         .max = 300,
         .def = "5s",
         .help = "a TCP request must arrive whole, and its answer be read, within this of its "
                 "first byte"},

        /* [group NAME] */
        GFILE("bios", loaders.file[BOOT_BIOS], "the group's loader for x86 BIOS PXE clients"),
        GFILE("uefi-ia32", loaders.file[BOOT_UEFI_IA32],
              "the group's loader for IA32 UEFI PXE clients"),
        GFILE("uefi-x64", loaders.file[BOOT_UEFI_X64],
              "the group's loader for x64 UEFI PXE clients"),
        GFILE("uefi-arm64", loaders.file[BOOT_UEFI_ARM64],
              "the group's loader for ARM64 UEFI PXE clients"),
        GFILE("http-x64", loaders.file[BOOT_HTTP_X64],
              "the group's loader for x64 UEFI HTTP boot clients"),
        GFILE("http-arm64", loaders.file[BOOT_HTTP_ARM64],
              "the group's loader for ARM64 UEFI HTTP boot clients"),
        GFILE("ipxe-template", ipxe_template, "the group's template for /boot/MAC.ipxe"),
        {.section = "group",
         .key = "lease-time",
         .type = CT_DURATION,
         .off = G(lease_sec),
         .min = 60,
         .max = 31536000,
         .help = "lease duration for the group's devices"},
        {.section = "group",
         .key = "dns",
         .type = CT_IP4_LIST,
         .off = G(dns),
         .size = CONF_MAX_LIST,
         .count_off = G(n_dns),
         .help = "DNS servers (option 6) for the group's devices"},
        {.section = "group",
         .key = "domain",
         .type = CT_HOSTNAME,
         .off = G(domain),
         .size = CONF_DOMAIN_MAX,
         .help = "domain name (option 15) for the group's devices"},

        {.section = "dhcp",
         .key = "unknown-devices",
         .type = CT_ENUM,
         .off = S(dhcp.unknown_devices),
         .enum_names = unknown_names,
         .def = "approve",
         .help = "network-booting machines the registry does not know: ignore | pending | approve"},
        {.section = "dhcp",
         .key = "default-group",
         .type = CT_HOSTNAME,
         .off = S(dhcp.default_group),
         .size = CONF_NAME_MAX,
         .help = "the [group] approved unknown devices join"},
        {.section = "dhcp",
         .key = "pending-boot",
         .type = CT_ENUM,
         .off = S(dhcp.pending_boot),
         .enum_names = pending_boot_names,
         .def = "none",
         .help = "what a device waiting for approval boots: none | wait (a polling script)"},

        /* [subnet CIDR] */
        {.section = "subnet",
         .key = "range",
         .type = CT_CUSTOM,
         .custom = conf_parse_range,
         .repeat = true,
         .help = "FIRST-LAST addresses to lease (repeatable)"},
        {.section = "subnet",
         .key = "router",
         .type = CT_IP4_LIST,
         .off = N(routers),
         .size = CONF_MAX_LIST,
         .count_off = N(n_routers),
         .help = "option 3, comma-separated"},
        {.section = "subnet",
         .key = "dns",
         .type = CT_IP4_LIST,
         .off = N(dns),
         .size = CONF_MAX_LIST,
         .count_off = N(n_dns),
         .help = "option 6, comma-separated"},
        {.section = "subnet",
         .key = "ntp",
         .type = CT_IP4_LIST,
         .off = N(ntp),
         .size = CONF_MAX_LIST,
         .count_off = N(n_ntp),
         .help = "option 42, comma-separated"},
        {.section = "subnet",
         .key = "domain",
         .type = CT_HOSTNAME,
         .off = N(domain),
         .size = CONF_DOMAIN_MAX,
         .help = "option 15"},
        {.section = "subnet",
         .key = "domain-search",
         .type = CT_CUSTOM,
         .custom = conf_parse_search,
         .help = "option 119, comma-separated domains"},
        {.section = "subnet",
         .key = "mtu",
         .type = CT_UINT,
         .off = N(mtu),
         .min = 68,
         .max = 65535,
         .help = "option 26"},
        {.section = "subnet",
         .key = "route",
         .type = CT_CUSTOM,
         .custom = conf_parse_route,
         .repeat = true,
         .help = "option 121: DEST/PREFIX via GATEWAY (repeatable)"},
        {.section = "subnet",
         .key = "lease-time",
         .type = CT_DURATION,
         .off = N(lease_sec),
         .min = 60,
         .max = 31536000,
         .def = "12h",
         .help = "lease duration"},
        {.section = "subnet",
         .key = "t1",
         .type = CT_DURATION,
         .off = N(t1_sec),
         .min = 1,
         .max = 31536000,
         .help = "renewal time (option 58); default half the lease"},
        {.section = "subnet",
         .key = "t2",
         .type = CT_DURATION,
         .off = N(t2_sec),
         .min = 1,
         .max = 31536000,
         .help = "rebinding time (option 59); default 7/8 of the lease"},

        /* [host NAME] */
        {.section = "host",
         .key = "mac",
         .type = CT_CUSTOM,
         .custom = conf_parse_mac,
         .help = "hardware address the reservation matches"},
        {.section = "host",
         .key = "client-id",
         .type = CT_CUSTOM,
         .custom = conf_parse_client_id,
         .help = "client identifier (option 61): hex bytes aa:bb:... or text"},
        {.section = "host",
         .key = "address",
         .type = CT_IP4,
         .off = H(addr),
         .help = "the reserved address (outside every range)"},
};

#define N_KEYS NB_ARRAY_SIZE(keys)
_Static_assert(N_KEYS <= CONF_KEYS_MAX, "raise CONF_KEYS_MAX in conf_internal.h");

/* ---- values */

static int add_ip4(const char *item, void *data)
{
	uint32_t *out = ((uint32_t **) data)[0];
	size_t *n = ((size_t **) data)[1];
	size_t cap = (size_t) ((uintptr_t) ((void **) data)[2]);
	uint32_t a;
	if (ip4_parse(item, &a) < 0)
		return -EINVAL;
	if (*n == cap)
		return -E2BIG;
	out[(*n)++] = a;
	return 0;
}

/* "64M" for sizes that are whole K, M or G (error messages). */
static const char *size_str(uint64_t v, char buf[static 24])
{
	static const char units[] = "GMK";
	for (int i = 0; i < 3; i++) {
		uint64_t u = 1ull << (10 * (3 - i));
		if (v && v % u == 0) {
			snprintf(buf, 24, "%llu%c", (unsigned long long) (v / u), units[i]);
			return buf;
		}
	}
	snprintf(buf, 24, "%llu", (unsigned long long) v);
	return buf;
}

/* CT_SIZE: "65536", "512K", "64M", "2G" (powers of 1024) within k's range. */
static int set_size(const struct conf_key *k, uint8_t *base, char *value, char *err, size_t errlen)
{
	char lo[24], hi[24];
	size_t n = strlen(value);
	uint64_t mult = 1, v;
	if (n > 1 && strchr("kKmMgG", value[n - 1])) {
		char u = (char) tolower((unsigned char) value[n - 1]);
		mult = u == 'k' ? 1ull << 10 : u == 'm' ? 1ull << 20 : 1ull << 30;
		value[n - 1] = 0;
	}
	if (nb_parse_uint(value, 0, k->max / mult, &v) < 0 || v * mult < k->min) {
		snprintf(err, errlen, "not a size from %s to %s (e.g. 32M, 512K)",
		         size_str(k->min, lo), size_str(k->max, hi));
		return -EINVAL;
	}
	*(uint64_t *) (base + k->off) = v * mult;
	return 0;
}

static int set_value(struct conf_state *st, const struct conf_key *k, void *obj, char *value)
{
	uint8_t *base = obj;
	char err[200] = "";
	uint64_t u;
	uint32_t d;
	bool b;
	int r = 0;

	switch (k->type) {
	case CT_STR:
	case CT_HOSTNAME:
		if (strlen(value) >= k->size) {
			snprintf(err, sizeof err, "too long (at most %zu characters)", k->size - 1);
			r = -EINVAL;
		} else if (k->type == CT_HOSTNAME && *value && !nb_hostname_valid(value)) {
			snprintf(err, sizeof err, "'%s' is not a valid host or domain name", value);
			r = -EINVAL;
		} else {
			memcpy(base + k->off, value, strlen(value) + 1);
		}
		break;
	case CT_BOOL:
		r = nb_parse_bool(value, &b);
		if (r == 0)
			*(bool *) (base + k->off) = b;
		else
			snprintf(err, sizeof err, "'%s' is not yes or no", value);
		break;
	case CT_UINT:
		r = nb_parse_uint(value, k->min, k->max, &u);
		if (r == 0)
			*(uint32_t *) (base + k->off) = (uint32_t) u;
		else
			snprintf(err, sizeof err, "'%s' is not a number from %llu to %llu", value,
			         (unsigned long long) k->min, (unsigned long long) k->max);
		break;
	case CT_SIZE:
		r = set_size(k, base, value, err, sizeof err);
		break;
	case CT_DURATION:
		r = nb_parse_duration(value, &d);
		if (r == 0 && (d < k->min || d > k->max))
			r = -ERANGE;
		if (r == 0)
			*(uint32_t *) (base + k->off) = d;
		else
			snprintf(err, sizeof err,
			         "'%s' is not a duration from %llus to %llus (e.g. 90s, 15m, 12h, "
			         "7d)",
			         value, (unsigned long long) k->min, (unsigned long long) k->max);
		break;
	case CT_IP4:
		r = ip4_parse(value, (uint32_t *) (base + k->off));
		if (r < 0)
			snprintf(err, sizeof err, "'%s' is not an IPv4 address", value);
		break;
	case CT_IP4_LIST: {
		size_t *n = (size_t *) (base + k->count_off);
		void *ctx[3] = {base + k->off, n, (void *) (uintptr_t) k->size};
		*n = 0;
		r = nb_split_list(value, add_ip4, ctx);
		if (r == -E2BIG)
			snprintf(err, sizeof err, "more than %zu addresses", k->size);
		else if (r < 0)
			snprintf(err, sizeof err, "not a comma-separated list of IPv4 addresses");
		break;
	}
	case CT_ENUM:
		r = -EINVAL;
		for (int i = 0; k->enum_names[i]; i++)
			if (strcmp(value, k->enum_names[i]) == 0) {
				*(int *) (base + k->off) = i;
				r = 0;
			}
		if (r < 0) {
			int n = snprintf(err, sizeof err, "'%s' is not one of:", value);
			for (int i = 0; k->enum_names[i] && n < (int) sizeof err; i++)
				n += snprintf(err + n, sizeof err - (size_t) n, " %s",
				              k->enum_names[i]);
		}
		break;
	case CT_CUSTOM:
		/* a custom parser that fills one field (size set) gets that field */
		r = k->custom(k->size ? base + k->off : obj, value, st->line, err, sizeof err);
		break;
	}
	if (r < 0) {
		diag(st, "%s: %s", k->key, err[0] ? err : "invalid value");
		return r;
	}
	return 0;
}

static void apply_defaults(struct conf_state *st, const char *section, void *obj)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, section) != 0 || !keys[i].def)
			continue;
		char buf[CONF_PATH_MAX];
		snprintf(buf, sizeof buf, "%s", keys[i].def);
		if (set_value(st, &keys[i], obj, buf) < 0)
			abort(); /* a default that does not parse is a programmer error */
	}
}

/* ---- sections */

static void *new_subnet(struct conf_state *st, const char *arg)
{
	struct conf *c = st->c;
	uint32_t net;
	unsigned prefix;
	int r = ip4_cidr_parse(arg, &net, &prefix);
	if (r == -EDOM) {
		char a[IP4_STRLEN], buf[40];
		const char *slash = strchr(arg, '/');
		uint32_t host = 0;
		snprintf(buf, sizeof buf, "%.*s", (int) (slash - arg), arg);
		unsigned p = (unsigned) atoi(slash + 1);
		(void) ip4_parse(buf, &host);
		diag(st, "subnet %s has host bits set (did you mean %s/%u?)", arg,
		     ip4_fmt(host & ip4_mask(p), a), p);
		return NULL;
	}
	if (r < 0 || prefix > 30) {
		diag(st, "subnet '%s' is not NETWORK/PREFIX with a prefix of at most 30", arg);
		return NULL;
	}
	struct conf_subnet *s = realloc(c->subnets, (c->n_subnets + 1) * sizeof *s);
	if (!s)
		return NULL;
	c->subnets = s;
	s = &c->subnets[c->n_subnets++];
	memset(s, 0, sizeof *s);
	s->line = st->line;
	s->net = net;
	s->prefix = prefix;
	apply_defaults(st, "subnet", s);
	return s;
}

static void *new_group(struct conf_state *st, const char *arg)
{
	struct conf *c = st->c;
	if (!nb_hostname_valid(arg) || strlen(arg) >= CONF_NAME_MAX || strchr(arg, '.')) {
		diag(st, "group '%s': the name must be a single label (letters, digits, '-')", arg);
		return NULL;
	}
	for (size_t i = 0; i < c->n_groups; i++)
		if (nb_streq_nocase(c->groups[i].name, arg)) {
			diag(st, "group %s is already defined on line %d", arg, c->groups[i].line);
			return NULL;
		}
	struct conf_group *g = realloc(c->groups, (c->n_groups + 1) * sizeof *g);
	if (!g)
		return NULL;
	c->groups = g;
	g = &c->groups[c->n_groups++];
	memset(g, 0, sizeof *g);
	g->line = st->line;
	snprintf(g->name, sizeof g->name, "%s", arg);
	apply_defaults(st, "group", g);
	return g;
}

static void *new_host(struct conf_state *st, const char *arg)
{
	struct conf *c = st->c;
	if (!nb_hostname_valid(arg) || strlen(arg) >= CONF_NAME_MAX || strchr(arg, '.')) {
		diag(st, "host '%s': the name must be a single DNS label (letters, digits, '-')",
		     arg);
		return NULL;
	}
	struct conf_host *h = realloc(c->hosts, (c->n_hosts + 1) * sizeof *h);
	if (!h)
		return NULL;
	c->hosts = h;
	h = &c->hosts[c->n_hosts++];
	memset(h, 0, sizeof *h);
	h->line = st->line;
	snprintf(h->name, sizeof h->name, "%s", arg);
	apply_defaults(st, "host", h);
	return h;
}

static const struct conf_section {
	const char *name;
	void *(*new_obj)(struct conf_state *st, const char *arg); /* NULL: a singleton */
} sections[] = {
        /* clang-format off */
        {"server", NULL},       /* identity, data, interfaces, logging */
        {"dhcp", NULL},         /* DHCP behaviour */
        {"tftp", NULL},         /* the boot root and TFTP */
        {"boot", NULL},         /* loaders per firmware */
        {"http", NULL},         /* boot files and iPXE scripts over HTTP */
        {"api", NULL},          /* the REST API's listeners and token */
        {"dns", NULL},          /* the DNS server */
        {"subnet", new_subnet}, /* one per served subnet */
        {"host", new_host},     /* static reservations */
        {"group", new_group},   /* device groups and their boot profiles */
        /* clang-format on */
};

static void begin_section(struct conf_state *st, char *header)
{
	char *arg = strpbrk(header, " \t");
	if (arg) {
		*arg++ = 0;
		arg = nb_strstrip(arg);
	}
	st->section = NULL;
	st->obj = NULL;
	for (size_t i = 0; i < NB_ARRAY_SIZE(sections); i++) {
		const struct conf_section *s = &sections[i];
		if (strcmp(header, s->name) != 0)
			continue;
		if (!s->new_obj && arg && *arg) {
			diag(st, "[%s] takes no argument", header);
			return;
		}
		if (s->new_obj && (!arg || !*arg)) {
			diag(st, "[%s] needs an argument, e.g. [subnet 10.0.0.0/24] or [host pc1]",
			     header);
			return;
		}
		if (s->new_obj) {
			st->obj = s->new_obj(st, arg);
			if (!st->obj)
				return;
			for (size_t k = 0; k < N_KEYS; k++)
				if (strcmp(keys[k].section, s->name) == 0)
					st->seen[k] = 0;
		} else {
			st->obj = st->c;
		}
		st->section = s->name;
		return;
	}
	diag(st, "unknown section [%s]", header);
}

/* ---- the reader: counts lines, checks syntax of every line, handles
 * section headers itself (so each object knows its line), and hands inih
 * only left-trimmed lines (no accidental multi-line continuations). */

static bool next_line(struct conf_state *st, char **buf, size_t *cap)
{
	if (st->f) {
		ssize_t n = getline(buf, cap, st->f);
		return n >= 0;
	}
	if (!st->text || !*st->text)
		return false;
	const char *e = strchr(st->text, '\n');
	size_t n = e ? (size_t) (e - st->text) + 1 : strlen(st->text);
	if (n + 1 > *cap) {
		char *b = realloc(*buf, n + 1);
		if (!b)
			return false;
		*buf = b;
		*cap = n + 1;
	}
	memcpy(*buf, st->text, n);
	(*buf)[n] = 0;
	st->text += n;
	return true;
}

static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_state *st = stream;
	static __thread char *buf;
	static __thread size_t cap;

	if (!next_line(st, &buf, &cap)) {
		free(buf);
		buf = NULL;
		cap = 0;
		return NULL;
	}
	st->line++;
	char *s = nb_strstrip(buf);
	str[0] = 0;
	if ((int) strlen(s) + 2 > num) {
		diag(st, "line too long (at most %d characters)", num - 2);
		return str;
	}
	if (!*s || *s == ';' || *s == '#')
		return str;
	if (*s == '[') {
		char *close = strchr(s, ']');
		char *rest = close ? nb_strstrip(close + 1) : NULL;
		if (!close || (*rest && *rest != ';' && *rest != '#')) {
			diag(st, "malformed section header '%s'", s);
			st->section = NULL;
			return str;
		}
		*close = 0;
		st->had_header = true;
		begin_section(st, nb_strstrip(s + 1));
		return str; /* inih sees an empty line: sections are ours */
	}
	char *eq = strchr(s, '=');
	if (!eq || eq == s) {
		diag(st, "expected 'key = value', got '%s'", s);
		return str;
	}
	if (!st->had_header) {
		*eq = 0;
		diag(st, "'%s' appears before any [section]", nb_strstrip(s));
		return str;
	}
	snprintf(str, (size_t) num, "%s\n", s);
	return str;
}

static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_state *st = user;
	char buf[CONF_PATH_MAX];

	(void) section;
	if (!st->section)
		return 1; /* inside a section already reported as bad */
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &keys[i];
		if (strcmp(k->section, st->section) != 0 || strcmp(k->key, name) != 0)
			continue;
		if (st->seen[i] && !k->repeat) {
			diag(st, "%s is already set on line %d", name, st->seen[i]);
			return 1;
		}
		st->seen[i] = st->line;
		snprintf(buf, sizeof buf, "%s", value);
		(void) set_value(st, k, st->obj, buf);
		return 1;
	}
	diag(st, "unknown key '%s' in [%s]", name, st->section);
	return 1;
}

/* ---- public */

static int load(struct conf_state *st, const char *name, struct conf_diag *d,
                struct conf **ret_conf)
{
	NB_CLEANUP(conf_freep) struct conf *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	snprintf(c->path, sizeof c->path, "%s", name);
	st->c = c;
	st->d = d;
	st->file = name;
	st->obj = c;
	apply_defaults(st, "server", c);
	apply_defaults(st, "dhcp", c);
	apply_defaults(st, "tftp", c);
	apply_defaults(st, "boot", c);
	apply_defaults(st, "http", c);
	apply_defaults(st, "api", c);
	apply_defaults(st, "dns", c);
	st->section = NULL;
	st->obj = NULL;

	(void) ini_parse_stream(conf_reader, st, conf_handler, st);
	conf_check_all(st);
	if (st->failed)
		return -EINVAL;
	*ret_conf = steal_ptr(&c);
	return 0;
}

/* A good file that holds the API token but that every user may read: a
 * warning (the load succeeds), shown by serve at start and reload and by
 * `netbay check`. */
static void warn_secret_readable(int fd, const char *path, const struct conf *c,
                                 struct conf_diag *d)
{
	struct stat sb;
	if (!c->api.token[0] || fstat(fd, &sb) < 0 || !(sb.st_mode & S_IROTH))
		return;
	conf_diag_add(d, path, 0,
	              "warning: holds [api] token and is readable by every user (mode %04o); "
	              "chmod o-r %s",
	              (unsigned) (sb.st_mode & 07777), path);
}

int conf_load(const char *path, struct conf_diag *d, struct conf **ret_conf)
{
	struct conf_state st = {0};
	st.f = fopen(path, "re");
	if (!st.f) {
		int r = -errno;
		conf_diag_add(d, path, 0, "cannot read: %s", strerror(errno));
		return r;
	}
	int r = load(&st, path, d, ret_conf);
	if (r == 0)
		warn_secret_readable(fileno(st.f), path, *ret_conf, d);
	fclose(st.f);
	return r;
}

int conf_load_string(const char *text, const char *name, struct conf_diag *d,
                     struct conf **ret_conf)
{
	struct conf_state st = {.text = text};
	return load(&st, name, d, ret_conf);
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	free(c->subnets);
	free(c->hosts);
	free(c->groups);
	free(c->dns.records);
	free(c);
}

void conf_freep(struct conf **c)
{
	conf_free(*c);
}

const struct conf_group *conf_group_find(const struct conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_groups; i++)
		if (nb_streq_nocase(c->groups[i].name, name))
			return &c->groups[i];
	return NULL;
}

const struct conf_subnet *conf_subnet_find(const struct conf *c, uint32_t addr)
{
	for (size_t i = 0; i < c->n_subnets; i++)
		if (ip4_in(addr, c->subnets[i].net, c->subnets[i].prefix))
			return &c->subnets[i];
	return NULL;
}

uint32_t conf_subnet_t1(const struct conf_subnet *s)
{
	return s->t1_sec ? s->t1_sec : s->lease_sec / 2;
}

uint32_t conf_subnet_t2(const struct conf_subnet *s)
{
	return s->t2_sec ? s->t2_sec : (uint32_t) ((uint64_t) s->lease_sec * 7 / 8);
}

static const char *const restart_notes[] = {
        [CONF_LIVE] = "",
        [CONF_RESTART] = " (needs a restart)",
        [CONF_RESTART_OFF] = " (needs a restart to change to or from off)",
};

void conf_print_keys(void)
{
	for (size_t i = 0; i < N_KEYS; i++)
		printf("[%s] %s = %s\n\t%s%s%s\n", keys[i].section, keys[i].key,
		       keys[i].def ? keys[i].def : "", keys[i].help,
		       keys[i].repeat ? " (repeatable)" : "", restart_notes[keys[i].restart]);
}

/* The bytes of a key's field in a struct conf; 0 when it has none (a custom parser that
 * fills several, or a repeated section's key). */
static size_t field_size(const struct conf_key *k)
{
	static const char *const singletons[] = {"server", "dhcp", "tftp", "boot",
	                                         "http",   "api",  "dns"};
	bool single = false;
	for (size_t i = 0; i < NB_ARRAY_SIZE(singletons); i++)
		single |= strcmp(k->section, singletons[i]) == 0;
	if (!single)
		return 0;
	switch (k->type) {
	case CT_STR:
	case CT_HOSTNAME:
		return k->size;
	case CT_BOOL:
		return sizeof(bool);
	case CT_UINT:
	case CT_DURATION:
	case CT_IP4:
		return sizeof(uint32_t);
	case CT_ENUM:
		return sizeof(int);
	case CT_SIZE:
		return sizeof(uint64_t);
	case CT_IP4_LIST:
	case CT_CUSTOM:
		return k->type == CT_CUSTOM ? k->size : 0; /* lists: a count elsewhere */
	}
	return 0;
}

bool conf_key_restart_ok(size_t i)
{
	return i >= N_KEYS || keys[i].restart == CONF_LIVE || field_size(&keys[i]) > 0;
}

size_t conf_keep_restart_keys(const struct conf *running, struct conf *next,
                              void (*fn)(const char *section, const char *key, void *data),
                              void *data)
{
	size_t n = 0;
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &keys[i];
		size_t sz = field_size(k);
		if (k->restart == CONF_LIVE || sz == 0)
			continue;
		const uint8_t *old = (const uint8_t *) running + k->off;
		uint8_t *now = (uint8_t *) next + k->off;
		if (memcmp(old, now, sz) == 0)
			continue;
		if (k->restart == CONF_RESTART_OFF) {
			int off = -1, a = *(const int *) old, b = *(const int *) now;
			for (int e = 0; k->enum_names[e]; e++)
				if (strcmp(k->enum_names[e], "off") == 0)
					off = e;
			if (a != off && b != off)
				continue; /* between two modes that are not off: applied */
		}
		fn(k->section, k->key, data);
		memcpy(now, old, sz);
		n++;
	}
	return n;
}
