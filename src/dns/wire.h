/* DNS message codec (RFC 1035, 2782, 3596, 6891): reads queries and
 * responses through the wire cursor, writes messages with name compression.
 * It knows bytes, not policy: nothing here has heard of a zone or a cache.
 *
 * Names are kept in uncompressed wire form (length-prefixed labels ending
 * with the root label), at most 255 bytes. Reading a name follows
 * compression pointers only strictly backwards (each jump lands before the
 * previous one), so loops are impossible; labels over 63 bytes, the
 * reserved label types and names over 255 bytes are errors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/wire.h"

#define DNS_HDR_LEN    12
#define DNS_NAME_MAX   255
#define DNS_LABEL_MAX  63
#define DNS_LABELS_MAX 128
#define DNS_UDP_MIN    512   /* RFC 1035 4.2.1: the payload every client accepts */
#define DNS_MSG_MAX    65535 /* over TCP */
#define DNS_COMP_MAX   48    /* name positions remembered for compression */

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_MD = 3,
	DNS_T_MF = 4,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_MB = 7,
	DNS_T_MG = 8,
	DNS_T_MR = 9,
	DNS_T_PTR = 12,
	DNS_T_HINFO = 13,
	DNS_T_MINFO = 14,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_RP = 17,
	DNS_T_AFSDB = 18,
	DNS_T_RT = 21,
	DNS_T_PX = 26,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_KX = 36,
	DNS_T_OPT = 41,
	DNS_T_TSIG = 250,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};

enum dns_class { DNS_C_IN = 1, DNS_C_CH = 3, DNS_C_ANY = 255 };

enum dns_rcode {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_BADVERS = 16, /* extended: upper 8 bits in the OPT record (RFC 6891 6.1.3) */
};

enum dns_section { DNS_SEC_AN = 0, DNS_SEC_NS = 1, DNS_SEC_AR = 2 };

/* Header flags, the second 16-bit word. */
#define DNS_F_QR     0x8000
#define DNS_F_OPCODE 0x7800
#define DNS_F_AA     0x0400
#define DNS_F_TC     0x0200
#define DNS_F_RD     0x0100
#define DNS_F_RA     0x0080
#define DNS_F_Z      0x0040
#define DNS_F_AD     0x0020
#define DNS_F_CD     0x0010
#define DNS_F_RCODE  0x000f

#define DNS_EDNS_DO 0x8000 /* in the OPT TTL's low 16 bits */

struct dns_name {
	uint8_t len;                   /* bytes in b, including the root label; 0: no name */
	uint8_t n_labels;              /* not counting the root */
	uint8_t label[DNS_LABELS_MAX]; /* offset of each label's length byte in b */
	uint8_t b[DNS_NAME_MAX];
};

/* Reads a possibly compressed name at the cursor (which moves past it,
 * i.e. past its first pointer). Returns 0, or -EBADMSG (the cursor's error
 * is set too) for a name that is truncated, loops, points forward or past
 * the end, has a reserved label type, a label over 63 or a total over 255. */
int dns_name_read(struct wire *w, struct dns_name *ret);
/* Lower-cases ASCII letters of a wire name of len bytes into out (labels' length bytes never
 * contain letters' values in a way that matters: they are copied unchanged). */
void dns_name_lower(const struct dns_name *n, uint8_t *out);
/* Case-insensitive equality of two wire names of the given lengths. */
bool dns_name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Text "a.b.c" (or "a.b.c.", "." for the root) -> wire form; returns the
 * length or -EINVAL (empty label, label over 63, name over 255). */
int dns_name_from_text(const char *text, uint8_t out[static DNS_NAME_MAX]);
/* Wire name -> "a.b.c" (no trailing dot; "." for the root); unprintable bytes
 * as \DDD. Returns out. */
char *dns_name_to_text(const uint8_t *name, char *out, size_t outlen);

/* A query as read by dns_query_parse(). */
struct dns_query {
	uint16_t id, flags;
	uint16_t counts[4]; /* QD, AN, NS, AR */
	bool has_question;
	struct dns_name qname;       /* as asked, case kept */
	uint8_t lname[DNS_NAME_MAX]; /* qname in lower case */
	uint16_t qtype, qclass;
	bool edns;            /* an OPT record was present */
	uint8_t edns_version; /* as sent */
	bool edns_do;         /* DNSSEC OK (RFC 3225), echoed */
	uint16_t edns_udp;    /* the requestor's payload size, at least 512 */
};

