/* TLS client sessions with GnuTLS over non-blocking sockets; see
 * httpc/tls.h. */
#include "httpc/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tls.h"
#include "core/util.h"
#include "httpc/httpc.h"

struct httpc_tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t cred;
	int fd;
	char *desc; /* gnutls_session_get_desc() */
};

void httpc_tls_close(struct httpc_tls *s)
{
	if (!s)
		return;
	if (s->session) {
		(void) gnutls_bye(s->session, GNUTLS_SHUT_WR); /* once: non-blocking, best effort */
		gnutls_deinit(s->session);
	}
	if (s->cred)
		gnutls_certificate_free_credentials(s->cred);
	gnutls_free(s->desc);
	free(s);
}

static void tls_closep(struct httpc_tls **s)
{
	httpc_tls_close(*s);
}

/* Waits for what GnuTLS was blocked on (reading or writing). */
static int wait_session(struct httpc_tls *s, int64_t deadline_ms)
{
	short ev = gnutls_record_get_direction(s->session) ? POLLOUT : POLLIN;
	return httpc_wait_fd(s->fd, ev, deadline_ms);
}

static bool is_address(const char *name)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* The trust the chain is checked against: ca_file, else the system's. */
static int set_trust(struct httpc_tls *s, const struct httpc_tls_opts *o, char *err, size_t errlen)
{
	if (o->ca_file) {
		if (access(o->ca_file, R_OK) < 0)
			return nb_errf(err, errlen, -ENOENT, "cannot read %s: %s", o->ca_file,
			               strerror(errno));
		int n = gnutls_certificate_set_x509_trust_file(s->cred, o->ca_file,
		                                               GNUTLS_X509_FMT_PEM);
		if (n <= 0)
			return nb_errf(err, errlen, -ENOENT, "%s holds no PEM certificate%s%s",
			               o->ca_file, n < 0 ? ": " : "",
			               n < 0 ? gnutls_strerror(n) : "");
		return 0;
	}
	if (gnutls_certificate_set_x509_system_trust(s->cred) <= 0)
		return nb_errf(err, errlen, -ENOENT,
		               "this system has no trusted certificates to check the server's "
		               "against: pin its fingerprint or give a CA file");
	return 0;
}

static int session_new(int fd, const struct httpc_tls_opts *o, struct httpc_tls **ret, char *err,
                       size_t errlen)
{
	NB_CLEANUP(tls_closep) struct httpc_tls *s = calloc(1, sizeof *s);
	int g, r;
	if (!s)
		return -ENOMEM;
	s->fd = fd;
	if ((g = gnutls_certificate_allocate_credentials(&s->cred)) < 0 ||
	    (g = gnutls_init(&s->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL)) <
	            0 ||
	    (g = gnutls_priority_set_direct(s->session, TLS_PRIORITIES, NULL)) < 0 ||
	    (g = gnutls_credentials_set(s->session, GNUTLS_CRD_CERTIFICATE, s->cred)) < 0)
		return nb_errf(err, errlen, -ENOMEM, "TLS: %s", gnutls_strerror(g));
	const char *name = o->server_name ? o->server_name : "";
	if (name[0] && !is_address(name))
		(void) gnutls_server_name_set(s->session, GNUTLS_NAME_DNS, name, strlen(name));
	if (o->verify && !o->pin) {
		if ((r = set_trust(s, o, err, errlen)) < 0)
			return r;
		gnutls_session_set_verify_cert(s->session, name[0] ? name : NULL, 0);
	}
	gnutls_transport_set_int(s->session, fd);
	gnutls_handshake_set_timeout(s->session, 0); /* ours: the deadline */
	*ret = steal_ptr(&s);
	return 0;
}

