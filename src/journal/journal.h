/* The boot journal: every step of a device's network boot as a typed fact
 * with a stable dotted name raised at one place ("dhcp.offer",
 * "tftp.file_missing"), kept in a bounded ring per device.
 *
 * A fact is data: its kind, the device, and the fields of its kind (the
 * architecture, the file, the HTTP status, the TFTP block...). The human
 * detail line ("file=\"x.efi\" (no such file)") is made from the fields by
 * one formatter, journal_format(); nothing reads it back. The diagnosis
 * rules, the API and the store read the fields.
 *
 * Events are keyed by MAC. A module that only knows the client's address
 * (TFTP, HTTP) passes mac = NULL and the journal finds the MAC through the
 * mac_of callback (the hosts table), then the kernel's neighbour table;
 * when nobody knows the address, the event is kept under the address alone.
 *
 * The journal is a leaf above core/ and store/: which MAC an address has
 * and which events are worth a store write are callbacks' decisions
 * (journal_new, journal_persist), the registry's in the daemon. The
 * diagnosis over events is diag/'s. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct json_t;
struct store;

#define JOURNAL_DETAIL_MAX  120
#define JOURNAL_NAME_MAX    32
#define JOURNAL_RING        32   /* events kept per device */
#define JOURNAL_DEVICES     2048 /* devices in memory; the least recently active goes first */
#define JOURNAL_KEEP        500  /* events kept per device in the store */
#define JOURNAL_PRUNE_EVERY 50   /* a device's stored events are trimmed after this many more */

/* The stable event names, journal_kind_name(): the external contract
 * (docs/journal.md, the API, the store). */
enum journal_kind {
	JOURNAL_OTHER = 0, /* a name this version does not know (read from the store) */
	JOURNAL_DHCP_DISCOVER,
	JOURNAL_DHCP_OFFER,
	JOURNAL_DHCP_REQUEST,
	JOURNAL_DHCP_ACK,
	JOURNAL_DHCP_NAK,
	JOURNAL_DHCP_OTHER_SERVER,
	JOURNAL_DHCP_DECLINE,
	JOURNAL_DHCP_DECLINE_REFUSED,
	JOURNAL_DHCP_RELEASE,
	JOURNAL_DHCP_RELEASE_REFUSED,
	JOURNAL_DHCP_INFORM,
	JOURNAL_DHCP_NAME_REFUSED,
	JOURNAL_DHCP_NO_ADDRESS,
	JOURNAL_DHCP_PROXY_REQUEST,
	JOURNAL_DHCP_FOREIGN_SERVER,
	JOURNAL_PXE_BOOT,
	JOURNAL_PXE_NO_BOOT,
	JOURNAL_REGISTRY_NEW,
	JOURNAL_REGISTRY_STATE,
	JOURNAL_REGISTRY_UUID_CONFLICT,
	JOURNAL_TFTP_REQUEST,
	JOURNAL_TFTP_FILE_MISSING,
	JOURNAL_TFTP_REFUSED,
	JOURNAL_TFTP_BUSY,
	JOURNAL_TFTP_ERROR,
	JOURNAL_TFTP_TIMEOUT,
	JOURNAL_TFTP_COMPLETE,
	JOURNAL_HTTP_FETCH,
	JOURNAL_HTTP_FILE_MISSING,
	JOURNAL_HTTP_FILE_UNREADABLE,
	JOURNAL_HTTP_REFUSED,
	JOURNAL_HTTP_ERROR,
	JOURNAL_HTTP_IPXE_SCRIPT,
	JOURNAL_HTTP_IPXE_WAIT,
	JOURNAL_KINDS
};

/* "dhcp.discover", ...; "" for JOURNAL_OTHER. */
const char *journal_kind_name(enum journal_kind k);
/* The kind of a stable name; JOURNAL_OTHER for any other. */
enum journal_kind journal_kind_parse(const char *name);

/* Why something did not happen, in a word the rules can test. */
enum journal_cause {
	JOURNAL_CAUSE_NONE = 0,
	JOURNAL_CAUSE_PENDING,   /* the device waits for an admin's approval */
	JOURNAL_CAUSE_REJECTED,  /* the device was rejected */
	JOURNAL_CAUSE_IGNORED,   /* unknown, and [dhcp] unknown-devices = ignore */
	JOURNAL_CAUSE_NO_LOADER, /* no loader configured for its architecture */
	JOURNAL_CAUSE_HTTP_OFF,  /* it boots over HTTP and [http] is off */
	JOURNAL_CAUSE_GUARD,     /* refused by the starvation guard */
	JOURNAL_CAUSE_ADMIN,     /* done by the admin (a lease released by hand) */
	JOURNAL_CAUSES
};
/* "pending", "rejected", ...; "" for NONE. */
const char *journal_cause_name(enum journal_cause c);

/* Which optional numbers a fact carries (the others of its kind always). */
enum {
	JOURNAL_HAS_BLKSIZE = 1u << 0,
	JOURNAL_HAS_TSIZE = 1u << 1,
	JOURNAL_HAS_TIMEOUT = 1u << 2,
	JOURNAL_HAS_WINDOWSIZE = 1u << 3,
	JOURNAL_HAS_OTHER_MAC = 1u << 4,
	JOURNAL_HAS_ID = 1u << 5,
};

#define JOURNAL_FILE_MAX   120
#define JOURNAL_REASON_MAX 96
#define JOURNAL_HOST_MAX   64
#define JOURNAL_WORD_MAX   16

/* What an emitter says happened. Strings are borrowed (copied, cut to the
 * sizes above); NULL and 0 are "not said". Which fields a kind carries is
 * docs/journal.md's table. */
