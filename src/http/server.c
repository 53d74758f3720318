/* libmicrohttpd in netbay's loop. Each listener is an MHD daemon started
 * with MHD_USE_EPOLL and no internal thread; the loop watches the daemon's
 * epoll fd (MHD_DAEMON_INFO_EPOLL_FD) and calls MHD_run() when it is
 * readable, and a loop timer armed from MHD_get_timeout() calls it when
 * MHD has timeouts to enforce or work left over (a timeout of 0).
 *
 * The listen sockets are netbay's own. The API's Unix socket is handed to
 * MHD (MHD_OPTION_LISTEN_SOCKET; MHD 0.9.75 accepts AF_UNIX as it is). The
 * TCP sockets (HTTP boot, [api] listen) netbay accepts itself: each
 * connection is checked against the served-LAN boundary (arrival interface
 * and source, core/lan.h) and the connection table (http/conn.h: per-source
 * and total caps, eviction of the oldest connection without a complete
 * request) before MHD_add_connection() hands it over, and the table's
 * request deadlines close (shutdown(2)) what MHD's idle timeout would keep:
 * MHD resets that timeout on every byte, so it cannot stop a slow client. */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/lan.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/net.h"
#include "core/services.h"
#include "core/tls.h"
#include "http/api.h"
#include "http/boot.h"
#include "http/conn.h"
#include "http/request.h"

#define HTTP_CONN_MAX        512 /* the Unix socket's */
#define HTTP_IDLE_SEC        30  /* MHD's idle timeout: a reply that stops moving */
#define HTTP_ACCEPT_BATCH    64
#define HTTP_ACCEPT_PAUSE_MS 100
/* TCP listeners are bounded by their connection table; MHD's own limit
 * only needs room for those and the ones closing. */
#define HTTP_MHD_TCP_MAX (2 * 16384 + 64)

enum listener_kind { LISTEN_HTTP, LISTEN_API_TCP, LISTEN_API_UNIX, LISTEN_KINDS };

static const char *const kind_names[] = {"HTTP", "API", "API socket"};

/* What a listener is bound to: compared on reload. */
struct listener_spec {
	bool on;
	uint32_t addr;
	uint16_t port;
	char path[CONF_SOCKET_MAX];
	bool tls; /* HTTPS, with the certificate of this fingerprint */
	uint8_t fp[TLS_FP_LEN];
};

struct listener {
	struct http_server *srv;
	enum listener_kind kind;
	struct listener_spec spec;
	struct MHD_Daemon *mhd;
	struct loop_io *io;
	struct loop_timer *timer;
	ino_t sock_ino; /* the socket file we made, unlinked only if still ours */
	/* TCP listeners: netbay accepts */
	int listen_fd;
	struct loop_io *accept_io;
	struct loop_timer *deadline; /* the next request deadline of conns */
	struct loop_timer *resume;   /* accepting again after running out of fds */
	struct http_conns conns;
	struct http_conn *adding; /* the record MHD_add_connection is taking over */
	struct tls_cert *cert;    /* an HTTPS listener's, kept while MHD runs with it */
	struct log_ratelimit rl;  /* connection lines: refused, evicted, timed out */
	uint64_t refused_lan, refused_source, refused_full, evicted, timed_out;
};

struct http_server {
	const struct conf *conf;
	const struct nb_services *svc;
	struct listener *l[LISTEN_KINDS];
	struct http_boot *boot;
	struct http_api *api;
	struct log_ratelimit rl;
};

/* A request in progress: the body read so far. */
struct conn_req {
	char *body;
	size_t len;
	bool too_big;
	bool api;
	bool answered; /* a reply is queued (413 before the body) */
};

/* ---- the loop side */

static void listener_arm(struct listener *l)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(l->mhd, &ms) == MHD_YES)
		loop_timer_arm(l->timer, (int64_t) NB_MIN(ms, (MHD_UNSIGNED_LONG_LONG) INT_MAX));
	else
		loop_timer_disarm(l->timer);
}

static void listener_run(struct listener *l)
{
	(void) MHD_run(l->mhd);
	listener_arm(l);
}

static void on_epoll(struct loop_io *io, int fd, uint32_t events, void *data)
{
	listener_run(data);
}

static void on_timer(struct loop_timer *t, void *data)
{
	listener_run(data);
}

/* ---- who is asking */

static void peer_name(struct listener *l, struct MHD_Connection *conn, char *buf, size_t n,
                      uint32_t *ret_ip)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*ret_ip = 0;
	if (l->kind == LISTEN_API_UNIX) {
		const union MHD_ConnectionInfo *fi =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (fi && getsockopt(fi->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
			snprintf(buf, n, "unix:pid=%d,uid=%u", (int) cr.pid, (unsigned) cr.uid);
		else
			snprintf(buf, n, "unix");
		return;
	}
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *) ci->client_addr;
		char a[IP4_STRLEN];
		*ret_ip = ntohl(sin->sin_addr.s_addr);
		snprintf(buf, n, "%s:%u", ip4_fmt(*ret_ip, a), ntohs(sin->sin_port));
		return;
	}
	snprintf(buf, n, "?");
}

