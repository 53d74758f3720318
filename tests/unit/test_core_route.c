/* Route answers from rtnetlink, written by hand in the kernel's layout
 * (host byte order headers, network order addresses), and hostile ones. */
#include "unit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/route.h"

struct msg {
	uint8_t b[256];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void attr(struct msg *m, uint16_t type, const void *p, uint16_t n)
{
	uint16_t len = (uint16_t) (4 + n), pad = (uint16_t) ((4 - n % 4) % 4);
	put(m, &len, 2);
	put(m, &type, 2);
	put(m, p, n);
	memset(m->b + m->n, 0, pad);
	m->n += pad;
}

/* A RTM_NEWROUTE answer to seq 7 of route type rtype; attributes follow. */
static void head(struct msg *m, uint8_t rtype)
{
	struct nlmsghdr h = {.nlmsg_type = RTM_NEWROUTE, .nlmsg_seq = 7};
	struct rtmsg r = {.rtm_family = AF_INET, .rtm_dst_len = 32, .rtm_type = rtype};
	m->n = 0;
	put(m, &h, sizeof h);
	put(m, &r, sizeof r);
}

static void done(struct msg *m)
{
	uint32_t len = (uint32_t) m->n;
	memcpy(m->b, &len, 4);
}

static void test_gateway_and_interface(void **state)
{
	(void) state;
	struct msg m;
	struct route r;
	uint32_t oif = 3, gw = htonl(0x0a4d0002), dst = htonl(0x0a4e0001);
	head(&m, RTN_UNICAST);
	attr(&m, RTA_DST, &dst, 4);
	attr(&m, RTA_OIF, &oif, 4);
	attr(&m, RTA_GATEWAY, &gw, 4);
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), 0);
	assert_int_equal(r.oif, 3);
	assert_int_equal(r.gateway, 0x0a4d0002);
	assert_false(r.local);
	/* an answer to another query is not this one's */
	assert_int_equal(route_parse(m.b, m.n, 8, &r), -EBADMSG);
	/* on-link: no gateway */
	head(&m, RTN_UNICAST);
	attr(&m, RTA_OIF, &oif, 4);
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), 0);
	assert_int_equal(r.gateway, 0);
	head(&m, RTN_LOCAL);
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), 0);
	assert_true(r.local);
}

static void test_no_route(void **state)
{
	(void) state;
	struct msg m;
	struct route r = {.oif = 99};
	head(&m, RTN_UNREACHABLE);
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), -ENETUNREACH);
	assert_int_equal(r.oif, 99); /* written only on success */
	/* the kernel's error answer */
	struct nlmsghdr h = {.nlmsg_type = NLMSG_ERROR, .nlmsg_seq = 7};
	int32_t e = -ENETUNREACH;
	m.n = 0;
	put(&m, &h, sizeof h);
	put(&m, &e, 4);
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), -ENETUNREACH);
	e = 5; /* a positive error is no error code */
	memcpy(m.b + sizeof h, &e, 4);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), -EBADMSG);
}

static void test_hostile_answers(void **state)
{
	(void) state;
	struct msg m;
	struct route r;
	uint32_t oif = 3;
	/* an attribute claiming more than the message has */
	head(&m, RTN_UNICAST);
	attr(&m, RTA_OIF, &oif, 4);
	m.b[m.n - 8] = 200;
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), -EBADMSG);
	/* an attribute shorter than its own header */
	head(&m, RTN_UNICAST);
	attr(&m, RTA_OIF, &oif, 4);
	m.b[m.n - 8] = 2;
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), -EBADMSG);
	/* a message length past the buffer, or under a header */
	head(&m, RTN_UNICAST);
	done(&m);
	assert_int_equal(route_parse(m.b, m.n - 1, 7, &r), -EBADMSG);
	assert_int_equal(route_parse(m.b, 10, 7, &r), -EBADMSG);
	/* a header with no rtmsg after it */
	struct nlmsghdr h = {.nlmsg_len = sizeof h, .nlmsg_type = RTM_NEWROUTE, .nlmsg_seq = 7};
	assert_int_equal(route_parse((const uint8_t *) &h, sizeof h, 7, &r), -EBADMSG);
	/* a gateway of the wrong size is ignored, not read past */
	head(&m, RTN_UNICAST);
	attr(&m, RTA_GATEWAY, "\x0a\x00", 2);
	done(&m);
	assert_int_equal(route_parse(m.b, m.n, 7, &r), 0);
	assert_int_equal(r.gateway, 0);
}

/* The kernel's own answer: loopback is this host's. */
static void test_live_loopback(void **state)
{
	(void) state;
	struct route r;
	int fd = route_open();
	assert_true(fd >= 0);
	assert_int_equal(route_get(fd, 0x7f000001, &r), 0);
	assert_true(r.local);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gateway_and_interface),
	        cmocka_unit_test(test_no_route),
	        cmocka_unit_test(test_hostile_answers),
	        cmocka_unit_test(test_live_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
