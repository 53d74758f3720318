/* Check 4, HTTP: the server's health endpoint answers, and it is netbay
 * that answers (its JSON names netbay and a version), not a proxy's error
 * page, a captive portal or another web server on the same port. The
 * answer's Date header is kept for the clock check. Then, when the server
 * offers HTTPS ([api] listen: --api-port, or the port its health answer
 * names), the certificate: in date, naming the name or address the doctor
 * used, and the one the user was given (--fingerprint) and netbay names. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "doctor/doctor.h"
#include "httpc/httpc.h"
#include "httpc/tls.h"

#define HEALTH_PATH "/api/v1/health"
#define HEALTH_MAX  (64 * 1024)

int doctor_tcp_connect(uint32_t addr, uint16_t port, int timeout_ms)
{
	struct sockaddr_in sin = {
	        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *) &sin, sizeof sin) < 0 && errno != EINPROGRESS) {
		int r = -errno;
		close(fd);
		return r;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int n = poll(&p, 1, timeout_ms);
	int e = 0;
	socklen_t el = sizeof e;
	if (n == 0)
		e = ETIMEDOUT;
	else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	if (e) {
		close(fd);
		return -e;
	}
	return fd;
}

int doctor_http_get(uint32_t addr, uint16_t port, const char *host, const char *path,
                    const char *extra_headers, int timeout_ms, size_t body_max,
                    struct httpc_response *ret)
{
	int64_t deadline = nb_now_ms() + timeout_ms;
	char req[1024];
	int n = snprintf(req, sizeof req,
	                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: netbay-doctor/" NETBAY_VERSION
	                 "\r\nAccept: */*\r\nConnection: close\r\n%s\r\n",
	                 path, host, extra_headers ? extra_headers : "");
	if (n < 0 || (size_t) n >= sizeof req)
		return -ENAMETOOLONG;
	int fd = doctor_tcp_connect(addr, port, timeout_ms);
	if (fd < 0)
		return fd;
	NB_CLEANUP(closep) int cfd = fd;
	if (send(cfd, req, (size_t) n, MSG_NOSIGNAL) != n)
		return -errno ? -errno : -EIO;
	return httpc_receive(cfd, false, body_max, HTTPC_HEADER_MAX + body_max + 1, deadline, ret);
}

/* The body's first bytes as one printable line, for evidence. */
static void snippet(const char *body, size_t len, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 4 < n && i < 100; i++) {
		unsigned char c = (unsigned char) body[i];
		out[o++] = c >= 0x20 && c < 0x7f ? (char) c : ' ';
	}
	if (len > 100 && o + 4 < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

bool doctor_same_host(const char *asked, const char *name)
{
	size_t l = strcspn(asked, ".");
	return strlen(name) == l && strncasecmp(asked, name, l) == 0;
}

/* The JSON string member key of j into buf ("" when absent); whether it was a string. */
static bool json_str(json_t *j, const char *key, char *buf, size_t n)
{
	const char *v = json_string_value(json_object_get(j, key));
	snprintf(buf, n, "%s", v ? v : "");
	return v != NULL;
}

/* The health answer's "tls": {"port", "fingerprint"}, kept only when both make sense. */
static void read_tls(json_t *tls, struct doctor_health *h)
{
	uint8_t fp[TLS_FP_LEN];
	json_t *port = json_object_get(tls, "port");
	const char *text = json_string_value(json_object_get(tls, "fingerprint"));
	json_int_t p = json_is_integer(port) ? json_integer_value(port) : 0;
	if (p < 1 || p > 65535 || !text || tls_fingerprint_parse(text, fp) < 0)
		return;
	h->tls_port = (uint16_t) p;
	tls_fingerprint_fmt(fp, h->tls_fingerprint);
}

void doctor_health_read(int err, const struct httpc_response *resp, struct doctor_health *ret)
{
	struct doctor_health h = {.addr = ret->addr, .port = ret->port};
	if (err < 0 || !resp) {
		h.err = err < 0 ? err : -EIO;
		*ret = h;
		return;
	}
	h.status = resp->status;
	snprintf(h.content_type, sizeof h.content_type, "%s", resp->content_type);
	snprintf(h.server, sizeof h.server, "%s", resp->server);
	snprintf(h.date, sizeof h.date, "%s", resp->date);
	snippet(resp->body, resp->body_len, h.snippet, sizeof h.snippet);
	h.html = strncasecmp(resp->content_type, "text/html", 9) == 0 ||
	         (resp->body_len && resp->body[strspn(resp->body, " \t\r\n")] == '<');
	json_error_t je;
	json_t *j = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, &je) : NULL;
	h.json = j != NULL;
	bool named = json_str(j, "name", h.name, sizeof h.name);
	bool versioned = json_str(j, "version", h.version, sizeof h.version);
	h.netbay = h.status == 200 && named && versioned && h.name[0];
	if (h.netbay) {
		json_t *t = json_object_get(j, "time");
		h.time = json_is_integer(t) ? (int64_t) json_integer_value(t) : 0;
		(void) json_str(j, "instance", h.instance, sizeof h.instance);
		(void) json_str(json_object_get(j, "dhcp"), "mode", h.dhcp_mode,
		                sizeof h.dhcp_mode);
		read_tls(json_object_get(j, "tls"), &h);
	}
	json_decref(j);
	*ret = h;
}