/* "ADDRESS:PORT" the client connected to: what an iPXE script chains back to. */
static void local_name(struct listener *l, struct MHD_Connection *conn, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *fi =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	char a[IP4_STRLEN];
	if (fi && getsockname(fi->connect_fd, (struct sockaddr *) &sin, &len) == 0 &&
	    sin.sin_family == AF_INET)
		snprintf(buf, n, "%s:%u", ip4_fmt(ntohl(sin.sin_addr.s_addr), a),
		         ntohs(sin.sin_port));
	else
		snprintf(buf, n, "%s:%u", ip4_fmt(l->spec.addr, a), l->spec.port);
}

/* Compares without an early exit, so the time taken says nothing of where
 * a guess went wrong. */
static bool token_equal(const char *given, size_t given_len, const char *token)
{
	size_t n = strlen(token);
	unsigned char diff = given_len != n;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char) token[i] ^ (unsigned char) (i < given_len ? given[i] : 0);
	return diff == 0;
}

/* The bearer token of the request as sent, *ret_len its length; NULL (and 0) when none. */
static const char *bearer(struct MHD_Connection *conn, size_t *ret_len)
{
	const char *h =
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	*ret_len = 0;
	if (!h)
		return NULL;
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	size_t len = strlen(h);
	while (len && h[len - 1] == ' ')
		len--;
	*ret_len = len;
	return h;
}

static enum http_api_auth auth_of(struct listener *l, struct MHD_Connection *conn,
                                  const char *client)
{
	const struct conf *c = l->srv->conf;
	size_t len;
	if (l->kind == LISTEN_API_UNIX)
		return HTTP_API_AUTH_OK;
	if (!c->api.token[0])
		return HTTP_API_AUTH_CLOSED;
	const char *h = bearer(conn, &len);
	bool right = h && token_equal(h, len, c->api.token);
	if (!l->spec.tls && !c->api.allow_plain_token) {
		/* refused whatever was sent; the right token in clear is worth a word */
		if (right)
			log_rl(&l->srv->rl, LOG_LVL_WARN,
			       "http: %s: sent the API token over plain HTTP (%s port; refused): "
			       "whoever can see the LAN may have it, change [api] token",
			       client, kind_names[l->kind]);
		return HTTP_API_AUTH_PLAIN;
	}
	if (!h)
		return HTTP_API_AUTH_MISSING;
	return right ? HTTP_API_AUTH_OK : HTTP_API_AUTH_WRONG;
}

/* ---- connections of the TCP listeners */

static bool is_tcp(const struct listener *l)
{
	return l->kind != LISTEN_API_UNIX;
}

static int64_t now_ms(const struct listener *l)
{
	return loop_now_ms(l->srv->svc->loop);
}

static const char *addr_port(uint32_t ip, uint16_t port, char buf[IP4_STRLEN + 6])
{
	char a[IP4_STRLEN];
	snprintf(buf, IP4_STRLEN + 6, "%s:%u", ip4_fmt(ip, a), port);
	return buf;
}

/* Closes a connection netbay refused before anything was read from it:
 * with a reset, at once (no FIN handshake for the client to hold open). */
