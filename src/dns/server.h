/* Internals shared by server.c (UDP, access, forwarding glue, module life)
 * and tcp.c (client TCP connections). Not a contract for other modules. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"
#include "core/net.h"
#include "dns/forward.h"
#include "dns/query.h"

struct loop;
struct loop_io;
struct loop_timer;
struct dns_tcp_conn;

#define DNS_UDP_OUT_MAX 4096 /* the largest UDP answer (edns-payload at most) */
#define DNS_OWN_MAX     64   /* interface addresses remembered */
#define DNS_ACL_MAX     (3 * DNS_OWN_MAX)

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
	uint32_t next_free;
};

/* Per client address: access and rate limit, one slot per hash bucket. */
struct dns_client_slot {
	uint32_t addr, acl_gen;
	bool allowed, slip;
	uint64_t tokens; /* thousandths of a query */
	int64_t last_ms;
};

struct dns_server_stats {
	uint64_t rate_limited, servfail, tcp_accepted, tcp_refused, tcp_closed_idle;
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
	struct dns_tcp_conn **conns;
	uint32_t *conn_gen;
	size_t conns_cap, n_conns;
	struct loop_timer *tcp_timer;
	uint8_t *tcp_scratch; /* DNS_MSG_MAX */

	/* access: the local subnets */
	uint32_t own[DNS_OWN_MAX];
	size_t n_own;
	struct conf_net acl[DNS_ACL_MAX];
	size_t n_acl;
	uint32_t acl_gen;
	int64_t ifaces_ms;
	struct loop_timer *if_timer;
	struct dns_client_slot *clients;
	unsigned client_shift;

	struct dns_waiting *waiting;
	uint32_t waiting_cap, waiting_free;

	uint8_t *scratch; /* DNS_MSG_MAX: an upstream answer being prepared */
	uint16_t ttl_off[256];
	struct dns_server_stats st;
};

/* server.c: a client's slot, access refreshed when the subnets changed. */
struct dns_client_slot *dns_server_client(struct dns_server *s, uint32_t addr, int64_t now);
/* server.c: hands q to the forwarder for a client; returns 0 (the answer
 * comes later) or the length of a SERVFAIL written to out. */
int dns_server_forward(struct dns_server *s, const struct dns_query *q, int udp, uint32_t conn,
                       uint32_t addr, uint16_t port, uint32_t server_addr, uint8_t *out,
                       size_t cap);

/* tcp.c */
int dns_tcp_listen(struct dns_server *s, uint32_t addr, uint16_t port);
void dns_tcp_close_all(struct dns_server *s);
int dns_tcp_init(struct dns_server *s);
/* Delivers an answer to connection conn if it is still the one with gen. */
void dns_tcp_deliver(struct dns_server *s, uint32_t conn, uint32_t gen, const uint8_t *msg,
                     size_t len);
