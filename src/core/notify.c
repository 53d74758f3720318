#include "core/notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct notify {
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
};

int notify_new(struct notify **ret)
{
	const char *e = getenv("NOTIFY_SOCKET");
	*ret = NULL;
	if (!e || !*e)
		return 0;
	size_t len = strlen(e);
	struct notify *n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	n->addr.sun_family = AF_UNIX;
	/* a path, or '@': the abstract namespace, where the name starts with 0 */
	if ((e[0] != '/' && e[0] != '@') || len < 2 || len >= sizeof n->addr.sun_path) {
		free(n);
		return -EINVAL;
	}
	memcpy(n->addr.sun_path, e, len);
	if (e[0] == '@')
		n->addr.sun_path[0] = 0;
	/* a path's length counts its terminating 0, an abstract name's does not */
	n->addr_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + (e[0] == '/'));
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd < 0) {
		int r = -errno;
		free(n);
		return r;
	}
	(void) unsetenv("NOTIFY_SOCKET");
	*ret = n;
	return 0;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	close(n->fd);
	free(n);
}

int notify_send(struct notify *n, const char *state)
{
	if (!n)
		return 0;
	ssize_t w = sendto(n->fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
	                   (struct sockaddr *) &n->addr, n->addr_len);
	return w < 0 ? -errno : 1;
}

int notify_reloading(struct notify *n)
{
	struct timespec ts;
	char msg[64];
	if (!n)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	         (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u);
	return notify_send(n, msg);
}

static bool parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

uint64_t notify_watchdog_usec(void)
{
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t usec, p;
	if (pid && (!parse_u64(pid, &p) || p != (uint64_t) getpid()))
		return 0; /* meant for another process (a wrapper that exec'd us did not say) */
	if (!parse_u64(getenv("WATCHDOG_USEC"), &usec))
		return 0;
	return usec;
}