static void reset_close(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	(void) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void deadline_arm(struct listener *l, int64_t at_ms)
{
	if (at_ms == INT64_MAX)
		loop_timer_disarm(l->deadline);
	else
		loop_timer_arm_at(l->deadline, at_ms);
}

/* A request's time is up: shut the socket down; MHD sees it end on its
 * next run and closes it (the record goes in on_connection). */
static void expire_one(struct http_conn *c, void *data)
{
	struct listener *l = data;
	char who[IP4_STRLEN + 6];
	l->timed_out++;
	log_rl(&l->rl, LOG_LVL_INFO,
	       "http: %s: no complete request within %llu s ([http] request-timeout); %s "
	       "connection closed (%llu so far)",
	       addr_port(c->src, c->port, who), (unsigned long long) (l->conns.timeout_ms / 1000),
	       kind_names[l->kind], (unsigned long long) l->timed_out);
	(void) shutdown(c->fd, SHUT_RDWR);
}

static void on_deadline(struct loop_timer *t, void *data)
{
	struct listener *l = data;
	deadline_arm(l, http_conns_expire(&l->conns, now_ms(l), expire_one, l));
}

static void conn_state(struct listener *l, struct MHD_Connection *conn, enum http_conn_state st)
{
	struct http_conn *c = is_tcp(l) ? conn_of(conn) : NULL;
	if (!c)
		return;
	http_conns_set_state(&l->conns, c, st, now_ms(l));
	if (st == HTTP_CONN_WAITING && !loop_timer_armed(l->deadline))
		deadline_arm(l, c->since_ms + l->conns.timeout_ms);
}

/* MHD_OPTION_NOTIFY_CONNECTION: a connection handed over is started (its
 * record is l->adding, MHD_add_connection() calls this before it
 * returns), or closed (whoever closed it: the record goes). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct listener *l = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if (l->adding && !l->adding->owner) {
			l->adding->owner = conn;
			*socket_context = l->adding;
		}
		return;
	}
	struct http_conn *c = *socket_context;
	if (!c)
		return;
	if (c == l->adding)
		l->adding = NULL;
	http_conns_remove(&l->conns, c);
	*socket_context = NULL;
}

/* The served-LAN boundary: a connection from another interface or from
 * outside the served networks is reset at once, counted and logged. */
static bool lan_allows_conn(struct listener *l, int fd, uint32_t src, uint16_t port, int ifindex)
{
	struct lan *lan = l->srv->svc->lan;
	char who[IP4_STRLEN + 6];
	enum lan_verdict v = lan ? lan_check(lan, ifindex, src) : LAN_OK;
	if (v == LAN_OK)
		return true;
	l->refused_lan++;
	log_rl(&l->rl, LOG_LVL_WARN, "http: %s on %s: %s; %s connection closed (%llu so far)",
	       addr_port(src, port, who), lan_ifname(lan, ifindex), lan_verdict_str(v),
	       kind_names[l->kind], (unsigned long long) l->refused_lan);
	reset_close(fd);
	return false;
}

/* The connection table's verdict on a newcomer from the served LAN. */
static bool table_allows_conn(struct listener *l, int fd, uint32_t src, uint16_t port)
{
	struct http_conn *victim = NULL;
	char who[IP4_STRLEN + 6], old[IP4_STRLEN + 6];
	enum http_admit a = http_conns_admit(&l->conns, src, &victim);
	switch (a) {
	case HTTP_ADMIT_OK:
		return true;
	case HTTP_ADMIT_EVICT:
		l->evicted++;
		log_rl(&l->rl, LOG_LVL_INFO,
		       "http: %s: %u %s connections ([http] max-connections): closed the oldest "
		       "without a complete request, %s (%llu s old) (%llu so far)",
		       addr_port(src, port, who), l->conns.max, kind_names[l->kind],
		       addr_port(victim->src, victim->port, old),
		       (unsigned long long) ((now_ms(l) - victim->since_ms) / 1000),
		       (unsigned long long) l->evicted);
		http_conns_close(&l->conns, victim);
		(void) shutdown(victim->fd, SHUT_RDWR);
		return true;
	case HTTP_ADMIT_PER_SOURCE:
	case HTTP_ADMIT_FULL: {
		bool per = a == HTTP_ADMIT_PER_SOURCE;
		uint64_t n = per ? ++l->refused_source : ++l->refused_full;
		log_rl(&l->rl, LOG_LVL_WARN,
		       "http: %s: %u %s connections %s ([http] %s); refused (%llu so far)",
		       addr_port(src, port, who), per ? l->conns.per_source : l->conns.max,
		       kind_names[l->kind],
		       per ? "from this address already" : "in all, every one sending a reply",
		       per ? "connections-per-source" : "max-connections", (unsigned long long) n);
		break;
	}
	}
	reset_close(fd);
	return false;
}

/* One accepted connection: checked, recorded and handed to MHD. */
static void admit(struct listener *l, int fd, const struct sockaddr_in *sin)
{
	uint32_t src = ntohl(sin->sin_addr.s_addr);
	uint16_t port = ntohs(sin->sin_port);
	int ifindex = net_tcp_ifindex(fd);
	if (ifindex < 0)
		ifindex = 0; /* not known: the boundary judges the source alone */
	if (!lan_allows_conn(l, fd, src, port, ifindex) || !table_allows_conn(l, fd, src, port))
		return;
	struct http_conn *c = http_conns_add(&l->conns, fd, src, port, ifindex, now_ms(l));
	if (!c) {
		reset_close(fd);
		return;
	}
	l->adding = c;
	bool ok = MHD_add_connection(l->mhd, fd, (const struct sockaddr *) sin, sizeof *sin) ==
	          MHD_YES;
	c = l->adding; /* NULL when MHD already closed it again */
	l->adding = NULL;
	if (c && !c->owner)
		http_conns_remove(&l->conns, c); /* MHD refused it (and closed the socket) */
	if (!ok) {
		char who[IP4_STRLEN + 6];
		log_rl(&l->rl, LOG_LVL_WARN,
		       "http: %s: libmicrohttpd could not take the %s connection",
		       addr_port(src, port, who), kind_names[l->kind]);
	}
	if (!loop_timer_armed(l->deadline))
		deadline_arm(l, now_ms(l) + l->conns.timeout_ms);
}

static void on_resume(struct loop_timer *t, void *data)
{
	struct listener *l = data;
	(void) loop_io_set_events(l->accept_io, EPOLLIN);
}

static void on_accept(struct loop_io *io, int fd, uint32_t events, void *data)
{
	struct listener *l = data;
	for (int i = 0; i < HTTP_ACCEPT_BATCH; i++) {
		struct sockaddr_in sin;
		socklen_t len = sizeof sin;
		int c = accept4(fd, (struct sockaddr *) &sin, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			if (len == sizeof sin && sin.sin_family == AF_INET)
				admit(l, c, &sin);
			else
				reset_close(c);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* the backlog stays readable: stop watching it for a while */
			log_rl(&l->rl, LOG_LVL_ERR, "http: %s: cannot accept: %s; again in %d ms",
			       kind_names[l->kind], strerror(errno), HTTP_ACCEPT_PAUSE_MS);
			(void) loop_io_set_events(io, 0);
			loop_timer_arm(l->resume, HTTP_ACCEPT_PAUSE_MS);
		}
		if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO)
			break;
	}
	listener_arm(l);
}

