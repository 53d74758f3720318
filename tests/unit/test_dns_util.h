/* Helpers for the DNS unit tests: build a query, read an answer back into
 * text a test can compare. Queries are written field by field as RFC 1035
 * 4.1 lays them out; answers are read with the codec under test only after
 * its own tests (test_dns_wire.c) have pinned it down. */
#pragma once

#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/conf.h"
#include "dns/wire.h"

/* A query for name/type; edns_udp < 0: no OPT record. */
static inline size_t t_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type,
                             uint16_t flags, int edns_udp, bool do_bit, uint8_t version)
{
	uint8_t n[DNS_NAME_MAX];
	assert_true(dns_name_from_text(name, n) > 0);
	struct dns_writer w;
	dns_writer_init(&w, buf, cap);
	dns_write_header(&w, id, flags);
	dns_write_name(&w, n, false);
	wbuf_u16(&w.b, type);
	wbuf_u16(&w.b, DNS_C_IN);
	w.counts[0] = 1;
	if (edns_udp >= 0) {
		wbuf_u8(&w.b, 0);
		wbuf_u16(&w.b, DNS_T_OPT);
		wbuf_u16(&w.b, (uint16_t) edns_udp);
		wbuf_u8(&w.b, 0);
		wbuf_u8(&w.b, version);
		wbuf_u16(&w.b, do_bit ? DNS_EDNS_DO : 0);
		wbuf_u16(&w.b, 0);
		w.counts[3] = 1;
	}
	int len = dns_writer_finish(&w);
	assert_true(len > 0);
	return (size_t) len;
}

struct t_rr {
	int section;
	char owner[300];
	uint16_t type;
	uint32_t ttl;
	char data[600];
};

struct t_reply {
	uint16_t id, flags;
	int rcode; /* with the extended bits */
	char qname[300];
	uint16_t qtype;
	unsigned counts[4];
	bool opt, opt_do;
	uint16_t opt_udp;
	size_t n;
	struct t_rr rr[64];
};

static inline void t_rdata_text(const struct dns_rr *rr, char *out, size_t cap)
{
	struct wire r = rr->rdata;
	struct dns_name n, m;
	char a[300], b[300];
	out[0] = 0;
	switch (rr->type) {
	case DNS_T_A: {
		uint8_t ip[4];
		wire_bytes(&r, ip, 4);
		inet_ntop(AF_INET, ip, out, (socklen_t) cap);
		break;
	}
	case DNS_T_AAAA: {
		uint8_t ip[16];
		wire_bytes(&r, ip, 16);
		inet_ntop(AF_INET6, ip, out, (socklen_t) cap);
		break;
	}
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
		assert_int_equal(dns_name_read(&r, &n), 0);
		dns_name_to_text(n.b, out, cap);
		break;
	case DNS_T_MX: {
		uint16_t pref = wire_u16(&r);
		assert_int_equal(dns_name_read(&r, &n), 0);
		snprintf(out, cap, "%u %s", pref, dns_name_to_text(n.b, a, sizeof a));
		break;
	}
	case DNS_T_SRV: {
		uint16_t p = wire_u16(&r), wt = wire_u16(&r), port = wire_u16(&r);
		assert_int_equal(dns_name_read(&r, &n), 0);
		snprintf(out, cap, "%u %u %u %s", p, wt, port, dns_name_to_text(n.b, a, sizeof a));
		break;
	}
	case DNS_T_SOA: {
		assert_int_equal(dns_name_read(&r, &n), 0);
		assert_int_equal(dns_name_read(&r, &m), 0);
		uint32_t v[5];
		for (int i = 0; i < 5; i++)
			v[i] = wire_u32(&r);
		snprintf(out, cap, "%s %s %u %u %u %u %u", dns_name_to_text(n.b, a, sizeof a),
		         dns_name_to_text(m.b, b, sizeof b), v[0], v[1], v[2], v[3], v[4]);
		break;
	}
	case DNS_T_TXT:
	case DNS_T_HINFO: {
		size_t o = 0;
		while (wire_left(&r) > 0 && o + 260 < cap) {
			uint8_t l = wire_u8(&r);
			if (o)
				out[o++] = '|';
			wire_bytes(&r, out + o, l);
			o += l;
		}
		out[o] = 0;
		break;
	}
	default:
		snprintf(out, cap, "(%zu bytes)", wire_left(&r));
	}
	assert_int_equal(r.err, 0);
}

/* Reads an answer; fails the test when it is malformed. */
static inline void t_parse(const uint8_t *buf, size_t len, struct t_reply *p)
{
	struct dns_msg_iter it;
	struct dns_name qn;
	struct dns_rr rr;
	uint16_t qc;
	memset(p, 0, sizeof *p);
	struct wire w = wire_init(buf, len);
	uint16_t id = wire_u16(&w), flags = wire_u16(&w);
	for (int i = 0; i < 4; i++)
		p->counts[i] = wire_u16(&w);
	assert_int_equal(w.err, 0);
	if (p->counts[0] == 0) { /* FORMERR without a question */
		p->id = id;
		p->flags = flags;
		it = (struct dns_msg_iter){.w = w,
		                           .left = {p->counts[1], p->counts[2], p->counts[3]}};
	} else {
		assert_int_equal(
		        dns_msg_begin(&it, buf, len, &p->id, &p->flags, &qn, &p->qtype, &qc), 0);
		dns_name_to_text(qn.b, p->qname, sizeof p->qname);
	}
	p->rcode = p->flags & DNS_F_RCODE;
	int r;
	while ((r = dns_msg_next(&it, &rr)) == 1) {
		if (rr.type == DNS_T_OPT) {
			assert_false(p->opt);
			p->opt = true;
			p->opt_udp = rr.cls;
			p->opt_do = rr.ttl & DNS_EDNS_DO;
			p->rcode |= (int) (rr.ttl >> 24) << 4;
			continue;
		}
		assert_true(p->n < 64);
		struct t_rr *t = &p->rr[p->n++];
		t->section = rr.section;
		dns_name_to_text(rr.owner.b, t->owner, sizeof t->owner);
		t->type = rr.type;
		t->ttl = rr.ttl;
		t_rdata_text(&rr, t->data, sizeof t->data);
	}
	assert_int_equal(r, 0);
}

/* The first record of section sec and type, or NULL. */
static inline const struct t_rr *t_find(const struct t_reply *p, int sec, uint16_t type)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->rr[i].section == sec && p->rr[i].type == type)
			return &p->rr[i];
	return NULL;
}

static inline size_t t_count(const struct t_reply *p, int sec)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += p->rr[i].section == sec;
	return n;
}

static inline struct conf *t_conf(const char *text)
{
	struct conf_diag d = {0};
	struct conf *c = NULL;
	int r = conf_load_string(text, "t.conf", &d, &c);
	for (size_t i = 0; i < d.n; i++)
		print_message("conf: %s\n", d.msgs[i]);
	conf_diag_done(&d);
	assert_int_equal(r, 0);
	return c;
}
