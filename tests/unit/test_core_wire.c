#include "unit.h"

#include "core/wire.h"

static void test_reads_in_order(void **state)
{
	(void) state;
	static const uint8_t raw[] = {1, 0x02, 0x03, 0xde, 0xad, 0xbe, 0xef, 9};
	struct wire w = wire_init(raw, sizeof raw);
	assert_int_equal(wire_u8(&w), 1);
	assert_int_equal(wire_u16(&w), 0x0203);
	assert_int_equal(wire_u32(&w), 0xdeadbeef);
	assert_int_equal(wire_left(&w), 1);
	assert_int_equal(w.err, 0);
}

static void test_overrun_is_sticky(void **state)
{
	(void) state;
	static const uint8_t raw[] = {1, 2, 3};
	struct wire w = wire_init(raw, sizeof raw);
	assert_int_equal(wire_u32(&w), 0); /* 3 bytes only */
	assert_int_equal(w.err, -EBADMSG);
	/* later reads return zeros even though a byte would fit */
	assert_int_equal(wire_u8(&w), 0);
	assert_int_equal(wire_left(&w), 0);
	assert_null(wire_ptr(&w, 1));
}

static void test_take_bounds(void **state)
{
	(void) state;
	static const uint8_t raw[] = {4, 'a', 'b', 'c', 'd', 9, 'x'};
	struct wire w = wire_init(raw, sizeof raw);
	struct wire body = wire_take(&w, wire_u8(&w));
	assert_int_equal(body.err, 0);
	assert_int_equal(wire_left(&body), 4);
	uint8_t buf[4];
	wire_bytes(&body, buf, 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(wire_u8(&body), 0); /* past the sub-view's end */
	assert_int_equal(body.err, -EBADMSG);
	assert_int_equal(w.err, 0);                   /* the parent is fine */
	struct wire bad = wire_take(&w, wire_u8(&w)); /* claims 9, has 1 */
	assert_int_equal(bad.err, -EBADMSG);
	assert_int_equal(w.err, -EBADMSG);
}

static void test_at_outside(void **state)
{
	(void) state;
	static const uint8_t raw[] = {1, 2, 3, 4};
	struct wire w = wire_init(raw, sizeof raw);
	struct wire a = wire_at(&w, 3);
	assert_int_equal(wire_u8(&a), 4);
	struct wire b = wire_at(&w, 5);
	assert_int_equal(b.err, -EBADMSG);
	struct wire c = wire_at(&w, 4); /* exactly the end: valid, empty */
	assert_int_equal(c.err, 0);
	assert_int_equal(wire_left(&c), 0);
}

static void test_wbuf_never_truncates(void **state)
{
	(void) state;
	uint8_t buf[5];
	struct wbuf b = wbuf_init(buf, sizeof buf);
	wbuf_u16(&b, 0x0102);
	wbuf_u16(&b, 0x0304);
	wbuf_u16(&b, 0x0506); /* does not fit */
	assert_int_equal(b.err, -ENOSPC);
	wbuf_u8(&b, 7); /* would fit, but the buffer is already failed */
	assert_int_equal(wbuf_len(&b), 4);
	assert_memory_equal(buf, "\x01\x02\x03\x04", 4);
}

static void test_wbuf_patch(void **state)
{
	(void) state;
	uint8_t buf[8];
	struct wbuf b = wbuf_init(buf, sizeof buf);
	wbuf_u16(&b, 0);
	wbuf_u32(&b, 0xaabbccdd);
	wbuf_patch_u16(&b, 0, 4);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 4);
	wbuf_patch_u16(&b, 5, 1); /* past what was written */
	assert_int_equal(b.err, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_reads_in_order),
	        cmocka_unit_test(test_overrun_is_sticky),
	        cmocka_unit_test(test_take_bounds),
	        cmocka_unit_test(test_at_outside),
	        cmocka_unit_test(test_wbuf_never_truncates),
	        cmocka_unit_test(test_wbuf_patch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
