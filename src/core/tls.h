/* TLS certificates (GnuTLS): what the API's HTTPS listener serves, and what
 * every client that talks to it checks.
 *
 *   - a certificate and key pair from files ([api] tls-cert, tls-key),
 *     checked: readable PEM, the key matches the certificate, in its
 *     validity period;
 *   - or the server's own self-signed one, made at first start in
 *     DATA-DIR/tls/ (cert.pem 0644, key.pem 0600): ECDSA P-256, ten years,
 *     names: [server] name, name.<[dns] domain>, the addresses of the served
 *     interfaces and 127.0.0.1; kept across restarts, made anew only when
 *     missing, unreadable, not a pair or expired;
 *   - its identity: the SHA-256 fingerprint of the DER certificate, written
 *     as `openssl x509 -fingerprint -sha256` does (32 upper-case hex pairs
 *     joined by ':'), which clients pin (`netbay --fingerprint`, the doctor,
 *     `netbay join`, mDNS TXT).
 *
 * Nothing here logs; callers say what happened. Errors: -ENOENT (missing),
 * -EACCES (unreadable), -EFBIG (a file over TLS_PEM_MAX), -EBADMSG (not a
 * PEM certificate or key), -EKEYREJECTED (the key is not the certificate's),
 * -EKEYEXPIRED (expired), -ENOMEM, -EIO (GnuTLS failed), each with a
 * one-line reason in err. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;
struct lan;

#define TLS_FP_LEN          32               /* SHA-256 */
#define TLS_FP_STRLEN       (TLS_FP_LEN * 3) /* "AB:CD:...:EF" and its NUL */
#define TLS_NAMES_MAX       32               /* subject alternative names kept */
#define TLS_NAME_MAX        256              /* one name, as text */
#define TLS_PEM_MAX         (1024 * 1024)    /* a certificate (chain) or key file */
#define TLS_PATH_MAX        288              /* CONF_PATH_MAX and "/tls/cert.pem" */
#define TLS_SELF_DAYS       3650             /* validity of the self-signed one */
#define TLS_EXPIRY_WARN_SEC (30 * 86400)     /* "expires soon" */
#define TLS_PRIORITIES      "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* What a certificate says: for logs, the health answer and the doctor. */
struct tls_cert_info {
	uint8_t fp[TLS_FP_LEN];
	char fingerprint[TLS_FP_STRLEN];
	int64_t not_before, not_after;           /* Unix seconds */
	char subject[TLS_NAME_MAX];              /* the subject's common name ("" when none) */
	char names[TLS_NAMES_MAX][TLS_NAME_MAX]; /* DNS and IP subject alternative names */
	size_t n_names;
	bool self_signed;  /* issuer == subject */
	char key_type[32]; /* "ECDSA P-256", "RSA 3072", "EdDSA Ed25519" */
};

/* A loaded pair: what an HTTPS listener is started with. */
struct tls_cert {
	char *cert_pem, *key_pem; /* NUL-terminated PEM (the certificate file may hold a chain) */
	size_t cert_len, key_len;
	char cert_path[TLS_PATH_MAX], key_path[TLS_PATH_MAX];
	bool self;      /* the server's own, in DATA-DIR/tls/ */
	bool generated; /* ... and made by this call */
	struct tls_cert_info info;
};

/* ---- fingerprints */

/* SHA-256 of der. Returns 0 or -EIO. */
int tls_fingerprint_der(const void *der, size_t len, uint8_t ret[TLS_FP_LEN]);
/* "AB:CD:...": upper-case hex pairs joined by ':' (TLS_FP_STRLEN bytes). Returns buf. */
char *tls_fingerprint_fmt(const uint8_t fp[TLS_FP_LEN], char buf[static TLS_FP_STRLEN]);
/* Reads a fingerprint as a user or a peer gives it: 32 hex pairs joined by
 * ':' (every one) or by nothing, any case, surrounding spaces ignored, and
 * optionally after "sha256:", "sha256=" or openssl's "sha256 Fingerprint="
 * (any case). Returns 0 and writes ret, or -EINVAL. */
