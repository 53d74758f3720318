/* The connection table of a TCP listener (http/conn.h) on a fixed clock:
 * per-source and total caps, eviction of the oldest connection without a
 * complete request, and request deadlines no byte resets. */
#include "unit.h"

#include <stdint.h>

#include "http/conn.h"

#define A 0x0a000001 /* 10.0.0.1 */
#define B 0x0a000002
#define C 0x0a000003

static struct http_conn *add(struct http_conns *t, uint32_t src, int64_t now)
{
	struct http_conn *v = NULL;
	enum http_admit a = http_conns_admit(t, src, &v);
	assert_true(a == HTTP_ADMIT_OK || a == HTTP_ADMIT_EVICT);
	if (a == HTTP_ADMIT_EVICT)
		http_conns_close(t, v);
	struct http_conn *c = http_conns_add(t, 3, src, 1000, 2, now);
	assert_non_null(c);
	return c;
}

static void test_per_source(void **state)
{
	(void) state;
	struct http_conns t;
	struct http_conn *v = NULL;
	http_conns_init(&t, 10, 2, 5000);
	struct http_conn *a1 = add(&t, A, 0);
	add(&t, A, 0);
	assert_int_equal(http_conns_admit(&t, A, &v), HTTP_ADMIT_PER_SOURCE);
	assert_int_equal(http_conns_admit(&t, B, &v), HTTP_ADMIT_OK);
	assert_int_equal(http_conns_of(&t, A), 2);
	/* one closing no longer counts, nor does one removed */
	http_conns_close(&t, a1);
	assert_int_equal(http_conns_of(&t, A), 1);
	assert_int_equal(http_conns_admit(&t, A, &v), HTTP_ADMIT_OK);
	http_conns_remove(&t, a1);
	assert_int_equal(t.n, 1);
	http_conns_done(&t);
	assert_null(t.head);
}

static void test_full_evicts_oldest_without_request(void **state)
{
	(void) state;
	struct http_conns t;
	struct http_conn *v = NULL;
	http_conns_init(&t, 3, 3, 5000);
	struct http_conn *c1 = add(&t, A, 0), *c2 = add(&t, B, 10), *c3 = add(&t, C, 20);
	/* c1 is sending a reply: not a candidate; c2 is the oldest without one */
	http_conns_set_state(&t, c1, HTTP_CONN_RECEIVING, 30);
	http_conns_set_state(&t, c1, HTTP_CONN_REPLYING, 30);
	assert_int_equal(http_conns_admit(&t, C, &v), HTTP_ADMIT_EVICT);
	assert_ptr_equal(v, c2);
	/* a reply sent: its clock restarts, so it is now the newest idle one */
	http_conns_set_state(&t, c2, HTTP_CONN_REPLYING, 40);
	http_conns_set_state(&t, c2, HTTP_CONN_WAITING, 50);
	assert_int_equal(http_conns_admit(&t, A, &v), HTTP_ADMIT_EVICT);
	assert_ptr_equal(v, c3);
	/* every one sending a reply: refused */
	http_conns_set_state(&t, c2, HTTP_CONN_REPLYING, 60);
	http_conns_set_state(&t, c3, HTTP_CONN_REPLYING, 60);
	assert_int_equal(http_conns_admit(&t, A, &v), HTTP_ADMIT_FULL);
	/* the per-source cap is checked first */
	http_conns_limits(&t, 3, 1, 5000);
	assert_int_equal(http_conns_admit(&t, A, &v), HTTP_ADMIT_PER_SOURCE);
	http_conns_done(&t);
}

struct seen {
	struct http_conn *c[8];
	size_t n;
};

static void note(struct http_conn *c, void *data)
{
	struct seen *s = data;
	assert_true(c->closing);
	s->c[s->n++] = c;
}

static void test_deadlines(void **state)
{
	(void) state;
	struct http_conns t;
	struct seen s = {0};
	http_conns_init(&t, 10, 10, 1000);
	struct http_conn *c1 = add(&t, A, 0), *c2 = add(&t, B, 100), *c3 = add(&t, C, 200);
	/* headers in, body trickling: still on the clock; a reply in progress is not */
	http_conns_set_state(&t, c1, HTTP_CONN_RECEIVING, 500);
	http_conns_set_state(&t, c2, HTTP_CONN_RECEIVING, 500);
	http_conns_set_state(&t, c2, HTTP_CONN_REPLYING, 500);
	assert_int_equal(http_conns_expire(&t, 999, note, &s), 1000);
	assert_int_equal(s.n, 0);
	assert_int_equal(http_conns_expire(&t, 1000, note, &s), 1200);
	assert_int_equal(s.n, 1);
	assert_ptr_equal(s.c[0], c1);
	assert_int_equal(t.n, 2);
	/* c3 sends a reply at 1100 and waits for the next request: a new clock */
	http_conns_set_state(&t, c3, HTTP_CONN_RECEIVING, 1100);
	http_conns_set_state(&t, c3, HTTP_CONN_REPLYING, 1100);
	http_conns_set_state(&t, c3, HTTP_CONN_WAITING, 1150);
	assert_int_equal(http_conns_expire(&t, 1200, note, &s), 2150);
	assert_int_equal(s.n, 1);
	/* nothing left on the clock */
	http_conns_set_state(&t, c3, HTTP_CONN_REPLYING, 1300);
	assert_int_equal(http_conns_expire(&t, 5000, note, &s), INT64_MAX);
	/* a shorter timeout (a reload) applies to the clocks running */
	http_conns_set_state(&t, c3, HTTP_CONN_WAITING, 6000);
	http_conns_limits(&t, 10, 10, 100);
	assert_int_equal(http_conns_expire(&t, 6100, note, &s), INT64_MAX);
	assert_int_equal(s.n, 2);
	assert_ptr_equal(s.c[1], c3);
	http_conns_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_per_source),
	        cmocka_unit_test(test_full_evicts_oldest_without_request),
	        cmocka_unit_test(test_deadlines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
