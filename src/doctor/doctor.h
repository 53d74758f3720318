/* netbay doctor: the client-side troubleshooting checklist (docs/doctor.md).
 *
 * Every check is one function in a file of its own that fills a struct
 * doctor_result: pass, warn, fail or skip, a one-line finding, evidence
 * lines and a fix. A check gathers what it needs (sockets, the system's
 * interfaces and resolvers) and hands it to a pure judge function with
 * explicit inputs, which is what the unit tests exercise.
 *
 * The doctor is a client: it never changes the machine it runs on (no
 * address, route or firewall change, never a DHCP REQUEST), and every probe
 * is bounded by a timeout. */
#pragma once

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/tls.h"
#include "core/util.h"

struct httpc_response;

/* Ordered by severity: a check's status only ever rises. */
enum doctor_status { DOCTOR_SKIP, DOCTOR_PASS, DOCTOR_WARN, DOCTOR_FAIL };

#define DOCTOR_LINE_MAX     256
#define DOCTOR_EVIDENCE_MAX 32

struct doctor_result {
	const char *check; /* "names", "addressing", ... (static) */
	enum doctor_status status;
	bool decided;  /* a verdict has been given */
	bool fix_open; /* the last verdict call took over: doctor_fix applies */
	char finding[DOCTOR_LINE_MAX];
	char fix[DOCTOR_LINE_MAX * 2];
	char evidence[DOCTOR_EVIDENCE_MAX][DOCTOR_LINE_MAX];
	size_t n_evidence;
};

void doctor_result_init(struct doctor_result *r, const char *check);
/* Gives the verdict s with its finding, unless an earlier verdict was at
 * least as severe (the first finding of the worst kind is the one shown).
 * Returns whether it took over; a fix given right after applies to it. */
bool doctor_verdict(struct doctor_result *r, enum doctor_status s, const char *fmt, ...)
        NB_PRINTF(3, 4);
/* The fix for the verdict just given (ignored when that verdict did not
 * take over). */
void doctor_fix(struct doctor_result *r, const char *fmt, ...) NB_PRINTF(2, 3);
/* One line of evidence (dropped past DOCTOR_EVIDENCE_MAX). */
void doctor_evidence(struct doctor_result *r, const char *fmt, ...) NB_PRINTF(2, 3);
/* "PASS", "WARN", "FAIL", "SKIP"; and lower case for JSON. */
const char *doctor_status_name(enum doctor_status s);
const char *doctor_status_word(enum doctor_status s);

/* ---- what the machine looks like (gathered in sys.c, passed in to judges) */

#define DOCTOR_MAX_LIFS   32
#define DOCTOR_MAX_ROUTES 64
#define DOCTOR_MAX_NS     8
#define DOCTOR_MAX_SEARCH 6
#define DOCTOR_NAME_MAX   254

/* An IPv4 address of a local interface. */
struct doctor_lif {
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint32_t addr;
	unsigned prefix;
	bool up, loopback;
};

/* A route of the main table. gw 0: on-link. */
struct doctor_route {
	uint32_t dest, gw;
	unsigned prefix;
	uint32_t metric;
	char ifname[IF_NAMESIZE];
};

struct doctor_resolv {
	uint32_t ns[DOCTOR_MAX_NS]; /* IPv4 nameservers, in order */
	size_t n_ns;
	char search[DOCTOR_MAX_SEARCH][DOCTOR_NAME_MAX]; /* domain / search, in order */
	size_t n_search;
};

/* Reads every IPv4 address of every interface. Returns the count or -errno. */
int doctor_sys_lifs(struct doctor_lif *out, size_t max);
/* Reads the IPv4 main routing table (/proc/net/route). Returns the count or -errno. */
int doctor_sys_routes(struct doctor_route *out, size_t max);
/* Parses resolv.conf text: nameserver (IPv4 only; others skipped),
 * domain and search. Always succeeds; what does not parse is skipped. */
