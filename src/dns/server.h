/* Internals shared by server.c (UDP, access, forwarding glue, module life)
 * and tcp.c (client TCP connections). Not a contract for other modules. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/log.h"
#include "core/net.h"
#include "dns/forward.h"
#include "dns/query.h"

struct loop;
struct loop_io;
struct loop_timer;
struct dns_tcp_conn;

#define DNS_UDP_OUT_MAX 4096 /* the largest UDP answer (edns-payload at most) */
#define DNS_OWN_MAX     64   /* interface addresses remembered */

struct dns_udp_sock {
	struct dns_server *s;
	int fd;
	struct loop_io *io;
	uint32_t addr;                   /* bound to; 0: every address (IP_PKTINFO) */
	struct net_out q[NET_BATCH_MAX]; /* answers from upstream, sent at the end of the turn */
	uint8_t *qbuf;                   /* NET_BATCH_MAX x DNS_UDP_OUT_MAX */
	size_t n_q;
};

/* A client waiting for an upstream answer. */
struct dns_waiting {
	struct dns_waiter link; /* first: the forwarder links these */
	struct dns_query q;     /* as the client asked */
	uint32_t addr, server_addr;
	uint16_t port;
	int udp; /* index in udp[]; -1: over TCP */
	uint32_t conn, conn_gen;
	struct dns_waiting *next_free;
};

struct dns_waiting_block {
	struct dns_waiting_block *next;
	struct dns_waiting w[];
};

/* Whether a client may use the server. */
enum dns_access {
	DNS_ACCESS_OK,     /* local names and recursion */
	DNS_ACCESS_REFUSE, /* REFUSED to every query; TCP connections closed at once */
	DNS_ACCESS_DROP,   /* not answered at all: came in on an interface that is not served */
};
enum dns_access_why { DNS_WHY_OTHER_IF = 1, DNS_WHY_OFF_NET, DNS_WHY_NOT_LISTED };

/* Per client address (and arrival interface): access and rate limit, one slot
 * per hash bucket. */
struct dns_client_slot {
	uint32_t addr, acl_gen; /* acl_gen 0: an unused slot */
	int ifindex;
	uint64_t lan_gen;
	uint8_t access, why; /* enum dns_access, enum dns_access_why */
	bool slip;
	uint64_t tokens; /* thousandths of a query */
	int64_t last_ms, checked_ms;
};

struct dns_server_stats {
	uint64_t rate_limited, servfail, not_served;
	uint64_t tcp_accepted, tcp_refused, tcp_evicted, tcp_closed_idle, tcp_closed_deadline;
};

struct dns_server {
	const struct conf *conf;
	struct loop *loop;
	const struct nb_services *svc;
	struct dns_engine engine;
	struct dns_zone *zone;
	struct dns_cache *cache;
	struct dns_forward *fwd;
	struct conf_hostport upstreams[CONF_MAX_LIST];
	size_t n_upstreams;

	struct dns_udp_sock udp[CONF_MAX_LIST];
	size_t n_udp;
	struct net_batch *batch;
	uint8_t *out; /* NET_BATCH_MAX x DNS_UDP_OUT_MAX */
	struct net_out outs[NET_BATCH_MAX];

	/* TCP (tcp.c) */
	int tcp_fd[CONF_MAX_LIST];
	struct loop_io *tcp_io[CONF_MAX_LIST];
	size_t n_tcp;
	struct dns_tcp_conn **conns; /* conns_cap slots, at most conn_max in use */
	uint32_t *conn_gen;
	size_t conns_cap, conn_max, n_conns;
	uint32_t *src_heads; /* connections by source address: slot chains */
	size_t n_src_heads;  /* a power of two */
	struct loop_timer *tcp_timer;
	uint8_t *tcp_scratch; /* DNS_MSG_MAX */

	/* access: the served LAN (svc->lan) and [dns] allow */
	uint32_t own[DNS_OWN_MAX]; /* the interfaces' addresses, as of own_gen */
	size_t n_own;
	uint64_t own_gen;
	uint32_t acl_gen; /* moves on with each reload: verdicts are judged again */
	struct loop_timer *if_timer;
	struct log_ratelimit rl_client; /* log lines a client can trigger */
	struct dns_client_slot *clients;
	unsigned client_shift;

	struct dns_waiting_block *waiting_blocks; /* waiting_total entries */
	struct dns_waiting *waiting_free;
	uint32_t waiting_total, waiting_max, n_waiting; /* max: [dns] forward-max */

	uint8_t *scratch; /* DNS_MSG_MAX: an upstream answer being prepared */
	uint16_t ttl_off[256];
	struct dns_server_stats st;
};

/* server.c: the slot of a client at addr whose traffic came in on ifindex (0:
 * unknown), its access judged again when the LAN or the config changed. */
struct dns_client_slot *dns_server_client(struct dns_server *s, uint32_t addr, int ifindex,
                                          int64_t now);
/* server.c: why a client is not served, for log lines. */
const char *dns_access_why(const struct dns_client_slot *c);
/* server.c: logs (rate-limited, naming the client) a query or connection not served. */
void dns_server_log_refused(struct dns_server *s, const struct dns_client_slot *c, bool tcp);
/* server.c: hands q to the forwarder for a client; returns 0 (the answer
 * comes later) or the length of a SERVFAIL written to out. */
int dns_server_forward(struct dns_server *s, const struct dns_query *q, int udp, uint32_t conn,
                       uint32_t addr, uint16_t port, uint32_t server_addr, uint8_t *out,
                       size_t cap);

/* tcp.c */
int dns_tcp_listen(struct dns_server *s, uint32_t addr, uint16_t port);
void dns_tcp_close_all(struct dns_server *s);
int dns_tcp_init(struct dns_server *s);
/* A reload: tcp-connections applies at once (connections over a lower cap
 * are closed, idle ones first). Returns 0 or -ENOMEM (nothing changed). */
int dns_tcp_reconfigure(struct dns_server *s, const struct conf *c);
/* Delivers an answer to connection conn if it is still the one with gen. */
void dns_tcp_deliver(struct dns_server *s, uint32_t conn, uint32_t gen, const uint8_t *msg,
                     size_t len);