void doctor_health_describe(const struct doctor_health *h, char *buf, size_t n)
{
	const char *sv = h->server[0] ? ", Server: " : "";
	if (h->err < 0)
		snprintf(buf, n, "no answer (%s)",
		         h->err == -EBADMSG ? "what came back is not HTTP" : strerror(-h->err));
	else if (h->netbay)
		snprintf(buf, n, "netbay '%s' %s%s%s%s", h->name, h->version,
		         h->instance[0] ? " (instance " : "", h->instance,
		         h->instance[0] ? ")" : "");
	else if (h->html)
		snprintf(buf, n, "an HTML page (HTTP %d%s%s)", h->status, sv, h->server);
	else if (h->status == 200 && h->json)
		snprintf(buf, n, "JSON without netbay's name and version (HTTP 200%s%s)", sv,
		         h->server);
	else
		snprintf(buf, n, "HTTP %d%s%s", h->status, sv, h->server);
}

int doctor_http_judge(struct doctor_result *r, const char *url, const char *asked_name,
                      const struct doctor_health *h)
{
	const char *sv = h->server[0] ? ", Server: " : "";
	if (h->err < 0) {
		doctor_verdict(r, DOCTOR_FAIL, "no HTTP answer from %s: %s", url,
		               h->err == -EBADMSG ? "what came back is not HTTP"
		                                  : strerror(-h->err));
		doctor_fix(r, "see the reach check; is `netbay serve` running with [http] enable "
		              "= true on this port?");
		return h->err;
	}
	doctor_evidence(r, "GET %s -> %d, Content-Type: %s%s%s", url, h->status,
	                h->content_type[0] ? h->content_type : "(none)", sv, h->server);
	doctor_evidence(r, "body: %s", h->snippet);
	if (h->netbay) {
		if (asked_name && asked_name[0] && !doctor_same_host(asked_name, h->name)) {
			doctor_verdict(r, DOCTOR_WARN, "%s is answered by netbay '%s' %s, not '%s'",
			               url, h->name, h->version, asked_name);
			doctor_fix(r,
			           "'%s' points at another netbay server: fix its DNS record, or "
			           "set [server] name = %.*s on the right one",
			           asked_name, (int) strcspn(asked_name, "."), asked_name);
		} else {
			doctor_verdict(r, DOCTOR_PASS, "netbay '%s' %s answers at %s", h->name,
			               h->version, url);
		}
		return 0;
	}
	if (h->html) {
		doctor_verdict(r, DOCTOR_FAIL,
		               "%s answers with an HTML page (HTTP %d%s%s), not "
		               "netbay's health: a proxy, captive portal or another web server",
		               url, h->status, sv, h->server);
		doctor_fix(r,
		           "make sure the name and port lead to netbay itself ([http] port), and "
		           "that no proxy or portal sits in between");
	} else if (h->status == 404) {
		doctor_verdict(r, DOCTOR_FAIL,
		               "%s is 404: the web server on that port is not "
		               "netbay%s%s",
		               url, h->server[0] ? " but " : "", h->server);
		doctor_fix(r, "point the name at netbay's address, or move the other web server "
		              "off netbay's [http] port");
	} else if (h->status == 200 && h->json) {
		doctor_verdict(r, DOCTOR_FAIL,
		               "%s answers JSON without netbay's name and version: "
		               "another service answers on that port",
		               url);
		doctor_fix(r, "point the name at netbay's address, or move the other service off "
		              "netbay's [http] port");
	} else {
		doctor_verdict(r, DOCTOR_FAIL, "%s answers HTTP %d%s%s, not netbay's health", url,
		               h->status, sv, h->server);
		doctor_fix(r, "make sure the name and port lead to netbay itself ([http] port)");
	}
	return -EPROTO;
}