void doctor_resolv_parse(const char *text, struct doctor_resolv *ret);
/* Reads and parses the file at path; -errno when it cannot be read. */
int doctor_resolv_load(const char *path, struct doctor_resolv *ret);
/* The route the kernel table would pick for dst (longest prefix, then lowest
 * metric), or NULL. */
const struct doctor_route *doctor_route_lookup(const struct doctor_route *r, size_t n,
                                               uint32_t dst);
/* The leading one bits of a netmask: 0xffffff00 -> 24. */
unsigned doctor_mask_prefix(uint32_t mask);
/* The interface's MAC and index; -errno when it has none. */
int doctor_sys_ifinfo(const char *ifname, struct hwaddr *ret_mac, int *ret_ifindex);

/* ---- the run: options, and what checks learn for later ones */

#define DOCTOR_MAX_SRV    8
#define DOCTOR_MAX_OFFERS 16

struct doctor_opts {
	const char *server;    /* name or address; "netbay" by default */
	const char *ifname;    /* NULL: the route's interface, else the first up one */
	int timeout_ms;        /* per probe */
	int dhcp_wait_ms;      /* how long OFFERs are collected */
	uint16_t http_port;    /* the server's HTTP port (boot files, health) */
	uint16_t api_port;     /* an [api] listen port (HTTPS); 0: none */
	bool have_pin;         /* --fingerprint: the HTTPS certificate must have pin */
	uint8_t pin[32];       /* SHA-256 (TLS_FP_LEN) */
	int clock_warn_sec;    /* clock offset above this warns ... */
	int clock_fail_sec;    /* ... and above this fails */
	size_t boot_max_bytes; /* the boot file fetch stops after this much */
	int arch;              /* option 93 in the DISCOVER (0: x86 BIOS, 7: x64 UEFI) */
	const char *srv[DOCTOR_MAX_SRV];
	size_t n_srv;
	char *const *envp;       /* the environment the proxy check reads */
	const char *resolv_conf; /* "/etc/resolv.conf" */
};

void doctor_opts_init(struct doctor_opts *o);

/* One DHCP OFFER (or a proxyDHCP offer: yiaddr 0) as the DHCP check saw it. */
struct doctor_offer {
	uint32_t src;       /* the IP source address of the datagram */
	uint32_t server_id; /* option 54 (0 when missing) */
	uint32_t yiaddr, siaddr, mask, router;
	bool proxy;            /* no address offered: a proxyDHCP answer */
	bool pxe;              /* vendor class PXEClient (or HTTPClient) echoed */
	char vendor_class[64]; /* option 60 */
	char sname[65];        /* header sname or option 66 */
	char file[256];        /* header file or option 67 */
};

/* What answers GET /api/v1/health at one address (http.c). */
struct doctor_health {
	uint32_t addr;
	uint16_t port;
	int err;     /* 0: an HTTP answer came, described below; -errno: none */
	int status;  /* HTTP status */
	bool netbay; /* 200 with netbay's name and version */
	bool html;   /* an HTML page (a proxy, portal or other web server) */
	bool json;   /* the body is JSON */
	char content_type[64], server[64];
	char date[64];              /* the Date header */
	char snippet[128];          /* the body's first bytes, printable */
	char name[DOCTOR_NAME_MAX]; /* netbay's [server] name */
	char version[32];
	char instance[40];  /* random per server start ("" when not said) */
	char dhcp_mode[16]; /* "full", "proxy", "off" ("" when not said) */
	int64_t time;       /* the JSON "time" (0: none) */
	int64_t local;      /* the local clock when the answer came */
	/* "tls": the HTTPS listener the server names (port 0: none said) */
	uint16_t tls_port;
	char tls_fingerprint[96]; /* as it gives it, checked to be a fingerprint */
};

/* What the HTTPS port answered (http.c): the TLS handshake without any
 * check of the certificate, what the certificate says, and the health
 * answer over it. */
