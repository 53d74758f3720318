/* The device registry: every machine netbay has seen or been told about,
 * by MAC, with what its DHCP packets revealed (architecture from option 93,
 * SMBIOS UUID from option 97) and what the admin assigned (name).
 *
 * In memory for now; issue 5 makes it durable (store), adds groups with
 * boot profiles, approval state and UUID conflict handling. Lookups are by
 * MAC; a device's record is what PXE decisions and per-device iPXE scripts
 * read on every request, so a change applies to the next packet. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

struct hosts;
struct store;

#define REGISTRY_NAME_MAX    64
#define REGISTRY_UUID_STRLEN 37 /* 8-4-4-4-12 hex and NUL */

struct registry_device {
	struct hwaddr mac;
	char name[REGISTRY_NAME_MAX];    /* "" when unnamed */
	char uuid[REGISTRY_UUID_STRLEN]; /* "" when unknown or a placeholder */
	int arch;                        /* RFC 4578 option 93 value; -1 unknown */
	uint32_t ip;                     /* last address seen; 0 unknown */
	int64_t first_seen, last_seen;   /* wall seconds */
};

struct registry;

struct registry *registry_new(struct store *store, struct hosts *hosts);
void registry_free(struct registry *r);

/* The device with this MAC, or NULL. Valid until the next change. */
const struct registry_device *registry_get(const struct registry *r, const struct hwaddr *mac);

/* Records what a DHCP packet revealed; creates the device on first sight.
 * arch < 0 and uuid NULL leave those fields as they were. */
int registry_seen(struct registry *r, const struct hwaddr *mac, uint32_t ip, int arch,
                  const uint8_t uuid[16]);

/* Formats a 16-byte SMBIOS UUID as text (RFC 4122 layout, the byte order
 * option 97 carries). */
char *registry_uuid_fmt(const uint8_t uuid[16], char buf[static REGISTRY_UUID_STRLEN]);