const struct doctor_health *doctor_health_at(struct doctor *d, uint32_t addr)
{
	static const struct doctor_health not_asked = {.err = -EAGAIN}; /* never: the table fits */
	char a[IP4_STRLEN];
	struct httpc_response resp = {0};
	for (size_t i = 0; i < d->n_health; i++)
		if (d->health[i].addr == addr)
			return &d->health[i];
	if (d->n_health == DOCTOR_MAX_HEALTH)
		return &not_asked;
	struct doctor_health *h = &d->health[d->n_health++];
	ip4_fmt(addr, a);
	int e = doctor_http_get(addr, d->o.http_port, d->name[0] ? d->name : a, HEALTH_PATH, NULL,
	                        d->o.timeout_ms, HEALTH_MAX, &resp);
	int64_t local = nb_wall_sec();
	h->addr = addr;
	h->port = d->o.http_port;
	doctor_health_read(e, e < 0 ? NULL : &resp, h);
	h->local = local;
	if (e >= 0)
		httpc_response_done(&resp);
	return h;
}

/* ---- HTTPS: the certificate part */

int doctor_https_get(uint32_t addr, uint16_t port, const char *host, const char *path,
                     int timeout_ms, size_t body_max, struct doctor_tls *t,
                     struct httpc_response *ret)
{
	int64_t deadline = nb_now_ms() + timeout_ms;
	struct httpc_tls *s = NULL;
	char req[1024];
	size_t len;
	*t = (struct doctor_tls){.addr = addr, .port = port};
	snprintf(t->asked, sizeof t->asked, "%s", host);
	int n = snprintf(
	        req, sizeof req,
	        "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: netbay-doctor/" NETBAY_VERSION
	        "\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	        path, host, port);
	if (n < 0 || (size_t) n >= sizeof req)
		return t->err = -ENAMETOOLONG;
	int fd = doctor_tcp_connect(addr, port, timeout_ms);
	if (fd < 0) {
		snprintf(t->why, sizeof t->why, "cannot connect: %s", strerror(-fd));
		return t->err = fd;
	}
	NB_CLEANUP(closep) int cfd = fd;
	/* nothing checked here: the judge looks at what came */
	struct httpc_tls_opts o = {.server_name = host};
	if ((t->err = httpc_tls_open(cfd, &o, deadline, &s, t->why, sizeof t->why)) < 0)
		return t->err;
	snprintf(t->desc, sizeof t->desc, "%s", httpc_tls_version(s));
	const void *der = httpc_tls_peer_der(s, &len);
	t->have_cert = der && tls_cert_info_der(der, len, &t->cert) == 0;
	t->names_asked = t->have_cert && tls_cert_der_names(der, len, host);
	int r = httpc_tls_send(s, req, (size_t) n, deadline);
	if (r == 0)
		r = httpc_receive_from(httpc_tls_read, s, false, body_max,
		                       HTTPC_HEADER_MAX + body_max + 1, deadline, ret);
	httpc_tls_close(s);
	return r;
}

/* "bay, bay.lan, 10.0.0.1 (CN bay)" */
static void cert_names(const struct tls_cert_info *c, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < c->n_names && o < n; i++)
		o += (size_t) snprintf(buf + o, n - o, "%s%s", i ? ", " : "", c->names[i]);
	if (o < n)
		snprintf(buf + o, n - o, "%s(CN %.64s)", o ? " " : "",
		         c->subject[0] ? c->subject : "none");
}