struct doctor_tls {
	uint32_t addr;
	uint16_t port;
	int err;        /* 0: a TLS session came up; -errno: why not (why) */
	char why[256];  /* the handshake's failure */
	char desc[128]; /* protocol and ciphers */
	bool have_cert;
	struct tls_cert_info cert;   /* the server's certificate (the chain's first) */
	char asked[DOCTOR_NAME_MAX]; /* the name or address the doctor used */
	bool names_asked;            /* the certificate names it */
	struct doctor_health health; /* GET /api/v1/health over TLS */
};

/* The netbay server as the DHCP offers on the interface lead to it: the
 * address to use when the name does not resolve, or leads elsewhere (its
 * offer's mask is then the one the addressing check compares). */
struct doctor_ref {
	uint32_t addr;                    /* 0: none found */
	bool confirmed;                   /* its health answers as netbay */
	const struct doctor_health *hlth; /* what answered there (NULL: not asked) */
	size_t n_servers;                 /* distinct servers that answered the DISCOVER */
};

#define DOCTOR_MAX_HEALTH (DOCTOR_MAX_OFFERS + 2)

struct doctor {
	struct doctor_opts o;
	/* the server */
	char name[DOCTOR_NAME_MAX]; /* as given ("" when given as an address) */
	uint32_t addr;              /* resolved or given; 0: unknown */
	/* the machine */
	struct doctor_lif lifs[DOCTOR_MAX_LIFS];
	size_t n_lifs;
	struct doctor_route routes[DOCTOR_MAX_ROUTES];
	size_t n_routes;
	struct doctor_resolv resolv;
	char ifname[IF_NAMESIZE]; /* the interface of the DHCP and addressing checks */
	/* the health answers asked so far, one per address (doctor_health_at) */
	struct doctor_health health[DOCTOR_MAX_HEALTH];
	size_t n_health;
	/* the server found through DHCP (doctor_ref_find), once per run */
	bool ref_found;
	struct doctor_ref ref;
	/* learned by the DHCP probe, read by the boot file and addressing checks */
	bool dhcp_probed;
	int dhcp_err; /* why there was no probe (negative errno) */
	struct doctor_offer offers[DOCTOR_MAX_OFFERS];
	size_t n_offers;
};

/* Copies the options' defaults in and clears what the checks learn. */
void doctor_init(struct doctor *d, const struct doctor_opts *o);

/* ---- the checks, in the order they run (bit i of a mask: doctor_checks[i]) */

enum {
	DOCTOR_C_NAMES,
	DOCTOR_C_ADDRESSING,
	DOCTOR_C_REACH,
	DOCTOR_C_HTTP,
	DOCTOR_C_PROXY,
	DOCTOR_C_CLOCK,
	DOCTOR_C_DHCP,
	DOCTOR_C_BOOTFILE,
	DOCTOR_C_RECORDS,
};

struct doctor_check {
	const char *name;
	const char *what; /* one line for --help */
	void (*run)(struct doctor *d, struct doctor_result *r);
};
extern const struct doctor_check doctor_checks[];
extern const size_t doctor_n_checks;

/* Runs the checks whose bit is set in mask (bit i: doctor_checks[i]) into
 * results (doctor_n_checks entries; unselected ones stay SKIP with an
 * empty finding). Returns how many failed. */
int doctor_run(struct doctor *d, uint32_t mask, struct doctor_result *results);
/* "names,http" -> mask; -EINVAL with the bad name in err. */
int doctor_parse_only(const char *list, uint32_t *ret_mask, char *err, size_t errlen);

void doctor_check_names(struct doctor *d, struct doctor_result *r);
void doctor_check_addressing(struct doctor *d, struct doctor_result *r);
void doctor_check_reach(struct doctor *d, struct doctor_result *r);
void doctor_check_http(struct doctor *d, struct doctor_result *r);
void doctor_check_proxy(struct doctor *d, struct doctor_result *r);
void doctor_check_clock(struct doctor *d, struct doctor_result *r);
void doctor_check_dhcp(struct doctor *d, struct doctor_result *r);
void doctor_check_bootfile(struct doctor *d, struct doctor_result *r);
void doctor_check_records(struct doctor *d, struct doctor_result *r);