/* New bounds from a reload; the deadlines are looked at again at once. */
static void listener_limits(struct listener *l, const struct conf *c)
{
	if (!is_tcp(l))
		return;
	http_conns_limits(&l->conns, c->http.max_connections, c->http.connections_per_source,
	                  (int64_t) c->http.request_timeout_sec * 1000);
	on_deadline(l->deadline, l);
}

/* ---- replies */

static bool add_header(struct MHD_Response *r, const char *name, const char *value)
{
	return MHD_add_response_header(r, name, value) == MHD_YES;
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct http_reply *rp)
{
	struct MHD_Response *r;
	char v[96], d[HTTP_DATE_LEN];
	bool file = rp->fd >= 0 && (rp->status == 200 || rp->status == 206) && rp->len > 0;
	bool ok = true;

	if (file) {
		r = MHD_create_response_from_fd_at_offset64(rp->len, rp->fd, rp->off);
		if (r)
			rp->fd = -1; /* MHD closes it */
	} else if (rp->body) {
		r = MHD_create_response_from_buffer(rp->body_len, rp->body, MHD_RESPMEM_MUST_FREE);
		if (r)
			rp->body = NULL;
	} else {
		r = MHD_create_response_from_buffer(0, (void *) "", MHD_RESPMEM_PERSISTENT);
	}
	if (!r)
		return MHD_NO;
	if (rp->type)
		ok &= add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->type);
	if (rp->fd >= 0 || file || rp->unsatisfiable)
		ok &= add_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
	if (rp->partial && file) {
		snprintf(v, sizeof v, "bytes %llu-%llu/%llu", (unsigned long long) rp->off,
		         (unsigned long long) (rp->off + rp->len - 1),
		         (unsigned long long) rp->size);
		ok &= add_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, v);
	}
	if (rp->unsatisfiable) {
		snprintf(v, sizeof v, "bytes */%llu", (unsigned long long) rp->size);
		ok &= add_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, v);
	}
	if (rp->mtime > 0 && file)
		ok &= add_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, http_date_fmt(rp->mtime, d));
	if (rp->no_store)
		ok &= add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (rp->allow[0])
		ok &= add_header(r, MHD_HTTP_HEADER_ALLOW, rp->allow);
	if (rp->etag[0])
		ok &= add_header(r, MHD_HTTP_HEADER_ETAG, rp->etag);
	if (rp->challenge)
		ok &= add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"netbay\"");
	enum MHD_Result ret = ok ? MHD_queue_response(conn, rp->status, r) : MHD_NO;
	MHD_destroy_response(r);
	return ret;
}

/* ---- requests */

static bool is_api(const char *url)
{
	return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
}

static void log_failure(struct http_server *srv, const char *client, const char *method,
                        const char *url, const struct http_reply *rp)
{
	char m[16], u[160];
	bool ours = rp->status >= 500 && rp->status != 503; /* 503: a module is off */
	log_rl(&srv->rl, ours ? LOG_LVL_ERR : LOG_LVL_WARN, "http: %s: %s %s: %u %s", client,
	       http_printable(method, m, sizeof m), http_printable(url, u, sizeof u), rp->status,
	       rp->why);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	struct http_req *rq = cls;
	if (rq->n_args < HTTP_ARGS_MAX)
		rq->args[rq->n_args] = (struct http_arg){key, value};
	if (rq->n_args <= HTTP_ARGS_MAX)
		rq->n_args++;
	return MHD_YES;
}