/* The dates against now: expired or not yet valid fail, near the end warns. */
static void judge_dates(struct doctor_result *r, const char *url, const struct tls_cert_info *c,
                        int64_t now)
{
	char a[32], b[32], t[32];
	tls_time_fmt(c->not_before, a, sizeof a);
	tls_time_fmt(c->not_after, b, sizeof b);
	tls_time_fmt(now, t, sizeof t);
	doctor_evidence(r, "certificate valid from %s until %s; this machine's clock: %s", a, b, t);
	if (c->not_after < now) {
		doctor_verdict(r, DOCTOR_FAIL, "the certificate of %s expired on %s", url, b);
		doctor_fix(r,
		           "renew it ([api] tls-cert and tls-key, then reload); a self-signed one: "
		           "remove the server's DATA-DIR/tls/ and reload. If the dates look "
		           "right, check this machine's clock");
	} else if (c->not_before > now) {
		doctor_verdict(r, DOCTOR_FAIL, "the certificate of %s is not valid before %s", url,
		               a);
		doctor_fix(r, "check this machine's clock (and the server's): the certificate is "
		              "from the future");
	} else if (c->not_after - now < TLS_EXPIRY_WARN_SEC) {
		doctor_verdict(r, DOCTOR_WARN, "the certificate of %s expires on %s, in %lld days",
		               url, b, (long long) ((c->not_after - now) / 86400));
		doctor_fix(r, "renew it before then ([api] tls-cert, tls-key)");
	}
}

/* The fingerprint against the one the user was given and the one netbay's
 * health answer names. */
static void judge_fingerprint(struct doctor_result *r, const char *url, const struct doctor_tls *t,
                              const uint8_t *pin, const char *named)
{
	char want[TLS_FP_STRLEN];
	uint8_t fp[TLS_FP_LEN];
	doctor_evidence(r, "certificate SHA-256 fingerprint: %s", t->cert.fingerprint);
	if (pin) {
		tls_fingerprint_fmt(pin, want);
		doctor_evidence(r, "fingerprint you were given:     %s", want);
		if (!tls_fingerprint_equal(pin, t->cert.fp)) {
			doctor_verdict(
			        r, DOCTOR_FAIL,
			        "the certificate of %s is not the one you were given "
			        "(--fingerprint): someone in between, another server, or a new "
			        "certificate",
			        url);
			doctor_fix(
			        r,
			        "compare with the fingerprint the server logs at start (\"API TLS "
			        "certificate ... SHA-256 fingerprint\"); when the server's "
			        "certificate was renewed, pin the new one");
		}
	}
	if (named[0] && tls_fingerprint_parse(named, fp) == 0 &&
	    !tls_fingerprint_equal(fp, t->cert.fp)) {
		doctor_evidence(r, "fingerprint netbay's health names: %s", named);
		doctor_verdict(
		        r, DOCTOR_FAIL,
		        "the certificate of %s is not the one netbay says it serves: something "
		        "in between answers TLS",
		        url);
		doctor_fix(r, "look for a TLS-intercepting proxy or another service on port %u",
		           t->port);
	}
}

