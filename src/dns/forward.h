/* Forwarding to upstream servers: questions the LAN cannot answer go to
 * the configured upstreams over UDP, with TCP when an answer comes back
 * truncated (RFC 7766).
 *
 * Every query to an upstream leaves from a socket drawn at random from a
 * pool of up to 1024 connected UDP sockets per upstream, each on a port the
 * kernel drew at random and replaced after 8 queries or 30 s, and carries a
 * random ID (arc4random: getrandom(2)); an answer counts only when it comes
 * from that upstream to that socket with that ID and repeats the question
 * (RFC 5452). Identical questions in flight share one
 * upstream query. An upstream that lets a query time out without answering
 * anything else meanwhile is skipped for [dns] upstream-retry; the next
 * one is asked (three tries at most). Queries are sent in batches
 * (sendmmsg) by dns_forward_flush(), answers read in batches (recvmmsg). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_hostport;
struct loop;
struct dns_forward;

/* A client waiting for an answer; the caller embeds it in its own record
 * and owns it. The forwarder only links waiters through next. */
struct dns_waiter {
	struct dns_waiter *next;
};

/* Called once per forwarded question: msg is the upstream's answer
 * (header and question already matched to the question asked), or NULL
 * when no upstream answered. The waiters are handed back (the list ends
 * with NULL); msg is valid during the call only. */
typedef void (*dns_forward_done_fn)(void *data, const uint8_t *msg, size_t len,
                                    struct dns_waiter *waiters);

/* Called after each batch of answers or timeouts that called done: the
 * caller's moment to send what done queued, and to flush. */
typedef void (*dns_forward_batch_fn)(void *data);

struct dns_forward_conf {
	const struct conf_hostport *upstreams;
	size_t n_upstreams;
	uint32_t timeout_ms, retry_ms;
	uint32_t max_pending;
	uint16_t edns_payload;
};

int dns_forward_new(struct loop *l, const struct dns_forward_conf *c, dns_forward_done_fn done,
                    dns_forward_batch_fn batch_end, void *data, struct dns_forward **ret);
/* Frees everything; waiters still pending are dropped without a call. */
void dns_forward_free(struct dns_forward *f);
/* New upstreams, timing and max_pending (a lower one lets what is in
 * flight finish); queries in flight are asked again of the new upstreams.
 * Returns 0, or -ENOMEM with nothing changed. */
int dns_forward_reconfigure(struct dns_forward *f, const struct dns_forward_conf *c);

/* Asks for (lname, qtype, qclass) on w's behalf; w joins an identical
 * question already in flight. The query leaves at the next
 * dns_forward_flush(). Returns 0, -EBUSY (max_pending in flight) or
 * -ENETUNREACH (no upstream). */
int dns_forward_query(struct dns_forward *f, const uint8_t *lname, size_t len, uint16_t qtype,
                      uint16_t qclass, struct dns_waiter *w);
/* Sends the queries accumulated since the last flush. */
void dns_forward_flush(struct dns_forward *f);

struct dns_forward_stats {
	uint64_t queries, joined, sent, answers, timeouts, unmatched, tcp, failures;
	uint64_t sockets; /* upstream sockets opened (one per query in flight, mostly) */
	uint64_t in_flight;
};
void dns_forward_stats(const struct dns_forward *f, struct dns_forward_stats *ret);
