/* Which DHCP server is netbay: the servers that answered the DISCOVER,
 * each asked for its health. The names check falls back on the one found
 * when the name does not resolve or leads to a host that is not netbay,
 * so the checks after it still have an address (and the mask the server's
 * own offer carries, for the addressing check). */
#include <string.h>

#include "doctor/doctor.h"

static uint32_t server_of(const struct doctor_offer *o)
{
	return o->server_id ? o->server_id : o->src;
}

size_t doctor_ref_servers(const struct doctor_offer *offers, size_t n, uint32_t *out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t s = server_of(&offers[i]);
		bool dup = s == 0;
		for (size_t j = 0; j < k && !dup; j++)
			dup = out[j] == s;
		if (!dup && k < max)
			out[k++] = s;
	}
	return k;
}

void doctor_ref_pick(const struct doctor_offer *offers, size_t n, const char *asked_name,
                     const struct doctor_health *const *health, struct doctor_ref *ret)
{
	uint32_t s[DOCTOR_MAX_OFFERS];
	size_t k = doctor_ref_servers(offers, n, s, NB_ARRAY_SIZE(s)), n_silent = 0;
	size_t best = k, silent = k;
	bool best_named = false;
	struct doctor_ref ref = {.n_servers = k};

	for (size_t i = 0; i < k; i++) {
		const struct doctor_health *h = health[i];
		if (h && h->netbay) {
			bool named = !asked_name || !asked_name[0] ||
			             doctor_same_host(asked_name, h->name);
			if (best == k || (named && !best_named)) {
				best = i;
				best_named = named;
			}
		} else if (!h || h->err < 0) {
			silent = i;
			n_silent++;
		}
	}
	/* one that says it is netbay; else the only one that could be (it does not
	 * answer HTTP, while every other answers as something else) */
	size_t pick = best < k ? best : n_silent == 1 ? silent : k;
	if (pick < k) {
		ref.addr = s[pick];
		ref.confirmed = pick == best;
		ref.hlth = health[pick];
	}
	*ret = ref;
}

const struct doctor_ref *doctor_ref_find(struct doctor *d)
{
	uint32_t s[DOCTOR_MAX_OFFERS];
	const struct doctor_health *h[DOCTOR_MAX_OFFERS];
	if (d->ref_found)
		return &d->ref;
	d->ref_found = true;
	(void) doctor_dhcp_probe(d);
	size_t k = doctor_ref_servers(d->offers, d->n_offers, s, NB_ARRAY_SIZE(s));
	for (size_t i = 0; i < k; i++)
		h[i] = doctor_health_at(d, s[i]);
	doctor_ref_pick(d->offers, d->n_offers, d->name, h, &d->ref);
	return &d->ref;
}
