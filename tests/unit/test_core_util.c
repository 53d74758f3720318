#include "unit.h"

#include <errno.h>

#include <string.h>

#include "core/util.h"

static void test_hwaddr_notations(void **state)
{
	(void) state;
	struct hwaddr a;
	char buf[HWADDR_STRLEN];
	const char *ok[] = {"52:54:00:AB:cd:ef", "52-54-00-ab-cd-ef", "5254.00ab.cdef",
	                    "525400abcdef"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(ok); i++) {
		assert_int_equal(hwaddr_parse(ok[i], &a), 0);
		assert_string_equal(hwaddr_fmt(&a, buf), "52:54:00:ab:cd:ef");
	}
	const char *bad[] = {"",
	                     "52:54:00:ab:cd",
	                     "52:54:00:ab:cd:ef:01",
	                     "5:254:00:ab:cd:ef",
	                     "52:54:00:ab:cd:eg",
	                     "52545400abcdef",
	                     "52:54::00:ab:cd:ef"};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++)
		assert_int_equal(hwaddr_parse(bad[i], &a), -EINVAL);
}

static void test_ip4(void **state)
{
	(void) state;
	uint32_t a, net;
	unsigned p;
	char buf[IP4_STRLEN];
	assert_int_equal(ip4_parse("10.1.2.3", &a), 0);
	assert_int_equal(a, 0x0a010203);
	assert_string_equal(ip4_fmt(a, buf), "10.1.2.3");
	assert_string_equal(ip4_fmt(0, buf), "0.0.0.0");
	assert_string_equal(ip4_fmt(0xffffffff, buf), "255.255.255.255");
	assert_string_equal(ip4_fmt(0x0a64c809, buf), "10.100.200.9");
	assert_int_equal(ip4_parse("10.1.2", &a), -EINVAL);
	assert_int_equal(ip4_cidr_parse("10.1.0.0/16", &net, &p), 0);
	assert_int_equal(net, 0x0a010000);
	assert_int_equal(p, 16);
	assert_int_equal(ip4_cidr_parse("10.1.0.1/16", &net, &p), -EDOM);
	assert_int_equal(ip4_cidr_parse("10.1.0.0/33", &net, &p), -EINVAL);
	assert_true(ip4_in(0x0a0100ff, 0x0a010000, 24));
	assert_false(ip4_in(0x0a0101ff, 0x0a010000, 24));
	assert_true(ip4_is_private(0xc0a80101));
	assert_false(ip4_is_private(0x08080808));
}

static void test_duration(void **state)
{
	(void) state;
	uint32_t s;
	assert_int_equal(nb_parse_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(nb_parse_duration("15m", &s), 0);
	assert_int_equal(s, 900);
	assert_int_equal(nb_parse_duration("12h", &s), 0);
	assert_int_equal(s, 43200);
	assert_int_equal(nb_parse_duration("7d", &s), 0);
	assert_int_equal(s, 604800);
	assert_int_not_equal(nb_parse_duration("h", &s), 0);
	assert_int_not_equal(nb_parse_duration("-1", &s), 0);
	assert_int_not_equal(nb_parse_duration("99999999999d", &s), 0);
}

static void test_hostname(void **state)
{
	(void) state;
	assert_true(nb_hostname_valid("pc-1"));
	assert_true(nb_hostname_valid("a.b.lan"));
	assert_false(nb_hostname_valid("-pc"));
	assert_false(nb_hostname_valid("pc-"));
	assert_false(nb_hostname_valid("a..b"));
	assert_false(nb_hostname_valid("a b"));
	char long_label[70];
	memset(long_label, 'a', 64);
	long_label[64] = 0;
	assert_false(nb_hostname_valid(long_label));
}

static void test_strlcpy(void **state)
{
	(void) state;
	char b[4];
	assert_int_equal(nb_strlcpy(b, "abc", sizeof b), 0);
	assert_int_equal(nb_strlcpy(b, "abcd", sizeof b), -ENAMETOOLONG);
	assert_string_equal(b, "abc");
}

static void test_grow(void **state)
{
	(void) state;
	uint64_t *v = NULL;
	size_t cap = 0;

	assert_int_equal(nb_grow(&v, &cap, 0, sizeof *v), 0); /* nothing needed, nothing done */
	assert_null(v);
	assert_int_equal(nb_grow(&v, &cap, 1, sizeof *v), 0);
	assert_non_null(v);
	assert_int_equal(cap, NB_GROW_FIRST / sizeof *v);
	for (size_t i = 0; i < cap; i++)
		v[i] = i;
	uint64_t *before = v;
	assert_int_equal(nb_grow(&v, &cap, cap, sizeof *v), 0); /* fits: untouched */
	assert_ptr_equal(v, before);
	size_t old = cap;
	assert_int_equal(nb_grow(&v, &cap, old + 1, sizeof *v), 0);
	assert_int_equal(cap, 2 * old); /* doubles */
	for (size_t i = 0; i < old; i++)
		assert_int_equal(v[i], i); /* the contents move along */
	assert_int_equal(nb_grow(&v, &cap, 9 * old, sizeof *v), 0);
	assert_int_equal(cap, 16 * old); /* as often as need asks */

	/* a count whose bytes overflow a size_t: refused, the array unchanged */
	before = v;
	old = cap;
	assert_int_equal(nb_grow(&v, &cap, SIZE_MAX / sizeof *v + 1, sizeof *v), -ENOMEM);
	assert_int_equal(nb_grow(&v, &cap, SIZE_MAX, 2), -ENOMEM);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, old);
	assert_int_equal(nb_grow(&v, &cap, old + 1, 0), -EINVAL);
	free(v);

	/* the capacity chosen: a first one of NB_GROW_FIRST bytes (at least one element),
	 * doubling, and near the top no doubling past SIZE_MAX but just what is needed */
	assert_int_equal(nb_grow_cap(0, 1, 1), NB_GROW_FIRST);
	assert_int_equal(nb_grow_cap(0, 1, 4 * NB_GROW_FIRST), 1);
	assert_int_equal(nb_grow_cap(0, 3 * NB_GROW_FIRST, 1), 4 * NB_GROW_FIRST);
	assert_int_equal(nb_grow_cap(10, 5, 8), 10);
	assert_int_equal(nb_grow_cap(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 2, 1), SIZE_MAX / 2 + 2);
	assert_int_equal(nb_grow_cap(SIZE_MAX / 16, SIZE_MAX / 8, 8), SIZE_MAX / 8);
	assert_int_equal(nb_grow_cap(SIZE_MAX / 16, SIZE_MAX / 8 + 1, 8), 0);
	assert_int_equal(nb_grow_cap(SIZE_MAX / 2, SIZE_MAX, 2), 0);
	assert_int_equal(nb_grow_cap(0, 1, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hwaddr_notations), cmocka_unit_test(test_ip4),
	        cmocka_unit_test(test_duration),         cmocka_unit_test(test_hostname),
	        cmocka_unit_test(test_strlcpy),          cmocka_unit_test(test_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
