/* [dhcp] mode = auto: never a rogue server (issue 12; docs/dhcp.md, "Auto
 * mode"). netbay probes each served interface that has a [subnet] for other
 * DHCP servers, at start and every probe-interval, with a DHCPDISCOVER of
 * its own (a throwaway client identifier, a random xid and chaddr, the
 * broadcast flag; never a REQUEST, so nothing is ever leased to it). Where a
 * server offers an address, netbay serves only network boot there (as mode
 * = proxy does); where none does, it serves in full. Until an interface's
 * first probe is done, DISCOVERs on it are not answered.
 *
 * The codec half (build, read, recognise) is pure and tested on its own;
 * the rest is the probe's state, kept per interface, in probe.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conf.h"

struct dhcp_ctx;
struct dhcp_msg;
struct dhcp_server;

#define DHCP_PROBE_CID_LEN 22  /* type 0, "netbay-probe-", 8 hex digits */
#define DHCP_PROBE_PKT_MAX 576 /* IPv4 + UDP + the DISCOVER: the minimum every host takes */
#define DHCP_PROBE_MISSES  CONF_PROBE_MISSES /* core/conf.h: the diagnosis says it too */

/* What makes a probe ours: a server's OFFER to it echoes xid and chaddr. */
struct dhcp_probe_id {
	uint32_t xid;
	uint8_t chaddr[6]; /* random, locally administered, unicast */
	uint8_t cid[DHCP_PROBE_CID_LEN];
};

/* A fresh random identity. */
void dhcp_probe_id_new(struct dhcp_probe_id *id);

/* The probe as an IPv4 datagram, from 0.0.0.0:68 to 255.255.255.255:67
 * (RFC 2131 4.1: a client without an address), as a SOCK_DGRAM packet
 * socket sends it: IPv4 header, UDP header, DHCPDISCOVER. Returns its
 * length, or -ENOSPC when cap is too small. */
int dhcp_probe_build(uint8_t *buf, size_t cap, const struct dhcp_probe_id *id);

/* A server that answered a probe. */
struct dhcp_probe_answer {
	uint32_t src;       /* the IPv4 source of its OFFER */
	uint32_t server_id; /* option 54, or src when it has none */
	uint32_t yiaddr;    /* the address it offered */
};

/* Reads an IPv4 datagram as a packet socket received it. Returns 0 and
 * fills *ret when it is a DHCPOFFER of an address answering id; -ENOENT
 * for anything else that parses (not UDP to port 68, a fragment, another
 * exchange, a proxyDHCP offer without an address, an offer from 0.0.0.0
 * without a server identifier); -EBADMSG when a header
 * is truncated or lies about its length. m is the caller's scratch (the
 * DHCP message is parsed into it). */
int dhcp_probe_read(const uint8_t *pkt, size_t len, const struct dhcp_probe_id *id,
                    struct dhcp_msg *m, struct dhcp_probe_answer *ret);

/* Whether request m is the probe id itself (heard on a port-67 socket). */
bool dhcp_probe_is(const struct dhcp_msg *m, const struct dhcp_probe_id *id);

/* ---- the probe at run time, one per DHCP server */

/* How the server answers one request. */
enum dhcp_if_mode {
	DHCP_IF_FULL,   /* addresses and boot: dhcp_proto_handle() */
	DHCP_IF_PROXY,  /* network boot only: dhcp_proto_proxy() */
	DHCP_IF_SILENT, /* no answer: our own probe, or a DISCOVER before the first probe is done */
};

struct dhcp_probe;

/* Registers the dhcp.servers command and, in mode = auto, starts the first
 * probe of every interface to probe. Returns 0 and *ret, or -errno. */
int dhcp_probe_new(struct dhcp_server *s, struct dhcp_probe **ret);
void dhcp_probe_free(struct dhcp_probe *p);

/* The mode for the request in x, which has its client and registry
 * verdict (after dhcp_proto_lookup()). full and proxy are what the config
 * says; in auto, per interface: proxy where another server answered the
 * probe, full where none did, silent for DISCOVERs until the first probe
 * is done. Relayed requests (giaddr) are full; port 4011 is always the
 * boot server (proxy). A client renewing, releasing or declining a lease
 * netbay itself holds for it is answered in full everywhere. */
enum dhcp_if_mode dhcp_if_mode(struct dhcp_ctx *x);
