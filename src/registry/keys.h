/* Which row first holds a key: a MAC, a name (case-insensitive), a UUID or
 * a pointer. The registry's import checks each row against the rows before
 * it and against the table with these, in near-linear time, instead of
 * comparing every row with every other. Keys are not copied: they must
 * outlive the set. Internal to src/registry/. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum registry_key_kind {
	REGISTRY_KEY_MAC = 1,  /* 6 bytes */
	REGISTRY_KEY_NAME,     /* a C string, compared case-insensitively */
	REGISTRY_KEY_UUID,     /* a C string */
	REGISTRY_KEY_CONFLICT, /* a UUID string flagged as shared */
	REGISTRY_KEY_PTR,      /* the pointer value itself */
};

struct registry_keys {
	struct registry_key_slot *slot;
	size_t cap, n; /* cap: a power of two, or 0 */
};

/* The value stored with kind/key, or SIZE_MAX when none is. */
size_t registry_keys_find(const struct registry_keys *k, int kind, const void *key);
/* Stores value under kind/key unless a value is there already (the first
 * one stays). Returns 0 or -ENOMEM. */
int registry_keys_add(struct registry_keys *k, int kind, const void *key, size_t value);
void registry_keys_done(struct registry_keys *k);
