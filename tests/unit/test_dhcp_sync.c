/* Lease writes the database lost (dhcp/sync.c), on the real SQLite store
 * with a COMMIT that fails on demand (as a full disk makes it): a RELEASE
 * whose turn is lost is written again from the lease table until a commit
 * holds it, and an ACK'd lease's row too. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "core/loop.h"
#include "core/services.h"
#include "dhcp/internal.h"
#include "registry/hosts.h"
#include "store/store.h"

static const char *CONF = "[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.150\n";

struct fx {
	char dir[64], db[128];
	struct conf *conf;
	struct nb_services svc;
	struct dhcp_server *s;
	struct store_ops ops;
	int fail_commits;
};

static struct fx *the_fx;

static int failing_commit(struct store *st)
{
	if (the_fx->fail_commits > 0) {
		the_fx->fail_commits--;
		return -ENOSPC;
	}
	return store_sqlite_ops.commit(st);
}

static void on_turn(struct store *st, int r, void *data)
{
	dhcp_sync_turn_end(data, r);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	the_fx = f;
	f->conf = conf_ok(CONF);
	strcpy(f->dir, "/tmp/nbsyncXXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
	assert_int_equal(store_open(f->db, false, &f->svc.store), 0);
	f->ops = store_sqlite_ops;
	f->ops.commit = failing_commit;
	f->svc.store->ops = &f->ops;
	f->svc.loop = loop_new();
	f->svc.hosts = hosts_new();
	f->s = calloc(1, sizeof *f->s);
	f->s->conf = f->conf;
	f->s->svc = &f->svc;
	f->s->leases = dhcp_leases_new();
	f->s->rl_info = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	assert_int_equal(dhcp_leases_set_pools(f->s->leases, f->conf), 0);
	assert_int_equal(dhcp_sync_new(f->s), 0);
	assert_int_equal(store_watch(f->svc.store, on_turn, f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	dhcp_sync_free(f->s);
	dhcp_leases_free(f->s->leases);
	free(f->s);
	f->svc.store->ops = &store_sqlite_ops;
	store_close(f->svc.store);
	hosts_free(f->svc.hosts);
	loop_free(f->svc.loop);
	conf_free(f->conf);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	free(f);
	return system(cmd);
}

struct row {
	uint32_t addr;
	int state, n;
};

static int find_row(const struct store_lease *l, void *data)
{
	struct row *w = data;
	w->n++;
	if (l->addr == w->addr)
		w->state = l->state;
	return 0;
}

/* The state the database holds for addr (0: no row), read by a second
 * connection as a restart would. */
static int stored_state(struct fx *f, uint32_t addr)
{
	struct store *ro = NULL;
	struct row w = {.addr = addr};
	assert_int_equal(store_open(f->db, true, &ro), 0);
	assert_int_equal(store_lease_foreach(ro, find_row, &w), 0);
	store_close(ro);
	return w.state;
}

static struct dhcp_lease *bind_lease(struct fx *f, uint32_t addr, int n)
{
	struct dhcp_client c = {.mac = {{0x52, 0x54, 0, 0, 0, (uint8_t) n}}};
	struct dhcp_lease *l = dhcp_leases_claim(f->s->leases, addr, &c);
	assert_non_null(l);
	dhcp_lease_set(f->s->leases, l, DHCP_LEASE_BOUND, (uint32_t) nb_wall_sec() + 3600);
	assert_int_equal(dhcp_lease_persist(f->s, l), 0);
	return l;
}

/* Runs loop turns (each ending as serve's does) until the retry timer
 * has fired and its turn ended, at most max_ms. */
static void turns(struct fx *f, int max_ms)
{
	int64_t end = nb_now_ms() + max_ms;
	while (nb_now_ms() < end) {
		(void) loop_run_once(f->svc.loop, 50);
		(void) store_turn_end(f->svc.store);
	}
}

static void test_lost_release_is_written_again(void **state)
{
	struct fx *f = *state;
	uint32_t a = 0x0a000064, b = 0x0a000065;
	bind_lease(f, a, 1);
	bind_lease(f, b, 2);
	assert_int_equal(store_turn_end(f->svc.store), 0);
	assert_int_equal(stored_state(f, a), STORE_LEASE_BOUND);

	/* a RELEASE of a in a turn whose commit fails: nothing to withhold */
	struct dhcp_lease *l = dhcp_lease_by_addr(f->s->leases, a);
	dhcp_lease_set(f->s->leases, l, DHCP_LEASE_RELEASED, (uint32_t) nb_wall_sec());
	assert_int_equal(dhcp_lease_persist(f->s, l), 0);
	f->fail_commits = 1;
	assert_int_equal(store_turn_end(f->svc.store), -ENOSPC);
	assert_int_equal(stored_state(f, a), STORE_LEASE_BOUND); /* lost, for now */
	/* the retry writes the table's state again, and it is stored */
	turns(f, 1500);
	assert_int_equal(stored_state(f, a), STORE_LEASE_RELEASED);
	assert_int_equal(stored_state(f, b), STORE_LEASE_BOUND);
}

/* The database keeps failing: the retry keeps coming back (with a growing
 * pause) and the write lands once a commit works again. */
static void test_retry_outlasts_several_failures(void **state)
{
	struct fx *f = *state;
	uint32_t a = 0x0a000066;
	struct dhcp_lease *l = bind_lease(f, a, 3);
	f->fail_commits = 3; /* this turn and the next two retries */
	assert_int_equal(store_turn_end(f->svc.store), -ENOSPC);
	dhcp_lease_set(f->s->leases, l, DHCP_LEASE_DECLINED, (uint32_t) nb_wall_sec() + 60);
	assert_int_equal(dhcp_lease_persist(f->s, l), 0); /* a DECLINE, also lost */
	assert_int_equal(store_turn_end(f->svc.store), -ENOSPC);
	turns(f, 4500); /* 0.5 s, 1 s, 2 s */
	assert_int_equal(f->fail_commits, 0);
	assert_int_equal(stored_state(f, a), STORE_LEASE_DECLINED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_lost_release_is_written_again, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_retry_outlasts_several_failures, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