int doctor_tls_judge(struct doctor_result *r, const struct doctor_tls *t, const uint8_t *pin,
                     const char *named_fp, int64_t now)
{
	char url[160], a[IP4_STRLEN], names[DOCTOR_LINE_MAX - 32], who[DOCTOR_LINE_MAX];
	snprintf(url, sizeof url, "https://%s:%u", ip4_fmt(t->addr, a), t->port);
	if (t->err < 0 || !t->have_cert) {
		doctor_verdict(r, DOCTOR_FAIL, "no TLS at %s: %s", url,
		               t->err < 0 ? t->why : "no certificate came");
		doctor_fix(r, "is [api] listen set with tls = yes on the server, and %u/tcp open?",
		           t->port);
		return -EPROTO;
	}
	doctor_evidence(r, "TLS at %s: %s, certificate %s%s", url, t->desc, t->cert.key_type,
	                t->cert.self_signed ? ", self-signed" : "");
	cert_names(&t->cert, names, sizeof names);
	doctor_evidence(r, "names in the certificate: %s", names);
	judge_dates(r, url, &t->cert, now);
	if (!t->names_asked) {
		doctor_verdict(r, DOCTOR_FAIL, "the certificate of %s does not name '%s'", url,
		               t->asked);
		doctor_fix(r,
		           "use a name or address it names; a self-signed one is made with the "
		           "server's names and addresses: remove its DATA-DIR/tls/ and reload to "
		           "make it again; your own: get one that names %s",
		           t->asked);
	}
	judge_fingerprint(r, url, t, pin, named_fp);
	doctor_health_describe(&t->health, who, sizeof who);
	doctor_evidence(r, "GET %s" HEALTH_PATH " -> %s", url, who);
	if (!t->health.netbay) {
		doctor_verdict(r, DOCTOR_FAIL, "%s" HEALTH_PATH " does not answer as netbay: %s",
		               url, who);
		doctor_fix(r, "make sure port %u leads to netbay's [api] listen", t->port);
		return -EPROTO;
	}
	/* shown when nothing before it was (a plain HTTP answer usually is) */
	(void) doctor_verdict(r, DOCTOR_PASS,
	                      "netbay answers over HTTPS at %s (certificate for %s)", url,
	                      t->asked);
	return 0;
}

void doctor_check_http(struct doctor *d, struct doctor_result *r)
{
	char url[128], a[IP4_STRLEN];
	struct httpc_response resp = {0};
	struct doctor_tls *t;
	if (!d->addr) {
		doctor_verdict(r, DOCTOR_SKIP, "the server's address is not known");
		return;
	}
	ip4_fmt(d->addr, a);
	snprintf(url, sizeof url, "http://%s:%u" HEALTH_PATH, a, d->o.http_port);
	const struct doctor_health *h = doctor_health_at(d, d->addr);
	(void) doctor_http_judge(r, url, d->name, h);
	/* HTTPS where --api-port says, else where the health answer says */
	uint16_t port = d->o.api_port ? d->o.api_port : h->tls_port;
	if (!port) {
		doctor_evidence(r, "HTTPS: not offered (the health answer names no [api] listen)");
		if (d->o.have_pin &&
		    doctor_verdict(
		            r, DOCTOR_FAIL,
		            "--fingerprint was given, but %s offers no HTTPS to compare it with",
		            a))
			doctor_fix(
			        r,
			        "give --api-port PORT ([api] listen) if the health answer does not "
			        "name it");
		return;
	}
	if (!(t = calloc(1, sizeof *t)))
		return;
	int e = doctor_https_get(d->addr, port, d->name[0] ? d->name : a, HEALTH_PATH,
	                         d->o.timeout_ms, HEALTH_MAX, t, &resp);
	doctor_health_read(e, e < 0 ? NULL : &resp, &t->health);
	if (e >= 0)
		httpc_response_done(&resp);
	(void) doctor_tls_judge(r, t, d->o.have_pin ? d->o.pin : NULL, h->tls_fingerprint,
	                        nb_wall_sec());
	free(t);
}