/* ---- proxy.c */

/* The value of key in envp ("K=V" strings, NULL-terminated), or NULL. */
const char *doctor_env_get(char *const *envp, const char *key);
/* Whether a NO_PROXY value (comma or space separated: names, .domain
 * suffixes, *.domain, addresses, CIDR blocks, "*", any with :port) covers
 * host (a name or a dotted address). */
bool doctor_no_proxy_covers(const char *no_proxy, const char *host);
/* The judge: envp's proxy variables against the server's name (NULL or ""
 * when given as an address), its address (0: unknown) and the local
 * domain (NULL: none). */
void doctor_proxy_judge(struct doctor_result *r, char *const *envp, const char *name, uint32_t addr,
                        const char *domain);

/* ---- clock.c */

/* Parses an HTTP-date (RFC 9110 5.6.7: IMF-fixdate, and the obsolete RFC
 * 850 and asctime forms) into Unix seconds. Returns 0 or -EINVAL. */
int doctor_http_date_parse(const char *s, int64_t *ret_sec);
/* The judge: the server's Date header (or "" and json_time, the health
 * answer's "time", 0 when absent) against local_sec, the local clock when
 * the answer arrived. */
void doctor_clock_judge(struct doctor_result *r, const char *date, int64_t json_time,
                        int64_t local_sec, int warn_sec, int fail_sec);

/* ---- dhcp.c */

/* Writes a DISCOVER or INFORM (type) from mac with xid: PXEClient vendor
 * class with arch, option 93, a parameter list asking for the boot options.
 * ciaddr: the client's address (INFORM only). Returns the length or -ENOSPC. */
int doctor_dhcp_build(uint8_t *buf, size_t cap, uint8_t type, uint32_t xid,
                      const struct hwaddr *mac, uint32_t ciaddr, int arch);
/* Reads an answer to our xid and mac (an OFFER, or the ACK of an INFORM)
 * through the DHCP codec; src is the datagram's source address. Returns 0,
 * -ENOENT when it is not an answer to us, -EBADMSG when it does not parse. */
int doctor_dhcp_offer_read(const uint8_t *pkt, size_t len, uint32_t xid, const struct hwaddr *mac,
                           uint32_t src, struct doctor_offer *ret);
/* "10.0.0.1: offers 10.0.0.150/24, router ..., next-server ..., file ..." */
void doctor_offer_describe(const struct doctor_offer *o, char *buf, size_t n);
/* The judge: the offers seen on ifname; server is the netbay server's
 * address (0: unknown), for evidence. */
void doctor_dhcp_judge(struct doctor_result *r, const char *ifname,
                       const struct doctor_offer *offers, size_t n, uint32_t server);
/* Sends the DISCOVER and collects offers into d (once per run). Returns 0
 * or -errno (why no DISCOVER could be sent). */
int doctor_dhcp_probe(struct doctor *d);

/* ---- reach.c */

#define DOCTOR_MAX_PROBES 8
#define DOCTOR_PROBE_MAX  600 /* a UDP probe's payload */

enum doctor_reach {
	DOCTOR_REACH_OPEN,    /* connected, or a UDP answer came */
	DOCTOR_REACH_REFUSED, /* RST, or ICMP port unreachable */
	DOCTOR_REACH_DROPPED, /* nothing until the timeout */
	DOCTOR_REACH_UNREACH, /* no route, or no ARP answer */
	DOCTOR_REACH_LOCAL,   /* our own firewall (EPERM) */
	DOCTOR_REACH_ERROR,
};

struct doctor_probe {
	const char *service; /* "HTTP", "DNS", ... (static) */
	bool udp;
	uint16_t port;
	uint8_t payload[DOCTOR_PROBE_MAX]; /* UDP: the request sent */
	size_t len;
	/* results */
	bool done;
	int outcome; /* enum doctor_reach */
	int err;     /* errno behind the outcome */
	int64_t ms;  /* until the outcome */
	int fd;
};

