/* Shared between the DHCP server's files (server.c: sockets, batching,
 * commit and send; proto.c: the RFC 2131 state machine). Not a contract
 * for anything outside src/dhcp/. */
#pragma once

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "core/net.h"
#include "dhcp/lease.h"
#include "dhcp/pxe.h"
#include "journal/journal.h"
#include "registry/registry.h"

#include "dhcp/wire.h"

struct conf;
struct conf_subnet;
struct dhcp_probe;
struct dhcp_sync;
struct nb_services;
struct loop_io;
struct loop_timer;

#define DHCP_BATCHES_PER_TURN 4 /* recvmmsg batches read per readable event */
#define DHCP_OUT_MAX          (NET_BATCH_MAX * DHCP_BATCHES_PER_TURN)
#define DHCP_RATE_BUCKETS     64
#define DHCP_RATE_KEYS_PER_IF 8 /* relay sources with a bucket of their own, per interface */
#define DHCP_RATE_OTHER       UINT32_MAX /* bucket src: the relays past that cap */
#define DHCP_WAIT_SETS        64
#define DHCP_WAIT_WAYS        4
#define DHCP_RELAY_MEMO       64

/* A reply waiting for the end of the turn. */
struct dhcp_reply {
	uint8_t buf[DHCP_MAX_PACKET];
	size_t len;
	uint32_t dst, src;
	uint16_t port;
	int ifindex;
	bool durable;    /* announces a change: sent only after the store commit */
	bool arp;        /* inject arp_ip -> arp_mac before sending (no ARP yet) */
	bool pxe_sock;   /* sent from port 4011 (a proxy-mode boot server answer) */
	uint32_t arp_ip; /* also the yiaddr, for the log line */
	struct hwaddr mac;
	uint8_t type;
};

/* The starvation guard's token bucket for one arrival: an interface's own
 * clients (src 0), one relay on it (src: the relay's address), or the
 * relays past DHCP_RATE_KEYS_PER_IF (src DHCP_RATE_OTHER). */
struct dhcp_rate {
	int ifindex;
	uint32_t src;
	bool used;
	double tokens;
	double burst, rate; /* as last computed: whether it has refilled, when idle */
	int64_t last_ms, logged_ms;
	uint64_t refused; /* since the last log line */
};

/* A new client the guard refused, remembered so that one that keeps asking
 * is admitted before clients that showed up after it. */
struct dhcp_waiter {
	struct hwaddr mac;
	bool used;
	uint16_t asks; /* refusals, counted at most once a second */
	int ifindex;   /* the key of its bucket */
	uint32_t src;
	int64_t first_ms, last_ms;
};

/* A relay verdict, remembered for a few seconds (route lookups cost a
 * round trip to the kernel). */
struct dhcp_relay_memo {
	uint32_t giaddr, src;
	int ifindex;
	int64_t until_ms;
	uint32_t key;    /* the guard's key for it (see dhcp_relay_untrusted) */
	const char *why; /* NULL: trusted */
};

#define DHCP_DECLINE_KEYS 16

/* DECLINEs honoured per arrival (interface, relay) and in all (proto.c). */
struct dhcp_decline_bucket {
	int ifindex;
	uint32_t relay;
	bool used;
	double tokens;
	int64_t last_sec;
};

struct dhcp_server {
	const struct conf *conf;
	const struct nb_services *svc;
	struct dhcp_leases *leases;
	int fd;
	struct loop_io *io;
	int fd_pxe; /* UDP 4011, proxy mode: the PXE boot server port */
	struct loop_io *io_pxe;
	struct net_batch *batch;
	struct loop_timer *sweep;
	struct dhcp_reply out[DHCP_OUT_MAX];
	size_t n_out;
	struct dhcp_sync *sync; /* lease writes the database lost, to write again (sync.c) */
	struct dhcp_rate rate[DHCP_RATE_BUCKETS];
	struct dhcp_waiter wait[DHCP_WAIT_SETS * DHCP_WAIT_WAYS];
	struct dhcp_relay_memo relay_memo[DHCP_RELAY_MEMO];
	int fd_route;             /* rtnetlink, for relay checks; -1 until needed */
	struct dhcp_probe *probe; /* mode = auto: the probe for other servers (probe.h) */
	struct log_ratelimit rl_bad, rl_info, rl_guard, rl_relay;
	struct log_ratelimit rl_lease; /* routine lines: ACK, RELEASE, proxy answers */
	struct dhcp_decline_bucket decline[DHCP_DECLINE_KEYS], decline_all;
	struct dhcp_msg msg; /* scratch for the packet being handled */
};

