#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "journal/journal.h"
#include "registry/hosts.h"

static void count(const struct journal_event *e, void *data)
{
	(*(int *) data)++;
}

static const char *first_detail;
static void grab_first(const struct journal_event *e, void *data)
{
	if (!first_detail)
		first_detail = strdup(e->detail);
}

static void test_ring_keeps_the_newest(void **state)
{
	(void) state;
	struct journal *j = journal_new(NULL);
	struct hwaddr m = {{2, 0, 0, 0, 0, 1}};
	for (int i = 0; i < JOURNAL_RING + 5; i++)
		journal_event(j, &m, 0, "test.step", "step %d", i);
	int n = 0;
	assert_int_equal(journal_foreach(j, &m, count, &n), JOURNAL_RING);
	journal_foreach(j, &m, grab_first, NULL);
	assert_string_equal(first_detail, "step 5");
	journal_free(j);
}

static void test_address_resolved_through_hosts(void **state)
{
	(void) state;
	struct hosts *h = hosts_new();
	struct journal *j = journal_new(h);
	struct hwaddr m = {{2, 0, 0, 0, 0, 7}};
	hosts_set(h, &m, 0x0a000007, "pc7", HOSTS_LEASE, nb_wall_sec() + 60);
	journal_event(j, NULL, 0x0a000007, "tftp.request", "%s", "undionly.kpxe");
	int n = 0;
	assert_int_equal(journal_foreach(j, &m, count, &n), 1);
	journal_free(j);
	hosts_free(h);
}

static void test_memory_bounded(void **state)
{
	(void) state;
	struct journal *j = journal_new(NULL);
	struct hwaddr first = {{2, 0, 0, 0, 0, 0}};
	for (int i = 0; i < JOURNAL_DEVICES + 100; i++) {
		struct hwaddr m = {{2, 0, 0, (uint8_t) (i >> 16), (uint8_t) (i >> 8), (uint8_t) i}};
		journal_event(j, &m, 0, "dhcp.discover", "%s", "");
		if (i == 1000) /* the first device was active again: it is not evicted */
			journal_event(j, &first, 0, "dhcp.request", "%s", "");
	}
	int n = 0;
	assert_int_equal(journal_foreach(j, &first, count, &n), 2);
	struct hwaddr second = {{2, 0, 0, 0, 0, 1}};
	assert_int_equal(journal_foreach(j, &second, count, &n), 0); /* evicted */
	journal_free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ring_keeps_the_newest),
	        cmocka_unit_test(test_address_resolved_through_hosts),
	        cmocka_unit_test(test_memory_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