struct journal_fact {
	enum journal_kind kind;
	const struct hwaddr *mac; /* NULL: found by ip (TFTP, HTTP) */
	uint32_t ip;              /* the client's address the event is about; 0 unknown */
	unsigned has;             /* JOURNAL_HAS_*: the optional numbers that are set */
	enum journal_cause cause;
	int arch;                /* RFC 4578 option 93 value; -1 unknown (pxe.*) */
	bool ipxe;               /* the client is iPXE */
	bool http;               /* the client boots over HTTP (UEFI HTTP boot) */
	const char *file;        /* a boot file, requested path or URL */
	const char *reason;      /* why, in words */
	const char *host;        /* a host or device name */
	const char *uuid;        /* a SMBIOS UUID */
	const char *iface;       /* an interface name */
	const char *method;      /* HTTP method; TFTP "read"/"write"; DHCP message type */
	const char *state;       /* DHCP client state, registry state, TFTP mode */
	const char *was;         /* the state before */
	uint32_t server;         /* another DHCP server */
	uint32_t relay;          /* the relay a request came through (giaddr) */
	uint32_t subnet;         /* a subnet's address ... */
	uint32_t prefix;         /* ... and prefix length */
	struct hwaddr other_mac; /* another device's MAC */
	uint64_t id;             /* a device #ID */
	unsigned status;
	uint64_t bytes, range_start, range_end, size, block, tsize;
	unsigned retries, timeouts, blksize, windowsize, timeout_sec, seconds, port, transfers;
	int64_t ms;
};

/* A fact as kept: the same fields with strings of their own. */
struct journal_fields {
	enum journal_kind kind;
	enum journal_cause cause;
	unsigned has;
	int arch;
	bool ipxe, http;
	char file[JOURNAL_FILE_MAX], reason[JOURNAL_REASON_MAX], host[JOURNAL_HOST_MAX];
	char uuid[40], iface[JOURNAL_WORD_MAX], method[JOURNAL_WORD_MAX], state[JOURNAL_WORD_MAX],
	        was[JOURNAL_WORD_MAX];
	uint32_t server, relay, subnet, prefix;
	struct hwaddr other_mac;
	uint64_t id;
	unsigned status;
	uint64_t bytes, range_start, range_end, size, block, tsize;
	unsigned retries, timeouts, blksize, windowsize, timeout_sec, seconds, port, transfers;
	int64_t ms;
};

/* An event read back: from the ring or the store, with its own strings. */
struct journal_entry {
	int64_t time_ms;
	struct hwaddr mac;
	uint32_t ip;
	char name[JOURNAL_NAME_MAX];     /* journal_kind_name(f.kind), or a stored other name */
	char detail[JOURNAL_DETAIL_MAX]; /* journal_format()'s line */
	struct journal_fields f;
};

struct journal;

/* The MAC behind a client's address, when who passed journal_new() knows
 * it (the leases and reservations): true with *ret set. */
typedef bool (*journal_mac_fn)(uint32_t ip, struct hwaddr *ret, void *data);

/* mac_of may be NULL: then only the kernel's neighbour table names an
 * address's MAC. */
struct journal *journal_new(journal_mac_fn mac_of, void *data);
void journal_free(struct journal *j);

/* Whether an event of kind k about mac (never zero) goes to the store. */
typedef bool (*journal_keep_fn)(enum journal_kind k, const struct hwaddr *mac, void *data);

/* From now on events keep() accepts are also written into st's current
 * batch (the loop commits it once per turn). Each device's stored events
 * are trimmed to the newest JOURNAL_KEEP, one DELETE per
 * JOURNAL_PRUNE_EVERY events; journal_read() reads st too. st and data
 * are kept by pointer; NULL keep: nothing is written; NULL st: memory only
 * (again). NULL-safe. */
void journal_persist(struct journal *j, struct store *st, journal_keep_fn keep, void *data);

/* Records one fact. */
void journal_emit(struct journal *j, const struct journal_fact *f);

/* Calls fn for the events kept in memory for mac, oldest first; returns how many. */
size_t journal_foreach(const struct journal *j, const struct hwaddr *mac,
                       void (*fn)(const struct journal_entry *e, void *data), void *data);

/* The newest max events of the n_macs MACs (one device's), oldest first:
 * those in the store and those only in memory, merged by time. Returns
 * how many, with *ret (the caller frees it; NULL when none), or -errno.
 * A NULL j has no events. */
int journal_read(struct journal *j, const struct hwaddr *macs, size_t n_macs, size_t max,
                 struct journal_entry **ret);

/* ---- fact.c: the one formatter and the fields as JSON */

/* Copies a fact's fields (strings cut to their sizes). */
void journal_fields_set(struct journal_fields *out, const struct journal_fact *f);
/* The fields in a few bytes (at most n) and back: strings that do not
 * fit are cut. Returns the bytes used. */
size_t journal_fields_pack(const struct journal_fields *f, uint8_t *out, size_t n);
void journal_fields_unpack(const uint8_t *in, size_t n, struct journal_fields *f);
/* The detail line of an event: ip and mac are the event's. Quotes and
 * bytes that are not printable ASCII in file names are written \xNN. */
void journal_format(const struct journal_fields *f, uint32_t ip, const struct hwaddr *mac,
                    char *out, size_t n);
/* The fields of f's kind as members of obj ("file", "status", ...; the
 * keys docs/journal.md lists). Returns 0 or -ENOMEM. */
int journal_fields_json(const struct journal_fields *f, struct json_t *obj);
/* The fields back from such an object (unknown members ignored); kind is
 * the caller's. */
void journal_fields_from_json(struct json_t *obj, struct journal_fields *f);