/* Reads a query. Returns 0 for a well-formed standard query; -EBADMSG when
 * it must be dropped (shorter than a header, or a response: QR set); or a
 * positive rcode the answer must carry: DNS_R_FORMERR (question missing or
 * malformed, counts that lie, a bad OPT record), DNS_R_NOTIMP (an opcode
 * other than QUERY, whatever follows the header), DNS_R_BADVERS (EDNS
 * version above 0). q->has_question and q->edns say whether the question
 * and a well-formed OPT could be read, for the answer to repeat them. */
int dns_query_parse(const uint8_t *pkt, size_t len, struct dns_query *q);

/* One resource record of a message, as read by dns_msg_next(). */
struct dns_rr {
	int section; /* enum dns_section */
	struct dns_name owner;
	uint16_t type, cls;
	uint32_t ttl;
	size_t ttl_off;    /* offset of the TTL field in the message */
	struct wire rdata; /* the rdata; ->start is the message, for compression pointers */
};

/* Walks the records of a message after its question. */
struct dns_msg_iter {
	struct wire w;
	uint16_t left[3];
	int section;
};

/* Reads header and question of a message (query or response) into q-like
 * fields and positions it at the first record. Returns 0 or -EBADMSG
 * (shorter than a header, QDCOUNT not 1, question malformed). */
int dns_msg_begin(struct dns_msg_iter *it, const uint8_t *msg, size_t len, uint16_t *ret_id,
                  uint16_t *ret_flags, struct dns_name *ret_qname, uint16_t *ret_qtype,
                  uint16_t *ret_qclass);
/* The next record: 1 and *rr, 0 at the end, -EBADMSG when the message
 * is malformed or its counts promise more than it holds. */
int dns_msg_next(struct dns_msg_iter *it, struct dns_rr *rr);

/* A message's header (RFC 1035 4.1.1). */
struct dns_header {
	uint16_t id, flags;
	uint16_t counts[4]; /* QD, AN, NS, AR */
};

/* Reads the header of a message. Returns 0, or -EBADMSG when the message
 * is shorter than a header. */
int dns_header_read(const uint8_t *msg, size_t len, struct dns_header *ret);
/* Positions it at the first record of a message after all its questions,
 * however many: for a client reading a response, which a server answering
 * FORMERR or REFUSED may send with no question (dns_msg_begin wants exactly
 * one). Returns 0 or -EBADMSG (shorter than a header, a question malformed
 * or cut short). */
int dns_msg_skip_questions(struct dns_msg_iter *it, const uint8_t *msg, size_t len);

/* ---- writing */

struct dns_writer {
	struct wbuf b;
	uint16_t counts[4]; /* QD, AN, NS, AR written */
	size_t n_comp;
	struct dns_comp {
		uint16_t off; /* a label written uncompressed ... */
		uint8_t len;  /* ... and the bytes from it to the name's end */
	} comp[DNS_COMP_MAX];
};

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap);
/* Header with zero counts; dns_writer_finish() fills them in. */
void dns_write_header(struct dns_writer *w, uint16_t id, uint16_t flags);
void dns_write_question(struct dns_writer *w, const uint8_t *name, uint16_t type, uint16_t cls);
/* A wire name, compressed against the names written before when compress. */
void dns_write_name(struct dns_writer *w, const uint8_t *name, bool compress);
/* Starts a record (owner compressed); returns the offset of its RDLENGTH
 * for dns_rr_end(), which fills it in and counts the record. */
size_t dns_rr_begin(struct dns_writer *w, int section, const uint8_t *owner, uint16_t type,
                    uint16_t cls, uint32_t ttl);
void dns_rr_end(struct dns_writer *w, int section, size_t rdlen_off);
/* Copies the rdata of a record read from another message; names inside
 * the rdata of the types RFC 3597 4 lists are decompressed, and compressed
 * again for the RFC 1035 types. Fails (-EBADMSG on w->b.err) when the
 * rdata does not hold what its type says. */
void dns_write_rdata(struct dns_writer *w, const struct dns_rr *rr);
/* An OPT record (RFC 6891): our payload size, extended rcode bits and DO. */
void dns_write_opt(struct dns_writer *w, uint16_t udp, uint8_t ext_rcode, bool do_bit);
/* Fills in the counts; returns the message length, or a negative errno
 * (-ENOSPC: did not fit). */
int dns_writer_finish(struct dns_writer *w);
