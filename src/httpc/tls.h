/* The client side of TLS (GnuTLS) for the CLI's API client and the doctor:
 * a session over a connected non-blocking socket, with the server's
 * certificate checked before any request is sent, one of three ways:
 *
 *   - pinned: its SHA-256 fingerprint must be the one given (core/tls.h);
 *     nothing else about it is judged (a self-signed one is fine);
 *   - verified: its chain must lead to a certificate of ca_file (a
 *     self-signed server certificate itself will do) or, without one, to
 *     the system's trust store, and it must name server_name;
 *   - not checked at all (the doctor, which judges what it gets).
 *
 * Every call is bounded by a deadline (nb_now_ms() clock). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct httpc_response;
struct httpc_tls;

struct httpc_tls_opts {
	const char *server_name; /* sent as SNI when a name; the name verify checks */
	const uint8_t *pin;      /* TLS_FP_LEN bytes, or NULL */
	bool verify;             /* check the chain and the name (ignored with a pin) */
	const char *ca_file;     /* PEM: trusted certificates; NULL: the system's */
};

/* Runs the handshake on fd (connected, non-blocking; it stays the
 * caller's) and checks the certificate as o says. Returns 0 and *ret
 * (close with httpc_tls_close), or: -ETIMEDOUT; -EPROTO when what answers
 * does not speak TLS (a plain HTTP port) or the handshake failed;
 * -EKEYREJECTED when the certificate is refused (not the pinned one, not
 * trusted, another name); -ENOENT when ca_file cannot be read; each with a
 * one-line reason in err. */
int httpc_tls_open(int fd, const struct httpc_tls_opts *o, int64_t deadline_ms,
                   struct httpc_tls **ret, char *err, size_t errlen);
/* Sends a goodbye (best effort) and frees s; NULL-safe. */
void httpc_tls_close(struct httpc_tls *s);

/* The server's certificate as it sent it (DER), valid until close; NULL
 * when it sent none. */
const void *httpc_tls_peer_der(const struct httpc_tls *s, size_t *ret_len);
/* "TLS1.3", "ECDHE-ECDSA-AES-256-GCM" style names, for evidence. */
const char *httpc_tls_version(const struct httpc_tls *s);

/* Sends all n bytes. Returns 0, -ETIMEDOUT or -EIO. */
int httpc_tls_send(struct httpc_tls *s, const void *buf, size_t n, int64_t deadline_ms);
/* An httpc_read_fn (httpc/httpc.h) over the session: pass s as ctx to
 * httpc_receive_from(). */
ssize_t httpc_tls_read(void *s, void *buf, size_t n, int64_t deadline_ms);