/* What a handler knows about the packet in front of it. */
struct dhcp_ctx {
	struct dhcp_server *s;
	const struct dhcp_msg *m;
	const struct net_pkt *pkt;
	struct dhcp_client client;
	const struct conf_subnet *subnet; /* the client's subnet, NULL if none */
	uint32_t server_id;               /* our address, as the client must see it */
	const char *ifname;
	char mac[HWADDR_STRLEN];
	int64_t now;
	bool pxe_port;         /* arrived on 4011 */
	uint32_t guard_src;    /* starvation guard: the relay it counts under; 0: the interface */
	struct pxe_client pxe; /* what the client says about network boot */
	struct registry_boot reg; /* the registry's verdict and profile (reg.dev NULL: unknown) */
};

/* The journal follows network-booting machines and registered devices; a
 * plain DHCP client's exchanges cost no event (thousands a second). */
static inline bool dhcp_journaled(const struct dhcp_ctx *x)
{
	return x->reg.dev || pxe_client_booting(&x->pxe);
}

/* DHCP_JOURNAL(x, .kind = JOURNAL_DHCP_OFFER, .ip = addr): the fact is
 * built only for a journaled client. */
#define DHCP_JOURNAL(x, ...)                                                                       \
	do {                                                                                       \
		if (dhcp_journaled(x))                                                             \
			journal_emit(                                                              \
			        (x)->s->svc->journal,                                              \
			        &(struct journal_fact){.mac = &(x)->client.mac, __VA_ARGS__});     \
	} while (0)

/* proto.c */
/* Fills x->reg from the registry without recording anything: a booting
 * client is recorded (its device created by the policy) only once its
 * packet passed every check, by the handler that answers it. */
void dhcp_proto_lookup(struct dhcp_ctx *x);
void dhcp_proto_handle(struct dhcp_ctx *x);
/* Proxy mode (PXE 2.1, RFC 4578): boot information only, never an address. */
void dhcp_proto_proxy(struct dhcp_ctx *x);

/* server.c, for proto.c */
struct dhcp_reply *dhcp_reply_new(struct dhcp_server *s);
void dhcp_reply_route(const struct dhcp_ctx *x, struct dhcp_reply *r, uint32_t yiaddr, bool nak);
/* guard.c: admits a client never seen before under the starvation guard
 * of its arrival (interface, or relay on it); logs when not. */
bool dhcp_rate_admit(struct dhcp_ctx *x);
/* The same at a given monotonic time (tests). */
bool dhcp_guard_admit(struct dhcp_ctx *x, int64_t now_ms);

/* relay.c: whether a packet with giaddr set came from a relay netbay
 * trusts (see docs/dhcp.md, "Relays"). NULL if so, with *ret_key the
 * starvation guard's key for it (the relay's address, or 0: a host on the
 * segment, counted with the interface's own clients); else why not, for
 * the log line the caller writes. */
const char *dhcp_relay_untrusted(struct dhcp_server *s, const struct net_pkt *pkt, uint32_t giaddr,
                                 uint32_t *ret_key);
/* Makes the lease durable in this turn's batch and publishes its name. */
int dhcp_lease_persist(struct dhcp_server *s, struct dhcp_lease *l);
/* Withdraws the published name of a lease that ended. */
void dhcp_lease_unpublish(struct dhcp_server *s, struct dhcp_lease *l);

/* import.c: "lease.import" (ctl_fn), the API's lease import. */
#define DHCP_IMPORT_MAX 65536 /* rows per import */
int dhcp_ctl_lease_import(void *data, json_t *args, json_t **ret, char *err, size_t errlen);

/* sync.c: lease writes the database lost (a RELEASE or DECLINE has no
 * reply to withhold), written again from the table until stored */
int dhcp_sync_new(struct dhcp_server *s);
void dhcp_sync_free(struct dhcp_server *s);
/* addr's lease was written into this turn's batch. */
void dhcp_sync_note(struct dhcp_server *s, uint32_t addr);
/* Writing addr's lease failed at once: write it again later. */
void dhcp_sync_failed(struct dhcp_server *s, uint32_t addr);
/* The store's verdict on the turn (store_turn_fn): r < 0 schedules the
 * turn's writes to be written again, and logs. */
void dhcp_sync_turn_end(struct dhcp_server *s, int r);