/* errno of a connect, send or receive (0: success) -> outcome. */
enum doctor_reach doctor_reach_classify(int err);
/* Runs the probes at once against addr, each at most timeout_ms. */
int doctor_reach_probe(uint32_t addr, struct doctor_probe *p, size_t n, int timeout_ms);
size_t doctor_reach_plan(const struct doctor *d, struct doctor_probe *p, size_t max);
/* The judge: TCP ports that do not open fail, UDP services warn; the
 * finding names refused, dropped or unreachable. dhcp_mode: the server's
 * DHCP mode from its health answer ("" unknown); in "full" or "off" mode
 * proxyDHCP's port 4011 is not used, and its probe only shown. */
void doctor_reach_judge(struct doctor_result *r, uint32_t addr, const struct doctor_probe *p,
                        size_t n, const char *dhcp_mode);

/* A DNS query (A of name) and a TFTP read request for a file no server
 * has, as UDP probes. Return the length or -errno. */
int doctor_dns_probe_build(uint8_t *buf, size_t cap, const char *name);
int doctor_tftp_probe_build(uint8_t *buf, size_t cap);

/* ---- dnsq.c: a stub DNS client (A, PTR, SRV), over the DNS codec
 * (types and rcodes: DNS_T_*, DNS_R_* of dns/wire.h) */

#define DOCTOR_DNS_MAX_RR 8

struct doctor_dns_rr {
	uint32_t addr;                  /* A */
	uint16_t prio, weight, port;    /* SRV */
	char name[DOCTOR_NAME_MAX + 1]; /* PTR, SRV target: dns_name_to_text() */
};

struct doctor_dns_answer {
	int rcode;
	bool truncated;
	struct doctor_dns_rr rr[DOCTOR_DNS_MAX_RR]; /* records of the asked type */
	size_t n;
};

/* A recursive query for name (text, dotted) of qtype. Returns the length,
 * -EINVAL for a name that is not a DNS name, -ENOSPC. */
int doctor_dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype);
/* Reads the answer to query id: rcode, TC and the answer records of qtype
 * (others, such as CNAMEs on the way, are skipped; so are the authority
 * and additional sections). Returns 0, -ENOENT when it is not a response
 * to id, -EBADMSG when it does not parse. */
int doctor_dns_answer_parse(const uint8_t *pkt, size_t len, uint16_t id, uint16_t qtype,
                            struct doctor_dns_answer *ret);
/* Asks server (UDP 53) and waits at most timeout_ms. Returns 0 or -errno
 * (-ETIMEDOUT, -ECONNREFUSED, -EBADMSG). */
int doctor_dns_ask(uint32_t server, const char *name, uint16_t qtype, int timeout_ms,
                   struct doctor_dns_answer *ret);
/* "4.3.2.1.in-addr.arpa" for 1.2.3.4 */
void doctor_reverse_name(uint32_t a, char *buf, size_t n);
const char *doctor_dns_rcode_name(int rcode);

/* ---- names.c */

/* What one resolver said about the name. */
struct doctor_resolver_answer {
	uint32_t ns;                     /* 0: the system resolver */
	int err;                         /* 0 answered; -errno: no answer */
	int rcode;                       /* when answered */
	char qname[DOCTOR_NAME_MAX + 1]; /* the name that answered (after search) */
	uint32_t addrs[DOCTOR_DNS_MAX_RR];
	size_t n_addrs;
};

/* System resolver lookup (getaddrinfo, AF_INET): addresses into out.
 * Returns the count, -ENOENT when the name does not exist, -EHOSTUNREACH
 * for other failures. */
int doctor_resolve_system(const char *name, uint32_t *out, size_t max);
/* The address the answers give (the first answer's first address; 0: none). */
uint32_t doctor_names_first(const struct doctor_resolver_answer *ans, size_t n);
/* Whether that address needs the DHCP offers to tell: it is unknown, or
 * what answers there (at; NULL: not asked) is not netbay. */