int tls_fingerprint_parse(const char *s, uint8_t ret[TLS_FP_LEN]);
/* Whether two fingerprints are equal (in constant time). */
bool tls_fingerprint_equal(const uint8_t a[TLS_FP_LEN], const uint8_t b[TLS_FP_LEN]);

/* ---- certificates */

/* Reads a DER certificate (as a TLS peer sends it). Returns 0 and *ret, or
 * -EBADMSG / -ENOMEM. */
int tls_cert_info_der(const void *der, size_t len, struct tls_cert_info *ret);
/* Whether the DER certificate names host (a DNS name, wildcards as RFC 6125
 * allows, or an IPv4 address in dotted form, matched against IP names). */
bool tls_cert_der_names(const void *der, size_t len, const char *host);
/* "2035-06-01 12:00:00 UTC" (buf of at least 32 bytes). Returns buf. */
char *tls_time_fmt(int64_t sec, char *buf, size_t n);

/* Loads and checks the pair at cert_path and key_path (key_path NULL: the
 * certificate alone, key_pem stays NULL). now: the clock to judge the
 * validity by. Returns 0 and *ret (free with tls_cert_free), or a negative
 * errno with the reason in err; an expired certificate is -EKEYEXPIRED
 * (with *ret not set). A certificate not yet valid loads (callers warn). */
int tls_cert_load(const char *cert_path, const char *key_path, int64_t now, struct tls_cert **ret,
                  char *err, size_t errlen);
void tls_cert_free(struct tls_cert *c);
void tls_cert_freep(struct tls_cert **c);

/* What a caller reuses: the fingerprint text and the two paths. */
const char *tls_cert_fingerprint(const struct tls_cert *c);
const char *tls_cert_path(const struct tls_cert *c);
const char *tls_key_path(const struct tls_cert *c);

/* ---- the self-signed certificate */

/* The names the server's own certificate carries. */
struct tls_self_names {
	const char *name;   /* [server] name */
	const char *domain; /* [dns] domain ("" or NULL: none) */
	uint32_t addrs[TLS_NAMES_MAX];
	size_t n_addrs;
};

/* A new ECDSA P-256 key and a certificate for it, signed by itself, valid
 * from an hour before now for TLS_SELF_DAYS, naming names (DNS names first,
 * then the addresses). Returns 0 with *ret_cert_pem and *ret_key_pem
 * (malloc'd, NUL-terminated), or -errno with the reason in err. */
int tls_self_make(const struct tls_self_names *names, int64_t now, char **ret_cert_pem,
                  char **ret_key_pem, char *err, size_t errlen);
/* DIR/cert.pem and DIR/key.pem of the self-signed certificate under data_dir
 * (DIR: data_dir/tls). Returns 0 or -ENAMETOOLONG. */
int tls_self_paths(const char *data_dir, char cert[static TLS_PATH_MAX],
                   char key[static TLS_PATH_MAX]);
/* The self-signed pair under data_dir: loaded when it is there and usable,
 * else made (tls_self_make) and written (the directory 0700, the key 0600,
 * both owned by data_dir's owner). *ret->generated tells which; when an
 * existing pair was replaced, why is in note ("" otherwise). Returns 0 and
 * *ret, or -errno with the reason in err. */
int tls_self_get(const char *data_dir, const struct tls_self_names *names, int64_t now,
                 struct tls_cert **ret, char *note, size_t note_len, char *err, size_t errlen);
/* The names of want the certificate info does not carry, as one
 * comma-separated line into buf ("" when it carries every one). */
void tls_self_missing(const struct tls_cert_info *info, const struct tls_self_names *want,
                      char *buf, size_t n);

/* ---- the server's certificate */

/* The names a server running config c gives its own certificate: its name,
 * name.domain, the addresses of the served interfaces lan knows (lan may be
 * NULL), the [api] listen address when it is one, and 127.0.0.1. */
void tls_server_names(const struct conf *c, struct lan *lan, struct tls_self_names *ret);
/* The certificate the API's HTTPS listener serves for config c: [api]
 * tls-cert and tls-key when set, else the self-signed one in
 * [server] data-dir (tls_self_get with tls_server_names). */
int tls_server_cert(const struct conf *c, struct lan *lan, int64_t now, struct tls_cert **ret,
                    char *note, size_t note_len, char *err, size_t errlen);
