/* Open addressing with linear probing, doubled at half load. */
#include "registry/keys.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct registry_key_slot {
	uint64_t hash;
	const void *key;
	size_t value;
	int kind; /* 0: empty */
};

static uint64_t key_hash(int kind, const void *key)
{
	char low[256];
	size_t n = 0;
	switch (kind) {
	case REGISTRY_KEY_MAC:
		return nb_hash(key, 6, (uint64_t) kind);
	case REGISTRY_KEY_NAME:
		for (const char *s = key; *s && n < sizeof low; s++)
			low[n++] = (char) (*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
		return nb_hash(low, n, (uint64_t) kind);
	case REGISTRY_KEY_PTR:
		return nb_hash(&key, sizeof key, (uint64_t) kind);
	default:
		return nb_hash(key, strlen(key), (uint64_t) kind);
	}
}

static bool key_equal(int kind, const void *a, const void *b)
{
	switch (kind) {
	case REGISTRY_KEY_MAC:
		return memcmp(a, b, 6) == 0;
	case REGISTRY_KEY_NAME:
		return nb_streq_nocase(a, b);
	case REGISTRY_KEY_PTR:
		return a == b;
	default:
		return strcmp(a, b) == 0;
	}
}

static struct registry_key_slot *probe(const struct registry_keys *k, int kind, const void *key,
                                       uint64_t h)
{
	for (size_t i = h & (k->cap - 1);; i = (i + 1) & (k->cap - 1)) {
		struct registry_key_slot *s = &k->slot[i];
		if (!s->kind || (s->kind == kind && s->hash == h && key_equal(kind, s->key, key)))
			return s;
	}
}

size_t registry_keys_find(const struct registry_keys *k, int kind, const void *key)
{
	if (!k->cap)
		return SIZE_MAX;
	struct registry_key_slot *s = probe(k, kind, key, key_hash(kind, key));
	return s->kind ? s->value : SIZE_MAX;
}

static int grow(struct registry_keys *k)
{
	size_t cap = k->cap ? k->cap * 2 : 64;
	struct registry_keys bigger = {.slot = calloc(cap, sizeof *bigger.slot), .cap = cap};
	if (!bigger.slot)
		return -ENOMEM;
	for (size_t i = 0; i < k->cap; i++)
		if (k->slot[i].kind)
			*probe(&bigger, k->slot[i].kind, k->slot[i].key, k->slot[i].hash) =
			        k->slot[i];
	bigger.n = k->n;
	free(k->slot);
	*k = bigger;
	return 0;
}

int registry_keys_add(struct registry_keys *k, int kind, const void *key, size_t value)
{
	if (2 * (k->n + 1) > k->cap && grow(k) < 0)
		return -ENOMEM;
	uint64_t h = key_hash(kind, key);
	struct registry_key_slot *s = probe(k, kind, key, h);
	if (s->kind)
		return 0; /* the first holder stays */
	*s = (struct registry_key_slot){.hash = h, .key = key, .value = value, .kind = kind};
	k->n++;
	return 0;
}

void registry_keys_done(struct registry_keys *k)
{
	free(k->slot);
	*k = (struct registry_keys){0};
}
