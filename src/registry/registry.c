#include "registry/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	struct registry_device d;
	struct node *next;
};

struct registry {
	struct store *store;
	struct hosts *hosts;
	struct node **b;
	size_t nb, n;
};

struct registry *registry_new(struct store *store, struct hosts *hosts)
{
	struct registry *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->store = store;
	r->hosts = hosts;
	r->nb = 256;
	r->b = calloc(r->nb, sizeof *r->b);
	if (!r->b) {
		free(r);
		return NULL;
	}
	return r;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nb; i++)
		while (r->b[i]) {
			struct node *n = r->b[i];
			r->b[i] = n->next;
			free(n);
		}
	free(r->b);
	free(r);
}

static size_t slot(const struct registry *r, const struct hwaddr *mac)
{
	return nb_hash(mac->b, sizeof mac->b, 11) & (r->nb - 1);
}

const struct registry_device *registry_get(const struct registry *r, const struct hwaddr *mac)
{
	for (struct node *n = r->b[slot(r, mac)]; n; n = n->next)
		if (memcmp(&n->d.mac, mac, sizeof *mac) == 0)
			return &n->d;
	return NULL;
}

int registry_seen(struct registry *r, const struct hwaddr *mac, uint32_t ip, int arch,
                  const uint8_t uuid[16])
{
	struct registry_device *d = (struct registry_device *) registry_get(r, mac);
	int64_t now = nb_wall_sec();
	if (!d) {
		struct node *n = calloc(1, sizeof *n);
		if (!n)
			return -ENOMEM;
		size_t s = slot(r, mac);
		n->d.mac = *mac;
		n->d.arch = -1;
		n->d.first_seen = now;
		n->next = r->b[s];
		r->b[s] = n;
		r->n++;
		d = &n->d;
	}
	d->last_seen = now;
	if (ip)
		d->ip = ip;
	if (arch >= 0)
		d->arch = arch;
	if (uuid)
		registry_uuid_fmt(uuid, d->uuid);
	return 0;
}

char *registry_uuid_fmt(const uint8_t u[16], char buf[static REGISTRY_UUID_STRLEN])
{
	snprintf(buf, REGISTRY_UUID_STRLEN,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
	         u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
	         u[15]);
	return buf;
}