/* Why a handshake failed, in words. */
static int handshake_error(struct httpc_tls *s, int g, char *err, size_t errlen)
{
	if (g == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		gnutls_datum_t out = {0};
		unsigned st = gnutls_session_get_verify_cert_status(s->session);
		int p = gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0);
		nb_errf(err, errlen, -EKEYREJECTED, "the server's certificate is not trusted: %s",
		        p == 0 && out.data ? (const char *) out.data : "verification failed");
		gnutls_free(out.data);
		return -EKEYREJECTED;
	}
	if (g == GNUTLS_E_UNEXPECTED_PACKET_LENGTH || g == GNUTLS_E_UNEXPECTED_PACKET ||
	    g == GNUTLS_E_UNSUPPORTED_VERSION_PACKET)
		return nb_errf(err, errlen, -EPROTO,
		               "what answers does not speak TLS (a plain HTTP port?): %s",
		               gnutls_strerror(g));
	if (g == GNUTLS_E_PREMATURE_TERMINATION || g == GNUTLS_E_PULL_ERROR ||
	    g == GNUTLS_E_PUSH_ERROR)
		return nb_errf(err, errlen, -EPROTO,
		               "the connection closed during the TLS handshake (a plain HTTP port, "
		               "or not a TLS server?): %s",
		               gnutls_strerror(g));
	return nb_errf(err, errlen, -EPROTO, "the TLS handshake failed: %s", gnutls_strerror(g));
}

/* The certificate must be the pinned one. */
static int check_pin(struct httpc_tls *s, const uint8_t *pin, char *err, size_t errlen)
{
	uint8_t fp[TLS_FP_LEN];
	char got[TLS_FP_STRLEN], want[TLS_FP_STRLEN];
	size_t len;
	const void *der = httpc_tls_peer_der(s, &len);
	if (!der || tls_fingerprint_der(der, len, fp) < 0)
		return nb_errf(err, errlen, -EKEYREJECTED, "the server sent no certificate");
	if (!tls_fingerprint_equal(fp, pin))
		return nb_errf(err, errlen, -EKEYREJECTED,
		               "the server's certificate has the SHA-256 fingerprint %s, not the "
		               "pinned %s",
		               tls_fingerprint_fmt(fp, got), tls_fingerprint_fmt(pin, want));
	return 0;
}

int httpc_tls_open(int fd, const struct httpc_tls_opts *o, int64_t deadline_ms,
                   struct httpc_tls **ret, char *err, size_t errlen)
{
	NB_CLEANUP(tls_closep) struct httpc_tls *s = NULL;
	int r = session_new(fd, o, &s, err, errlen);
	if (r < 0)
		return r;
	for (;;) {
		int g = gnutls_handshake(s->session);
		if (g == 0)
			break;
		if (g == GNUTLS_E_AGAIN || g == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal(g)) {
			if ((r = wait_session(s, deadline_ms)) < 0)
				return nb_errf(err, errlen, r,
				               "the TLS handshake did not finish: %s",
				               strerror(-r));
			continue;
		}
		return handshake_error(s, g, err, errlen);
	}
	if (o->pin && (r = check_pin(s, o->pin, err, errlen)) < 0)
		return r;
	s->desc = gnutls_session_get_desc(s->session);
	*ret = steal_ptr(&s);
	return 0;
}

const void *httpc_tls_peer_der(const struct httpc_tls *s, size_t *ret_len)
{
	unsigned n = 0;
	const gnutls_datum_t *list = gnutls_certificate_get_peers(s->session, &n);
	if (!list || n == 0)
		return NULL;
	*ret_len = list[0].size;
	return list[0].data;
}

const char *httpc_tls_version(const struct httpc_tls *s)
{
	return s->desc ? s->desc : "";
}

int httpc_tls_send(struct httpc_tls *s, const void *buf, size_t n, int64_t deadline_ms)
{
	const char *p = buf;
	while (n) {
		ssize_t k = gnutls_record_send(s->session, p, n);
		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) {
			int r = wait_session(s, deadline_ms);
			if (r < 0)
				return r;
			continue; /* the same data again, as GnuTLS requires */
		}
		if (k < 0)
			return -EIO;
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

ssize_t httpc_tls_read(void *ctx, void *buf, size_t n, int64_t deadline_ms)
{
	struct httpc_tls *s = ctx;
	for (;;) {
		ssize_t k = gnutls_record_recv(s->session, buf, n);
		if (k >= 0)
			return k;
		if (k == GNUTLS_E_PREMATURE_TERMINATION)
			return 0; /* closed without close_notify: the HTTP framing judges */
		if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) {
			int r = wait_session(s, deadline_ms);
			if (r < 0)
				return r;
			continue;
		}
		if (gnutls_error_is_fatal((int) k))
			return -EIO;
	}
}