bool doctor_names_need_ref(uint32_t addr, const struct doctor_health *at);
/* The judge: the answers (the system resolver's first), what answers at
 * their address (at; NULL: not asked) and the server the DHCP offers on
 * ifname lead to (ref; NULL or addr 0: none), against the local subnets.
 * Returns the address the checks after it should use (0: none). */
uint32_t doctor_names_judge(struct doctor_result *r, const char *name,
                            const struct doctor_resolver_answer *ans, size_t n,
                            const struct doctor_health *at, const struct doctor_ref *ref,
                            const char *ifname, const struct doctor_lif *lifs, size_t n_lifs);
/* Picks the netbay server among the DHCP offers' servers: health[i] is what
 * answers at the i-th distinct server (doctor_ref_servers order). One whose
 * health is netbay (named as asked, else any); else the one server that did
 * not answer HTTP at all when every other answered as something else
 * (unconfirmed). Writes ret (addr 0: none). */
void doctor_ref_pick(const struct doctor_offer *offers, size_t n, const char *asked_name,
                     const struct doctor_health *const *health, struct doctor_ref *ret);
/* The distinct servers of the offers (option 54, else the source), in
 * order. Returns the count. */
size_t doctor_ref_servers(const struct doctor_offer *offers, size_t n, uint32_t *out, size_t max);
/* Probes DHCP (once) and asks each offering server's health: d->ref. */
const struct doctor_ref *doctor_ref_find(struct doctor *d);

/* ---- records.c */

/* The judge: SRV answers (one per asked name, err < 0 when none came) and
 * the PTR answer for the server's address. */
void doctor_records_judge(struct doctor_result *r, const char *server_name, uint32_t addr,
                          const char *const *srv, const struct doctor_dns_answer *srv_ans,
                          const int *srv_err, size_t n_srv, const struct doctor_dns_answer *ptr,
                          int ptr_err);

/* ---- runner.c: the report */

/* One line per check run; evidence and fix under warnings and failures. */
void doctor_report_text(FILE *f, const struct doctor *d, uint32_t mask,
                        const struct doctor_result *res);
/* {"server", "address", "interface", "checks": [{name, status, finding,
 * evidence, fix}], "failed", "warned"}: a new reference. */
json_t *doctor_report_json(const struct doctor *d, uint32_t mask, const struct doctor_result *res);

/* ---- http.c */

/* A TCP connection to addr:port within timeout_ms: the fd, or -errno. */
int doctor_tcp_connect(uint32_t addr, uint16_t port, int timeout_ms);
/* GET path from addr:port (Host: host; extra_headers: whole "K: V\r\n"
 * lines or NULL), the whole answer within timeout_ms, its body at most
 * body_max. Returns 0 with *ret (free with httpc_response_done) or -errno. */
int doctor_http_get(uint32_t addr, uint16_t port, const char *host, const char *path,
                    const char *extra_headers, int timeout_ms, size_t body_max,
                    struct httpc_response *ret);
/* Reads a health answer (err < 0: none came, resp NULL) into ret: who
 * answered and, when it is netbay, its name, instance, DHCP mode and clock.
 * Never fails: what does not parse is a "not netbay" answer. */
void doctor_health_read(int err, const struct httpc_response *resp, struct doctor_health *ret);
/* One line for evidence: "netbay 'netbay' 0.1.0 (instance ...)", "an HTML
 * page (HTTP 200, Server: nginx)", "no answer (Connection refused)". */
void doctor_health_describe(const struct doctor_health *h, char *buf, size_t n);
/* Whether the name the user asked for and the name netbay says it has
 * are the same host: "netbay" vs "netbay", "netbay.lan" vs "netbay". */
bool doctor_same_host(const char *asked, const char *name);
/* The health answer at addr on the HTTP port: asked once per run and
 * address, then kept in d. Never NULL (a full table answers "not asked"). */