static enum MHD_Result respond(struct listener *l, struct MHD_Connection *conn, const char *url,
                               const char *method, struct conn_req *cr)
{
	struct http_server *srv = l->srv;
	char client[64], server[32];
	struct http_reply rp;
	struct http_req rq = {
	        .method = method,
	        .path = url,
	        .client = client,
	        .server = server,
	        .body = cr->body,
	        .body_len = cr->len,
	};

	if (cr->answered)
		return MHD_YES; /* the rest of a refused body: drained */
	cr->answered = true;
	peer_name(l, conn, client, sizeof client, &rq.client_ip);
	LOG_CTX(lc, NULL, rq.client_ip, cr->api ? "http.api" : "http.boot"); /* core/log.h */
	http_reply_init(&rp);
	if (cr->api) {
		rq.if_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                          MHD_HTTP_HEADER_IF_MATCH);
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, &rq);
		if (cr->too_big)
			http_api_error(&rp, 413, "the body is over %zu bytes",
			               http_api_body_max(method, url));
		else
			http_api_handle(srv->api, &rq, auth_of(l, conn, client), &rp);
	} else if (l->kind == LISTEN_HTTP && srv->boot) {
		local_name(l, conn, server, sizeof server);
		rq.range =
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
		rq.if_range = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                          MHD_HTTP_HEADER_IF_RANGE);
		http_boot_handle(srv->boot, &rq, &rp);
	} else {
		http_api_error(&rp, 404, "only /api/ is served here");
	}
	if (rp.status >= 400)
		log_failure(srv, client, method, url, &rp);
	enum MHD_Result ret = queue(conn, &rp);
	http_reply_done(&rp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct conn_req *cr = *con_cls;

	if (!cr) { /* the headers are in: decide what to do with a body */
		cr = calloc(1, sizeof *cr);
		if (!cr)
			return MHD_NO;
		*con_cls = cr;
		conn_state(l, conn, HTTP_CONN_RECEIVING);
		cr->api = is_api(url);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		uint64_t n;
		if (cr->api && cl && nb_parse_uint(cl, 0, UINT64_MAX, &n) == 0 &&
		    n > http_api_body_max(method, url)) {
			cr->too_big = true;
			return respond(l, conn, url, method, cr); /* before reading it */
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (!cr->api || cr->too_big)
			return MHD_YES; /* boot files take no body: drained */
		if (n > http_api_body_max(method, url) - cr->len) {
			cr->too_big = true;
			free(cr->body);
			cr->body = NULL;
			cr->len = 0;
			return MHD_YES;
		}
		char *b = realloc(cr->body, cr->len + n + 1);
		if (!b)
			return MHD_NO;
		memcpy(b + cr->len, upload_data, n);
		cr->body = b;
		cr->len += n;
		b[cr->len] = 0;
		return MHD_YES;
	}
	conn_state(l, conn, HTTP_CONN_REPLYING); /* the request is in whole */
	return respond(l, conn, url, method, cr);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct conn_req *cr = *con_cls;
	static const char *const why[] = {
	        [MHD_REQUEST_TERMINATED_WITH_ERROR] = "ended by an error",
	        [MHD_REQUEST_TERMINATED_TIMEOUT_REACHED] = "timed out",
	        [MHD_REQUEST_TERMINATED_READ_ERROR] = "closed by the client mid-request",
	        [MHD_REQUEST_TERMINATED_CLIENT_ABORT] = "closed by the client before the reply was "
	                                                "sent",
	};
	if ((size_t) toe < NB_ARRAY_SIZE(why) && why[toe]) {
		char client[64];
		uint32_t ip;
		peer_name(l, conn, client, sizeof client, &ip);
		log_rl(&l->srv->rl, LOG_LVL_INFO, "http: %s: connection %s", client, why[toe]);
	}
	if (cr)
		free(cr->body);
	free(cr);
	*con_cls = NULL;
	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		conn_state(l, conn, HTTP_CONN_WAITING); /* kept alive: the next request's clock */
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Percent-decoding of the path and query (RFC 3986 §2.1), except that %00
 * stays as it is: a NUL would silently cut the path short. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi = r[0] == '%' ? hexval(r[1]) : -1;
		int lo = hi >= 0 ? hexval(r[2]) : -1;
		if (lo >= 0 && (hi | lo) != 0) {
			*w++ = (char) (hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
	return (size_t) (w - s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	/* a client can provoke these (a malformed request, a reset): bounded */
	log_rl(&((struct listener *) cls)->rl, LOG_LVL_DEBUG, "http: libmicrohttpd: %s", msg);
}

/* ---- listeners */

static int tcp_socket(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* IP_PKTINFO: the arrival interface of each connection (net_tcp_ifindex) */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    net_tcp_want_ifindex(fd) < 0 || bind(fd, (struct sockaddr *) &sin, sizeof sin) < 0 ||
	    listen(fd, 128) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Whether something accepts connections at path (a running netbay). */
static bool unix_in_use(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	NB_CLEANUP(closep) int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	return connect(fd, (struct sockaddr *) &sun, sizeof sun) == 0 || errno == EAGAIN;
}

/* The API socket: its directory made 0750 if missing, a stale socket of an
 * earlier run replaced, the socket itself 0660. */
static int unix_socket(const char *path, ino_t *ret_ino)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char dir[CONF_SOCKET_MAX];
	struct stat st;

	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	snprintf(dir, sizeof dir, "%s", path);
	char *last = strrchr(dir, '/');
	if (last && last != dir) {
		*last = 0;
		/* like mkdir -p: missing parents 0755, the socket's own directory 0750 */
		for (char *p = dir + 1;; p++) {
			bool end = *p == 0;
			if (*p != '/' && !end)
				continue;
			*p = 0;
			if (mkdir(dir, end ? 0750 : 0755) < 0 && errno != EEXIST)
				return -errno;
			if (end)
				break;
			*p = '/';
		}
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unix_in_use(path))
			return -EADDRINUSE;
		(void) unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	mode_t old = umask(0117);
	int r = bind(fd, (struct sockaddr *) &sun, sizeof sun);
	umask(old);
	if (r < 0 || chmod(path, 0660) < 0 || listen(fd, 64) < 0 || stat(path, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*ret_ino = st.st_ino;
	return fd;
}

static void listener_free(struct listener *l)
{
	struct stat st;
	if (!l)
		return;
	loop_io_free(l->io);
	loop_io_free(l->accept_io);
	loop_timer_free(l->timer);
	loop_timer_free(l->deadline);
	loop_timer_free(l->resume);
	if (l->mhd)
		MHD_stop_daemon(
		        l->mhd); /* closes the connections (and a listen socket it was given) */
	http_conns_done(&l->conns);
	tls_cert_free(l->cert);
	if (l->listen_fd >= 0)
		close(l->listen_fd);
	if (l->kind == LISTEN_API_UNIX && l->sock_ino && stat(l->spec.path, &st) == 0 &&
	    st.st_ino == l->sock_ino)
		(void) unlink(l->spec.path);
	free(l);
}

static void listener_describe(const struct listener_spec *s, enum listener_kind kind, char *buf,
                              size_t n)
{
	char a[IP4_STRLEN];
	if (kind == LISTEN_API_UNIX)
		snprintf(buf, n, "%s", s->path);
	else
		snprintf(buf, n, "%s:%u", ip4_fmt(s->addr, a), s->port);
}

static struct MHD_Daemon *start_mhd(struct listener *l, int fd)
{
	if (!is_tcp(l))
		return MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		                        on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
		                        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		                        (unsigned) HTTP_CONN_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
		                        (unsigned) HTTP_IDLE_SEC, MHD_OPTION_NOTIFY_COMPLETED,
		                        on_completed, l, MHD_OPTION_UNESCAPE_CALLBACK, unescape, l,
		                        MHD_OPTION_END);
	/* HTTPS: GnuTLS in MHD, the certificate in memory (l->cert outlives the daemon) */
	struct MHD_OptionItem tls[] = {
	        {MHD_OPTION_HTTPS_MEM_CERT, 0, l->cert ? l->cert->cert_pem : NULL},
	        {MHD_OPTION_HTTPS_MEM_KEY, 0, l->cert ? l->cert->key_pem : NULL},
	        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *) TLS_PRIORITIES},
	        {MHD_OPTION_END, 0, NULL},
	};
	if (!l->cert)
		tls[0].option = MHD_OPTION_END;
	return MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET |
	                                (l->cert ? MHD_USE_TLS : 0),
	                        0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER,
	                        on_mhd_log, l, MHD_OPTION_CONNECTION_LIMIT,
	                        (unsigned) HTTP_MHD_TCP_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
	                        (unsigned) HTTP_IDLE_SEC, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
	                        l, MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
	                        MHD_OPTION_UNESCAPE_CALLBACK, unescape, l, MHD_OPTION_ARRAY, tls,
	                        MHD_OPTION_END);
}

/* The loop side of a started listener: MHD's epoll fd and timer, and for
 * TCP the accepting socket and the deadline and resume timers. */
static int listener_watch(struct listener *l)
{
	struct loop *loop = l->srv->svc->loop;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	l->timer = loop_timer_new(loop, on_timer, l);
	if (!di || !l->timer)
		return -ENOMEM;
	int r = loop_io_add(loop, di->epoll_fd, EPOLLIN, on_epoll, l, &l->io);
	if (r < 0 || !is_tcp(l))
		return r;
	l->deadline = loop_timer_new(loop, on_deadline, l);
	l->resume = loop_timer_new(loop, on_resume, l);
	if (!l->deadline || !l->resume)
		return -ENOMEM;
	return loop_io_add(loop, l->listen_fd, EPOLLIN, on_accept, l, &l->accept_io);
}

/* The certificate an HTTPS listener for c serves: loaded, or made at first
 * start (core/tls.h); what was made or replaced is logged here. */
static int api_cert(struct http_server *srv, const struct conf *c, struct tls_cert **ret)
{
	char note[400], err[400], t[32];
	struct tls_cert *cert = NULL;
	int r = tls_server_cert(c, srv->svc->lan, nb_wall_sec(), &cert, note, sizeof note, err,
	                        sizeof err);
	if (r < 0) {
		log_err("http: API over HTTPS: %s", err);
		return r;
	}
	if (cert->generated && note[0])
		log_warn("http: made a new self-signed TLS certificate, %s: the old one was not "
		         "usable (%s); clients that pinned its fingerprint must pin the new one",
		         cert->cert_path, note);
	else if (cert->generated)
		log_info("http: made a self-signed TLS certificate %s (%s, valid until %s)",
		         cert->cert_path, cert->info.key_type,
		         tls_time_fmt(cert->info.not_after, t, sizeof t));
	*ret = cert;
	return 0;
}

/* An HTTPS listener's certificate, once it serves it: the fingerprint to pin,
 * and for the self-signed one the names the server has now but the
 * certificate does not carry (an address that came since it was made). */
static void log_cert(struct http_server *srv, const struct conf *c, const struct tls_cert *cert)
{
	struct tls_self_names names;
	char t[32], missing[512];
	log_info("http: API TLS certificate %s (%s, expires %s), SHA-256 fingerprint %s",
	         cert->cert_path, cert->info.key_type,
	         tls_time_fmt(cert->info.not_after, t, sizeof t), cert->info.fingerprint);
	if (!cert->self)
		return;
	tls_server_names(c, srv->svc->lan, &names);
	tls_self_missing(&cert->info, &names, missing, sizeof missing);
	if (missing[0])
		log_warn("http: the self-signed TLS certificate %s does not name %s: clients that "
		         "check names (curl --cacert) refuse it there, those that pin the "
		         "fingerprint do not mind; to make a new one (a new fingerprint), remove "
		         "%s and %s and reload",
		         cert->cert_path, missing, cert->cert_path, cert->key_path);
}

static int listener_new(struct http_server *srv, enum listener_kind kind,
                        const struct listener_spec *spec, const struct conf *c,
                        struct tls_cert **cert, struct listener **ret)
{
	char where[CONF_SOCKET_MAX + 8];
	struct listener *l = calloc(1, sizeof *l);
	int fd, r;

	if (!l)
		return -ENOMEM;
	l->srv = srv;
	l->kind = kind;
	l->spec = *spec;
	l->listen_fd = -1;
	l->rl = (struct log_ratelimit) LOG_RATELIMIT_INIT(2, 10);
	http_conns_init(&l->conns, c->http.max_connections, c->http.connections_per_source,
	                (int64_t) c->http.request_timeout_sec * 1000);
	listener_describe(spec, kind, where, sizeof where);
	fd = kind == LISTEN_API_UNIX ? unix_socket(spec->path, &l->sock_ino)
	                             : tcp_socket(spec->addr, spec->port);
	if (fd < 0) {
		log_err("http: cannot listen on %s (%s): %s", where, kind_names[kind],
		        fd == -EEXIST ? "exists and is not a socket"
		        : fd == -EADDRINUSE && kind == LISTEN_API_UNIX
		                ? "another netbay is serving it"
		                : strerror(-fd));
		free(l);
		return fd;
	}
	if (is_tcp(l))
		l->listen_fd = fd; /* ours: MHD gets the connections, not the socket */
	l->cert = steal_ptr(cert);
	l->mhd = start_mhd(l, fd);
	if (!l->mhd) {
		log_err("http: cannot start libmicrohttpd on %s", where);
		/* MHD keeps the socket open when it refuses early; whether every later
		 * failure path closes it is not documented: close it if still open
		 * (single-threaded, so the number cannot have been reused) */
		if (!is_tcp(l) && fcntl(fd, F_GETFD) >= 0)
			close(fd);
		listener_free(l);
		return -EIO;
	}
	if ((r = listener_watch(l)) < 0) {
		listener_free(l);
		return r;
	}
	listener_arm(l);
	log_info("http: %s listening on %s%s", kind_names[kind], where, l->cert ? " (HTTPS)" : "");
	if (l->cert)
		log_cert(srv, c, l->cert);
	else if (is_tcp(l) && c->api.token[0] && c->api.allow_plain_token)
		log_warn("http: [api] allow-plain-token = yes: the %s listener on %s takes the API "
		         "token over plain HTTP, where anyone who can see the LAN can read it",
		         kind_names[kind], where);
	*ret = l;
	return 0;
}

static struct listener_spec spec_of(const struct conf *c, enum listener_kind kind)
{
	struct listener_spec s = {0};
	switch (kind) {
	case LISTEN_HTTP:
		s = (struct listener_spec){.on = c->http.enable,
		                           .addr = c->http.listen,
		                           .port = (uint16_t) c->http.port};
		break;
	case LISTEN_API_TCP:
		s = (struct listener_spec){.on = c->api.listen_port != 0,
		                           .addr = c->api.listen_addr,
		                           .port = (uint16_t) c->api.listen_port,
		                           .tls = c->api.tls};
		break;
	case LISTEN_API_UNIX:
		s.on = c->api.socket[0] != 0;
		snprintf(s.path, sizeof s.path, "%s", c->api.socket);
		break;
	case LISTEN_KINDS:
		break;
	}
	return s;
}

static bool spec_equal(const struct listener_spec *a, const struct listener_spec *b)
{
	return a->on == b->on && a->addr == b->addr && a->port == b->port &&
	       strcmp(a->path, b->path) == 0 && a->tls == b->tls &&
	       memcmp(a->fp, b->fp, sizeof a->fp) == 0;
}

/* What the health answer says of TLS: the HTTPS listener's certificate. */
static void publish_tls(struct http_server *srv)
{
	const struct listener *l = srv->l[LISTEN_API_TCP];
	if (l && l->cert)
		http_api_set_tls(srv->api, &l->cert->info, l->spec.port);
	else
		http_api_set_tls(srv->api, NULL, 0);
}

/* Makes the listeners match c: unchanged ones keep running (and their
 * connections), changed ones are closed and opened anew. */
static int apply_listeners(struct http_server *srv, const struct conf *c)
{
	for (enum listener_kind k = 0; k < LISTEN_KINDS; k++) {
		NB_CLEANUP(tls_cert_freep) struct tls_cert *cert = NULL;
		struct listener_spec want = spec_of(c, k);
		struct listener *l = srv->l[k];
		int r;
		if (want.on && want.tls) {
			if ((r = api_cert(srv, c, &cert)) < 0)
				return r;
			memcpy(want.fp, cert->info.fp, sizeof want.fp);
		}
		if (l && spec_equal(&l->spec, &want))
			listener_limits(l, c);
		if (l ? spec_equal(&l->spec, &want) : !want.on)
			continue;
		listener_free(l);
		srv->l[k] = NULL;
		publish_tls(srv);
		if (!want.on)
			continue;
		if ((r = listener_new(srv, k, &want, c, &cert, &srv->l[k])) < 0)
			return r;
	}
	publish_tls(srv);
	return 0;
}

/* ---- the module */

/* Each TCP listener may hold max-connections sockets and as many closing:
 * the process must be allowed that many open files. When it still runs
 * out, accepting pauses (on_accept) instead of spinning. */
static void want_fds(const struct conf *c)
{
	uint64_t want = (uint64_t) c->http.max_connections * 2 * 2 + 1024, have = 0;
	if (nb_nofile_at_least(want, &have) < 0)
		log_warn("http: open files limited to %llu; [http] max-connections = %u needs %llu",
		         (unsigned long long) have, c->http.max_connections,
		         (unsigned long long) want);
}

int http_server_new(const struct conf *c, const struct nb_services *svc, struct http_server **ret)
{
	char err[400];
	int r;

	*ret = NULL;
	if (!spec_of(c, LISTEN_HTTP).on && !spec_of(c, LISTEN_API_TCP).on &&
	    !spec_of(c, LISTEN_API_UNIX).on)
		return 0;
	struct http_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return -ENOMEM;
	srv->conf = c;
	srv->svc = svc;
	srv->rl = (struct log_ratelimit) LOG_RATELIMIT_INIT(20, 100);
	srv->api = http_api_new(svc, c);
	if (!srv->api) {
		http_server_free(srv);
		return -ENOMEM;
	}
	if ((r = http_boot_new(c, svc, &srv->boot, err, sizeof err)) < 0) {
		log_err("http: iPXE template %s", err);
		http_server_free(srv);
		return r;
	}
	want_fds(c);
	if ((r = apply_listeners(srv, c)) < 0) {
		http_server_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

int http_server_reload(struct http_server *srv, const struct conf *c)
{
	const struct conf *old = srv->conf;
	char err[400];
	int r;

	if ((r = http_boot_reload(srv->boot, c, err, sizeof err)) < 0) {
		log_err("http: iPXE template %s", err);
		return r;
	}
	want_fds(c);
	if ((r = apply_listeners(srv, c)) < 0) {
		/* put back what the running config had, as far as it goes */
		if (apply_listeners(srv, old) < 0)
			log_err("http: could not restore every listener of the running config");
		if (http_boot_reload(srv->boot, old, err, sizeof err) < 0)
			log_err("http: iPXE template %s", err);
		return r;
	}
	srv->conf = c;
	http_api_reload(srv->api, c);
	return 0;
}

void http_server_free(struct http_server *srv)
{
	if (!srv)
		return;
	for (size_t k = 0; k < LISTEN_KINDS; k++)
		listener_free(srv->l[k]);
	http_boot_free(srv->boot);
	http_api_free(srv->api);
	free(srv);
}

static int module_new(const struct conf *c, const struct nb_services *svc, void **ret)
{
	struct http_server *s = NULL;
	int r = http_server_new(c, svc, &s);
	if (r >= 0)
		*ret = s;
	return r;
}

static int module_reload(void *m, const struct conf *c)
{
	return http_server_reload(m, c);
}

static void module_free(void *m)
{
	http_server_free(m);
}

const struct nb_module http_module = {
        .name = "http",
        .new = module_new,
        .reload = module_reload,
        .free = module_free,
};
