/* The device registry: the machines netbay network-boots, what they are
 * (MACs, SMBIOS UUID, architecture), what the admin decided (name, group,
 * approval, notes, profile overrides), and the boot profile that follows.
 *
 * Devices live in memory (lookups on every DHCP and HTTP boot request) and
 * in the store; every admin change is committed before the call returns.
 * Plain DHCP clients that never network-boot are not devices: their names
 * and addresses are in the lease table and hosts.
 *
 * Identity. A device is found by MAC. A SMBIOS UUID (option 97) that is
 * not a placeholder is used only to attach a MAC to a registered device
 * that has none yet (imported by UUID). A UUID seen on a MAC of another
 * device marks that UUID as conflicting: both devices are flagged, the
 * conflict is logged and journaled, and from then on the UUID is ignored
 * everywhere (devices are looked up by MAC only).
 *
 * Policy for a booting client no device matches, [dhcp] unknown-devices:
 * ignore (not recorded, no boot file), pending (recorded as pending, no
 * boot file until approved), approve (recorded as approved in
 * [dhcp] default-group). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/boot.h"
#include "core/util.h"
#include "journal/journal.h"

struct conf;
struct conf_group;
struct hosts;
struct journal;
struct store;

#define REGISTRY_NAME_MAX    64
#define REGISTRY_UUID_STRLEN 37 /* 8-4-4-4-12 hex and NUL */
#define REGISTRY_MAX_MACS    8
#define REGISTRY_NOTES_MAX   256
#define REGISTRY_FILE_MAX    256

enum registry_state { REGISTRY_PENDING = 0, REGISTRY_APPROVED = 1, REGISTRY_REJECTED = 2 };

/* A boot profile: loaders per firmware and the iPXE template ("" in a
 * field: inherit), and the DHCP settings that differ (0 / empty: inherit). */
struct registry_profile {
	struct boot_loaders loaders;
	char ipxe_template[REGISTRY_FILE_MAX];
	uint32_t lease_sec;
	uint32_t dns[4];
	size_t n_dns;
	char domain[254];
};

struct registry_device {
	uint64_t id;      /* stable, from the store */
	uint64_t version; /* bumped by every change: compare-and-set for the API */
	struct hwaddr macs[REGISTRY_MAX_MACS];
	size_t n_macs;
	char name[REGISTRY_NAME_MAX];    /* "" when unnamed; unique */
	char uuid[REGISTRY_UUID_STRLEN]; /* "" when unknown or a placeholder */
	bool uuid_conflict;              /* its UUID was seen on another device's MAC */
	char group[REGISTRY_NAME_MAX];   /* "" : no group */
	int state;                       /* enum registry_state */
	char notes[REGISTRY_NOTES_MAX];
	int arch;                        /* RFC 4578 option 93 value last seen; -1 unknown */
	uint32_t ip;                     /* last address seen; 0 unknown */
	int64_t first_seen, last_seen;   /* wall seconds; 0 never */
	struct registry_profile profile; /* the device's own overrides */
	int64_t seen_stored;             /* the registry's own: when last_seen was last stored */
};

/* Fields of an add or update: what is set is applied, the rest kept. */
enum {
	REGISTRY_F_MACS = 1 << 0,
	REGISTRY_F_NAME = 1 << 1,
	REGISTRY_F_UUID = 1 << 2,
	REGISTRY_F_GROUP = 1 << 3,
	REGISTRY_F_STATE = 1 << 4,
	REGISTRY_F_NOTES = 1 << 5,
	REGISTRY_F_PROFILE = 1 << 6,
};

struct registry_change {
	unsigned fields;          /* REGISTRY_F_* */
	uint64_t expect_version;  /* 0: any; else the change applies only to this version */
	struct registry_device d; /* the new values of the fields set */
};

struct registry;

/* Loads the devices from the store. hosts gets the named devices' names
 * (published by address when known). Returns 0 or -errno. */
int registry_open(struct store *store, struct hosts *hosts, struct journal *journal,
                  struct registry **ret);
void registry_free(struct registry *r);
/* The config's groups and policy; kept by pointer until the next call. */
void registry_set_conf(struct registry *r, const struct conf *c);