const struct doctor_health *doctor_health_at(struct doctor *d, uint32_t addr);
/* The judge of a health answer. asked_name: the name the user gave (""
 * for an address). Returns 0 when netbay answered, else negative. */
int doctor_http_judge(struct doctor_result *r, const char *url, const char *asked_name,
                      const struct doctor_health *h);
/* GET path over TLS from addr:port: the session comes up whatever the
 * certificate is; what it is goes into *t (host: the name or address used,
 * sent as SNI and checked against the certificate's names). Returns 0 with
 * *ret (free with httpc_response_done), or -errno (t->err and t->why say
 * when the TLS part failed). */
int doctor_https_get(uint32_t addr, uint16_t port, const char *host, const char *path,
                     int timeout_ms, size_t body_max, struct doctor_tls *t,
                     struct httpc_response *ret);
/* The judge of the HTTPS port: no TLS, an expired or not yet valid
 * certificate, one that does not name t->asked, one whose fingerprint is
 * not pin (NULL: none given) or not named_fp (netbay's health answer; ""
 * none) fail, each with the evidence (dates, names, both fingerprints);
 * expiring within 30 days warns. now: this machine's clock. Returns 0 when
 * netbay answered over TLS, else negative. */
int doctor_tls_judge(struct doctor_result *r, const struct doctor_tls *t, const uint8_t *pin,
                     const char *named_fp, int64_t now);

/* ---- addressing.c */

/* An ARP probe (RFC 5227: sender address 0) from mac for target. */
int doctor_arp_request(uint8_t *buf, size_t cap, const struct hwaddr *mac, uint32_t target);
/* Reads an ARP reply (Ethernet/IPv4). Returns 0 with the sender's address
 * and MAC, -ENOENT for other ARP packets, -EBADMSG when truncated. */
int doctor_arp_reply_parse(const uint8_t *pkt, size_t len, uint32_t *ret_sender,
                           struct hwaddr *ret_mac);
/* Sends the probe on ifname and waits for target's reply. 0 or -errno. */
int doctor_arp_probe(const char *ifname, uint32_t target, int timeout_ms, struct hwaddr *ret_mac);
/* The judge. arp_answered: 1 the server answered ARP on arp_if, 0 it did
 * not, -1 not probed; offered_mask: the mask the server's own DHCP offer
 * carried (0: none). */
void doctor_addressing_judge(struct doctor_result *r, const struct doctor_lif *lifs, size_t n_lifs,
                             const struct doctor_route *routes, size_t n_routes, uint32_t server,
                             const char *arp_if, int arp_answered, uint32_t offered_mask);

/* ---- bootfile.c: a TFTP read client and an HTTP fetch */

/* What a fetch did. */
struct doctor_fetch {
	bool tftp;
	int err; /* 0, or -errno (-EREMOTEIO: the server said no) */
	size_t bytes;
	unsigned blocks, blksize;
	uint16_t stall_block; /* the block that kept timing out (0: none) */
	bool complete;        /* the whole file came */
	bool has_size;
	uint64_t size; /* tsize */
	bool tftp_error;
	uint16_t tftp_code;
	char tftp_msg[128];
	int http_status;
	int64_t ms;
};

/* A read request for file, octet, with tsize 0 and blksize (written by the
 * TFTP codec, which also reads the replies). */
int doctor_tftp_rrq_build(uint8_t *buf, size_t cap, const char *file, unsigned blksize);
/* Reads file from server, at most about max_bytes, each wait bounded. */
int doctor_tftp_fetch(uint32_t server, const char *file, size_t max_bytes, int timeout_ms,
                      struct doctor_fetch *f);
int doctor_http_fetch(const char *url, size_t max_bytes, int timeout_ms, struct doctor_fetch *f);
void doctor_bootfile_judge(struct doctor_result *r, const char *file, uint32_t server,
                           const struct doctor_fetch *f);
