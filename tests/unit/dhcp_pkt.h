/* Builds DHCP requests for tests, byte by byte as RFC 2131 lays them out. */
#pragma once

#include <stdint.h>
#include <string.h>

#include "dhcp/wire.h"

struct pkt {
	uint8_t b[1500];
	size_t n;
};

/* A BOOTREQUEST header from mac (6 bytes) with the magic cookie. */
static inline void pkt_init(struct pkt *p, const uint8_t mac[6], uint32_t xid)
{
	memset(p, 0, sizeof *p);
	p->b[0] = 1; /* BOOTREQUEST */
	p->b[1] = 1; /* Ethernet */
	p->b[2] = 6;
	p->b[4] = (uint8_t) (xid >> 24);
	p->b[5] = (uint8_t) (xid >> 16);
	p->b[6] = (uint8_t) (xid >> 8);
	p->b[7] = (uint8_t) xid;
	memcpy(p->b + 28, mac, 6);
	p->b[236] = 99;
	p->b[237] = 130;
	p->b[238] = 83;
	p->b[239] = 99;
	p->n = 240;
}

static inline void pkt_u32_at(struct pkt *p, size_t off, uint32_t v)
{
	p->b[off] = (uint8_t) (v >> 24);
	p->b[off + 1] = (uint8_t) (v >> 16);
	p->b[off + 2] = (uint8_t) (v >> 8);
	p->b[off + 3] = (uint8_t) v;
}

static inline void pkt_opt(struct pkt *p, uint8_t code, const void *data, uint8_t len)
{
	p->b[p->n++] = code;
	p->b[p->n++] = len;
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

static inline void pkt_opt_u32(struct pkt *p, uint8_t code, uint32_t v)
{
	uint8_t x[4] = {(uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8), (uint8_t) v};
	pkt_opt(p, code, x, 4);
}

static inline void pkt_type(struct pkt *p, uint8_t type)
{
	pkt_opt(p, DHCP_OPT_MSG_TYPE, &type, 1);
}

static inline void pkt_end(struct pkt *p)
{
	p->b[p->n++] = 255;
	if (p->n < 300)
		p->n = 300;
}