/* ---- lookups (valid until the next change) */
const struct registry_device *registry_get(const struct registry *r, const struct hwaddr *mac);
const struct registry_device *registry_get_id(const struct registry *r, uint64_t id);
/* By MAC (any notation), name (case-insensitive) or "#ID". */
const struct registry_device *registry_find(const struct registry *r, const char *key);
size_t registry_count(const struct registry *r);
void registry_foreach(const struct registry *r,
                      void (*fn)(const struct registry_device *d, void *data), void *data);
const struct conf_group *registry_group(const struct registry *r, const char *name);

/* The journal's keep callback (journal_persist; data: the registry): the
 * events of a registry device, and the TFTP and HTTP events of any known
 * MAC, go to the store. A plain DHCP client costs a hash lookup. */
bool registry_journal_keep(enum journal_kind k, const struct hwaddr *mac, void *data);

/* ---- booting clients: DHCP and HTTP ask here on every request */

enum registry_verdict {
	REGISTRY_BOOT,    /* boot with the profile */
	REGISTRY_WAIT,    /* pending approval: no boot file */
	REGISTRY_DENY,    /* rejected */
	REGISTRY_UNKNOWN, /* no device and the policy is ignore */
};

struct registry_boot {
	enum registry_verdict verdict;
	const struct registry_device *dev; /* NULL for REGISTRY_UNKNOWN */
	struct registry_profile profile;   /* [boot]/[http] defaults <- group <- device */
	const char *why;                   /* a sentence for logs and the journal */
};

/* A booting client showed up (DHCP): finds or creates its device by the
 * policy, records what the packet revealed (arch < 0, uuid NULL, ip 0:
 * unknown), and says what it may boot. */
int registry_boot_seen(struct registry *r, const struct hwaddr *mac, uint32_t ip, int arch,
                       const uint8_t uuid[16], struct registry_boot *out);
/* The same decision without recording anything (HTTP's script requests). */
void registry_boot_for(const struct registry *r, const struct hwaddr *mac,
                       struct registry_boot *out);

/* ---- admin changes: validated as a whole, applied and committed, or
 * nothing happens. Return 0 (ret_id set by add), or -EINVAL (bad value),
 * -EEXIST (name or MAC taken), -ENOENT (no such device or group),
 * -ESTALE (expect_version did not match), -errno from the store; err says
 * which field and why. */
int registry_add(struct registry *r, const struct registry_change *c, uint64_t *ret_id, char *err,
                 size_t errlen);
int registry_update(struct registry *r, uint64_t id, const struct registry_change *c, char *err,
                    size_t errlen);
int registry_remove(struct registry *r, uint64_t id, char *err, size_t errlen);
/* Adds or updates every row in one transaction: all or nothing. A row
 * updates the device holding one of its MACs, else the one with its UUID
 * (unless that UUID is in conflict), else it adds an approved device.
 * Every row is checked, against the registry and the rows before it (a
 * MAC, name or UUID twice in the rows, two rows for one device); bad(row
 * index, the earlier row it clashes with or SIZE_MAX, -errno, why, data)
 * is called for each bad one. With
 * REGISTRY_IMPORT_DRY_RUN nothing is stored whatever the outcome. Returns
 * the number of devices added (or that would be), or the -errno of the
 * first bad row (err: "row N: why", with how many more were bad). */
#define REGISTRY_IMPORT_DRY_RUN 1u
typedef void (*registry_bad_row_fn)(size_t row, size_t other, int code, const char *why,
                                    void *data);
int registry_import(struct registry *r, const struct registry_change *rows, size_t n,
                    unsigned flags, registry_bad_row_fn bad, void *data, char *err, size_t errlen);

/* ---- UUIDs */

/* Parses a UUID in 8-4-4-4-12 form (any case) or 32 hex digits. swap: the
 * text is in SMBIOS order (first three fields little-endian) and is
 * converted to the wire order option 97 carries. Returns 0 or -EINVAL. */
int registry_uuid_parse(const char *s, bool swap, uint8_t ret[16]);
char *registry_uuid_fmt(const uint8_t uuid[16], char buf[static REGISTRY_UUID_STRLEN]);
/* The boards' default UUIDs that identify nothing (all zeros, all FF,
 * 03000200-0400-0500-0006-000700080009, ...): the one list. */
bool registry_uuid_placeholder(const uint8_t uuid[16]);

/* The profile's set fields as a JSON object (config key names); NULL on
 * allocation failure. The caller owns the reference. */
struct json_t;
struct json_t *registry_profile_json(const struct registry_profile *p);

const char *registry_state_name(int state);
int registry_state_parse(const char *s);
