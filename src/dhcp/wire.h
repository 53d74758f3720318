/* DHCPv4 message codec (RFC 2131, 2132, 3396): bytes to struct dhcp_msg and
 * back. Knows nothing of leases or policy.
 *
 * Parsing keeps views into the packet (valid while the packet buffer is);
 * options repeated in the packet are concatenated (RFC 3396) into the
 * message's own buffer. Options in `file` and `sname` are read when option
 * 52 says they are overloaded; an option 52 found there is ignored, so an
 * overload can never point at itself. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/wire.h"

#define DHCP_SERVER_PORT    67
#define DHCP_CLIENT_PORT    68
#define DHCP_PXE_PORT       4011
#define DHCP_HDR_LEN        236  /* fixed BOOTP header */
#define DHCP_MIN_REQUEST    240  /* header + magic cookie */
#define DHCP_MIN_REPLY      300  /* BOOTP minimum; replies are padded to it */
#define DHCP_MAX_PACKET     1500 /* what we read and what we ever send */
#define DHCP_MAGIC          0x63825363u
#define DHCP_BROADCAST_FLAG 0x8000
#define DHCP_CONCAT_MAX     2048 /* room for RFC 3396 concatenated options */

enum dhcp_op { DHCP_BOOTREQUEST = 1, DHCP_BOOTREPLY = 2 };

enum dhcp_msg_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

enum dhcp_opt {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15,
	DHCP_OPT_MTU = 26,
	DHCP_OPT_BROADCAST = 28,
	DHCP_OPT_NTP = 42,
	DHCP_OPT_VENDOR = 43,
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PARAM_LIST = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_SIZE = 57,
	DHCP_OPT_T1 = 58,
	DHCP_OPT_T2 = 59,
	DHCP_OPT_VENDOR_CLASS = 60,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_TFTP_SERVER = 66,
	DHCP_OPT_BOOTFILE = 67,
	DHCP_OPT_USER_CLASS = 77,
	DHCP_OPT_FQDN = 81,
	DHCP_OPT_RELAY_AGENT = 82,
	DHCP_OPT_CLIENT_ARCH = 93,
	DHCP_OPT_CLIENT_NDI = 94,
	DHCP_OPT_UUID = 97,
	DHCP_OPT_SEARCH = 119,
	DHCP_OPT_CLASSLESS_ROUTE = 121,
	DHCP_OPT_IPXE = 175,
	DHCP_OPT_END = 255,
};

/* A view of one option's body (after RFC 3396 concatenation). */
struct dhcp_opt_view {
	const uint8_t *p;
	uint16_t len;
	bool present;
};

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* host order */
	uint8_t chaddr[16];
	const uint8_t *sname; /* 64 bytes, or NULL when overloaded with options */
	const uint8_t *file;  /* 128 bytes, or NULL when overloaded with options */
	uint8_t type;         /* option 53; 0 when absent */
	struct dhcp_opt_view opt[256];
	uint8_t concat[DHCP_CONCAT_MAX];
	size_t concat_len;
};

/* Parses a BOOTREQUEST or BOOTREPLY. Returns 0, or -EBADMSG for a packet
 * that is truncated, lacks the magic cookie, has an option running past its
 * area, or concatenates more option bytes than fit. A missing END is
 * tolerated (many clients omit it when the options fill the packet). */
int dhcp_msg_parse(const uint8_t *data, size_t len, struct dhcp_msg *m);

static inline const struct dhcp_opt_view *dhcp_opt(const struct dhcp_msg *m, uint8_t code)
{
	return m->opt[code].present ? &m->opt[code] : NULL;
}
/* Reads an option of exactly 4 bytes (an address or a 32-bit number);
 * returns 0, -ENOENT when absent, -EBADMSG for another length. */
int dhcp_opt_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *ret);
int dhcp_opt_u16(const struct dhcp_msg *m, uint8_t code, uint16_t *ret);
int dhcp_opt_u8(const struct dhcp_msg *m, uint8_t code, uint8_t *ret);
/* Copies a text option into buf (NUL-terminated, at most n-1 bytes, stops
 * at an embedded NUL); returns its length, -ENOENT when absent. */
int dhcp_opt_str(const struct dhcp_msg *m, uint8_t code, char *buf, size_t n);
/* True when option 55 (parameter request list) asks for code. */
bool dhcp_opt_requested(const struct dhcp_msg *m, uint8_t code);
/* The client's FQDN (option 81, RFC 4702) as text, either encoding;
 * returns its length or -ENOENT / -EBADMSG. */
int dhcp_opt_fqdn(const struct dhcp_msg *m, char *buf, size_t n);

const char *dhcp_msg_type_name(uint8_t type);

/* Writing: the header of a reply to req, then options, then dhcp_write_end.
 * All through a sticky wbuf: a reply that does not fit is never sent. */
void dhcp_write_header(struct wbuf *b, const struct dhcp_msg *req, uint8_t op, uint32_t ciaddr,
                       uint32_t yiaddr, uint32_t siaddr, uint16_t flags, const char *sname,
                       const char *file);
/* One option; bodies over 255 bytes are split into consecutive instances
 * (RFC 3396). */
void dhcp_put_opt(struct wbuf *b, uint8_t code, const void *data, size_t len);
void dhcp_put_u8(struct wbuf *b, uint8_t code, uint8_t v);
void dhcp_put_u16(struct wbuf *b, uint8_t code, uint16_t v);
void dhcp_put_u32(struct wbuf *b, uint8_t code, uint32_t v);
void dhcp_put_addrs(struct wbuf *b, uint8_t code, const uint32_t *a, size_t n);
void dhcp_put_str(struct wbuf *b, uint8_t code, const char *s);
/* Option 119: domain names in DNS wire format, uncompressed (RFC 3397). */
void dhcp_put_search(struct wbuf *b, const char (*domains)[254], size_t n);
/* Option 121 (RFC 3442): one (dest/prefix, router) per route. */
struct dhcp_route {
	uint32_t dest, gw;
	uint8_t prefix;
};
void dhcp_put_routes(struct wbuf *b, const struct dhcp_route *r, size_t n);
/* END, then padding up to DHCP_MIN_REPLY. */
void dhcp_write_end(struct wbuf *b);

/* Re-encodes every option of m (for the fuzz round trip); returns length or -errno. */
int dhcp_msg_write(const struct dhcp_msg *m, uint8_t *buf, size_t cap);
