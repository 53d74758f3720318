/* TLS certificates with GnuTLS: fingerprints, reading and checking a pair,
 * and the server's self-signed certificate (core/tls.h). */
#include "core/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/lan.h"
#include "core/util.h"
#include "core/wire.h"

/* ---- fingerprints */

int tls_fingerprint_der(const void *der, size_t len, uint8_t ret[TLS_FP_LEN])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, ret) < 0 ? -EIO : 0;
}

char *tls_fingerprint_fmt(const uint8_t fp[TLS_FP_LEN], char buf[static TLS_FP_STRLEN])
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < TLS_FP_LEN; i++) {
		buf[i * 3] = hex[fp[i] >> 4];
		buf[i * 3 + 1] = hex[fp[i] & 15];
		buf[i * 3 + 2] = i + 1 < TLS_FP_LEN ? ':' : 0;
	}
	return buf;
}

static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Skips one of the prefixes tls_fingerprint_parse() allows. */
static void skip_prefix(struct wire *w)
{
	static const char *const prefixes[] = {"sha256 fingerprint=", "sha256:", "sha256="};
	for (size_t i = 0; i < NB_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (wire_left(w) >= n && strncasecmp((const char *) w->p, prefixes[i], n) == 0) {
			wire_skip(w, n);
			return;
		}
	}
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int tls_fingerprint_parse(const char *s, uint8_t ret[TLS_FP_LEN])
{
	uint8_t fp[TLS_FP_LEN];
	size_t len = strlen(s), start = 0;
	while (start < len && blank(s[start]))
		start++;
	while (len > start && blank(s[len - 1]))
		len--;
	struct wire w = wire_init(s + start, len - start);
	skip_prefix(&w);
	bool colons = wire_left(&w) == TLS_FP_LEN * 3 - 1;
	if (!colons && wire_left(&w) != TLS_FP_LEN * 2)
		return -EINVAL;
	for (size_t i = 0; i < TLS_FP_LEN; i++) {
		int hi = hex_digit(wire_u8(&w)), lo = hex_digit(wire_u8(&w));
		if (hi < 0 || lo < 0)
			return -EINVAL;
		fp[i] = (uint8_t) (hi << 4 | lo);
		if (colons && i + 1 < TLS_FP_LEN && wire_u8(&w) != ':')
			return -EINVAL;
	}
	if (w.err || wire_left(&w))
		return -EINVAL;
	memcpy(ret, fp, sizeof fp);
	return 0;
}

bool tls_fingerprint_equal(const uint8_t a[TLS_FP_LEN], const uint8_t b[TLS_FP_LEN])
{
	return gnutls_memcmp(a, b, TLS_FP_LEN) == 0;
}

/* ---- reading certificates */

char *tls_time_fmt(int64_t sec, char *buf, size_t n)
{
	time_t t = (time_t) sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "@%lld", (long long) sec);
	return buf;
}

static void crt_freep(gnutls_x509_crt_t *c)
{
	if (*c)
		gnutls_x509_crt_deinit(*c);
}

static void key_freep(gnutls_x509_privkey_t *k)
{
	if (*k)
		gnutls_x509_privkey_deinit(*k);
}

static void pubkey_freep(gnutls_pubkey_t *k)
{
	if (*k)
		gnutls_pubkey_deinit(*k);
}

static void datum_freep(gnutls_datum_t *d)
{
	gnutls_free(d->data);
	d->data = NULL;
}

static const char *curve_name(gnutls_ecc_curve_t curve)
{
	switch (curve) {
	case GNUTLS_ECC_CURVE_SECP256R1:
		return "P-256";
	case GNUTLS_ECC_CURVE_SECP384R1:
		return "P-384";
	case GNUTLS_ECC_CURVE_SECP521R1:
		return "P-521";
	default:
		return gnutls_ecc_curve_get_name(curve);
	}
}

/* "ECDSA P-256", "RSA 3072", "Ed25519". */
static void key_type(gnutls_x509_crt_t crt, char *buf, size_t n)
{
	unsigned bits = 0;
	int alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
	NB_CLEANUP(pubkey_freep) gnutls_pubkey_t pub = NULL;
	gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
	if (alg == GNUTLS_PK_ECDSA && gnutls_pubkey_init(&pub) == 0 &&
	    gnutls_pubkey_import_x509(pub, crt, 0) == 0)
		(void) gnutls_pubkey_export_ecc_raw(pub, &curve, NULL, NULL);
	const char *cn = curve != GNUTLS_ECC_CURVE_INVALID ? curve_name(curve) : NULL;
	if (alg == GNUTLS_PK_ECDSA)
		snprintf(buf, n, "ECDSA %s", cn ? cn : "?");
	else if (alg == GNUTLS_PK_EDDSA_ED25519)
		snprintf(buf, n, "Ed25519");
	else if (alg == GNUTLS_PK_EDDSA_ED448)
		snprintf(buf, n, "Ed448");
	else if (alg == GNUTLS_PK_RSA || alg == GNUTLS_PK_RSA_PSS)
		snprintf(buf, n, "RSA %u", bits);
	else
		snprintf(buf, n, "%s %u", alg < 0 ? "?" : gnutls_pk_algorithm_get_name(alg), bits);
}

/* The subject alternative names a certificate carries, as text. */
static void alt_names(gnutls_x509_crt_t crt, struct tls_cert_info *info)
{
	for (unsigned i = 0; info->n_names < TLS_NAMES_MAX; i++) {
		char buf[TLS_NAME_MAX];
		size_t size = sizeof buf - 1;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, NULL);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if (t == GNUTLS_SAN_DNSNAME && size < sizeof buf) {
			buf[size] = 0;
			snprintf(info->names[info->n_names++], TLS_NAME_MAX, "%s", buf);
		} else if (t == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
			char text[INET6_ADDRSTRLEN];
			if (inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text, sizeof text))
				snprintf(info->names[info->n_names++], TLS_NAME_MAX, "%s", text);
		}
		/* other kinds (e-mail, URI), or one too long to keep: skipped */
	}
}

/* The info of crt; its fingerprint is of raw (the DER as received) when
 * given, else of the DER GnuTLS writes back. */
static int crt_info(gnutls_x509_crt_t crt, const gnutls_datum_t *raw, struct tls_cert_info *ret)
{
	struct tls_cert_info info = {0};
	NB_CLEANUP(datum_freep) gnutls_datum_t der = {0};
	if (!raw && gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
		return -EBADMSG;
	if (!raw)
		raw = &der;
	if (tls_fingerprint_der(raw->data, raw->size, info.fp) < 0)
		return -EBADMSG;
	tls_fingerprint_fmt(info.fp, info.fingerprint);
	info.not_before = (int64_t) gnutls_x509_crt_get_activation_time(crt);
	info.not_after = (int64_t) gnutls_x509_crt_get_expiration_time(crt);
	size_t n = sizeof info.subject - 1;
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, info.subject,
	                                  &n) < 0)
		info.subject[0] = 0;
	info.self_signed = gnutls_x509_crt_check_issuer(crt, crt) != 0;
	alt_names(crt, &info);
	key_type(crt, info.key_type, sizeof info.key_type);
	*ret = info;
	return 0;
}

static int crt_from_der(const void *der, size_t len, gnutls_x509_crt_t *ret)
{
	gnutls_datum_t d = {.data = (unsigned char *) der, .size = (unsigned) len};
	gnutls_x509_crt_t crt = NULL;
	if (len > TLS_PEM_MAX)
		return -EBADMSG;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return -EBADMSG;
	}
	*ret = crt;
	return 0;
}

int tls_cert_info_der(const void *der, size_t len, struct tls_cert_info *ret)
{
	NB_CLEANUP(crt_freep) gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t raw = {.data = (unsigned char *) der, .size = (unsigned) len};
	int r = crt_from_der(der, len, &crt);
	return r < 0 ? r : crt_info(crt, &raw, ret);
}

bool tls_cert_der_names(const void *der, size_t len, const char *host)
{
	NB_CLEANUP(crt_freep) gnutls_x509_crt_t crt = NULL;
	/* GnuTLS compares a dotted address with the IP names, anything else
	 * with the DNS names (RFC 6125 wildcards) */
	return crt_from_der(der, len, &crt) == 0 && host[0] &&
	       gnutls_x509_crt_check_hostname2(crt, host, 0) != 0;
}

/* The whole file into a NUL-terminated buffer. */
static int read_file(const char *what, const char *path, char **ret, size_t *ret_len, char *err,
                     size_t errlen)
{
	NB_CLEANUP(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return nb_errf(err, errlen, -errno, "%s %s: cannot read: %s", what, path,
		               strerror(errno));
	if (!S_ISREG(st.st_mode))
		return nb_errf(err, errlen, -EBADMSG, "%s %s: not a regular file", what, path);
	if (st.st_size > TLS_PEM_MAX)
		return nb_errf(err, errlen, -EFBIG, "%s %s: over %d bytes", what, path,
		               TLS_PEM_MAX);
	NB_CLEANUP(freep) char *buf = malloc((size_t) st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	size_t len = 0;
	while (len < (size_t) st.st_size) {
		ssize_t k = read(fd, buf + len, (size_t) st.st_size - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return nb_errf(err, errlen, -errno, "%s %s: cannot read: %s", what, path,
			               strerror(errno));
		if (k == 0)
			break;
		len += (size_t) k;
	}
	buf[len] = 0;
	*ret = steal_ptr(&buf);
	*ret_len = len;
	return 0;
}

/* The first certificate of a PEM file (the server's; a chain may follow). */
static int crt_from_pem(const char *pem, size_t len, const char *path, gnutls_x509_crt_t *ret,
                        char *err, size_t errlen)
{
	gnutls_datum_t d = {.data = (unsigned char *) pem, .size = (unsigned) len};
	gnutls_x509_crt_t *list = NULL;
	unsigned n = 0;
	int g = gnutls_x509_crt_list_import2(&list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (g < 0 || n == 0)
		return nb_errf(
		        err, errlen, -EBADMSG,
		        "certificate %s: not a PEM certificate (\"-----BEGIN CERTIFICATE\"): "
		        "%s",
		        path, g < 0 ? gnutls_strerror(g) : "none in the file");
	for (unsigned i = 1; i < n; i++)
		gnutls_x509_crt_deinit(list[i]);
	*ret = list[0];
	gnutls_free(list);
	return 0;
}

static int key_from_pem(const char *pem, size_t len, const char *path, gnutls_x509_privkey_t *ret,
                        char *err, size_t errlen)
{
	gnutls_datum_t d = {.data = (unsigned char *) pem, .size = (unsigned) len};
	gnutls_x509_privkey_t key = NULL;
	if (gnutls_x509_privkey_init(&key) < 0)
		return -ENOMEM;
	int g = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (g < 0) {
		gnutls_x509_privkey_deinit(key);
		if (g == GNUTLS_E_DECRYPTION_FAILED || strstr(pem, "ENCRYPTED"))
			return nb_errf(err, errlen, -EBADMSG,
			               "key %s: encrypted with a passphrase; netbay needs it "
			               "unencrypted (and mode 0600)",
			               path);
		return nb_errf(err, errlen, -EBADMSG, "key %s: not a PEM private key: %s", path,
		               gnutls_strerror(g));
	}
	*ret = key;
	return 0;
}

/* Whether key is the private half of crt's public key. */
static int pair_check(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cert_path,
                      const char *key_path, char *err, size_t errlen)
{
	unsigned char a[64], b[64];
	size_t na = sizeof a, nb = sizeof b;
	if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &na) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &nb) < 0)
		return nb_errf(err, errlen, -EBADMSG, "cannot compare %s with %s", key_path,
		               cert_path);
	if (na != nb || memcmp(a, b, na) != 0)
		return nb_errf(err, errlen, -EKEYREJECTED,
		               "key %s is not the key of certificate %s (another pair's?)",
		               key_path, cert_path);
	return 0;
}

void tls_cert_free(struct tls_cert *c)
{
	if (!c)
		return;
	free(c->cert_pem);
	if (c->key_pem) {
		explicit_bzero(c->key_pem, c->key_len);
		free(c->key_pem);
	}
	free(c);
}

void tls_cert_freep(struct tls_cert **c)
{
	tls_cert_free(*c);
}

/* A pair from PEM text (taken over: freed on failure too). */
static int cert_from_pem(char *cert_pem, size_t cert_len, char *key_pem, size_t key_len,
                         const char *cert_path, const char *key_path, int64_t now,
                         struct tls_cert **ret, char *err, size_t errlen)
{
	NB_CLEANUP(tls_cert_freep) struct tls_cert *c = calloc(1, sizeof *c);
	NB_CLEANUP(crt_freep) gnutls_x509_crt_t crt = NULL;
	NB_CLEANUP(key_freep) gnutls_x509_privkey_t key = NULL;
	char t[32];
	int r;

	if (!c) {
		free(cert_pem);
		free(key_pem);
		return -ENOMEM;
	}
	c->cert_pem = cert_pem;
	c->cert_len = cert_len;
	c->key_pem = key_pem;
	c->key_len = key_len;
	snprintf(c->cert_path, sizeof c->cert_path, "%s", cert_path);
	snprintf(c->key_path, sizeof c->key_path, "%s", key_path ? key_path : "");
	if ((r = crt_from_pem(cert_pem, cert_len, cert_path, &crt, err, errlen)) < 0)
		return r;
	if (key_pem && ((r = key_from_pem(key_pem, key_len, key_path, &key, err, errlen)) < 0 ||
	                (r = pair_check(crt, key, cert_path, key_path, err, errlen)) < 0))
		return r;
	if ((r = crt_info(crt, NULL, &c->info)) < 0)
		return nb_errf(err, errlen, r, "certificate %s: cannot be read", cert_path);
	if (c->info.not_after <= now)
		return nb_errf(err, errlen, -EKEYEXPIRED, "certificate %s expired on %s", cert_path,
		               tls_time_fmt(c->info.not_after, t, sizeof t));
	*ret = steal_ptr(&c);
	return 0;
}

int tls_cert_load(const char *cert_path, const char *key_path, int64_t now, struct tls_cert **ret,
                  char *err, size_t errlen)
{
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int r = read_file("certificate", cert_path, &cert, &cert_len, err, errlen);
	if (r < 0)
		return r;
	if (key_path && (r = read_file("key", key_path, &key, &key_len, err, errlen)) < 0) {
		free(cert);
		return r;
	}
	return cert_from_pem(cert, cert_len, key, key_len, cert_path, key_path, now, ret, err,
	                     errlen);
}

const char *tls_cert_fingerprint(const struct tls_cert *c)
{
	return c->info.fingerprint;
}

const char *tls_cert_path(const struct tls_cert *c)
{
	return c->cert_path;
}

const char *tls_key_path(const struct tls_cert *c)
{
	return c->key_path;
}

/* ---- the self-signed certificate */

static int gnutls_err(char *err, size_t errlen, const char *what, int g)
{
	return nb_errf(err, errlen, g == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EIO,
	               "cannot make the certificate: %s: %s", what, gnutls_strerror(g));
}

/* The names, DNS ones first: name, name.domain, then the addresses. */
static int self_set_names(gnutls_x509_crt_t crt, const struct tls_self_names *names, char *err,
                          size_t errlen)
{
	char fqdn[TLS_NAME_MAX];
	int g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, names->name,
	                                             (unsigned) strlen(names->name),
	                                             GNUTLS_FSAN_APPEND);
	if (g < 0)
		return gnutls_err(err, errlen, "name", g);
	if (names->domain && names->domain[0] &&
	    snprintf(fqdn, sizeof fqdn, "%s.%s", names->name, names->domain) < (int) sizeof fqdn &&
	    (g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, fqdn,
	                                              (unsigned) strlen(fqdn),
	                                              GNUTLS_FSAN_APPEND)) < 0)
		return gnutls_err(err, errlen, "name.domain", g);
	for (size_t i = 0; i < names->n_addrs; i++) {
		uint32_t be = htonl(names->addrs[i]);
		if ((g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &be, 4,
		                                              GNUTLS_FSAN_APPEND)) < 0)
			return gnutls_err(err, errlen, "address", g);
	}
	return 0;
}

/* Everything but the names and the signature. */
static int self_set_fields(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn,
                           int64_t now, char *err, size_t errlen)
{
	unsigned char serial[16], id[64];
	size_t id_len = sizeof id;
	int g;
	if ((g = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial)) < 0)
		return gnutls_err(err, errlen, "serial", g);
	serial[0] &= 0x7f; /* RFC 5280 §4.1.2.2: positive */
	serial[0] |= 0x40; /* and 16 bytes long */
	if ((g = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (g = gnutls_x509_crt_set_serial(crt, serial, sizeof serial)) < 0 ||
	    (g = gnutls_x509_crt_set_activation_time(crt, (time_t) (now - 3600))) < 0 ||
	    (g = gnutls_x509_crt_set_expiration_time(
	             crt, (time_t) (now + (int64_t) TLS_SELF_DAYS * 86400))) < 0 ||
	    (g = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                                       (unsigned) strlen(cn))) < 0 ||
	    (g = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
	                                       "netbay self-signed", 18)) < 0 ||
	    (g = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (g = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (g = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id, &id_len)) < 0 ||
	    (g = gnutls_x509_crt_set_subject_key_id(crt, id, id_len)) < 0)
		return gnutls_err(err, errlen, "fields", g);
	return 0;
}

static int datum_str(gnutls_datum_t *d, char **ret)
{
	char *s = malloc(d->size + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, d->data, d->size);
	s[d->size] = 0;
	*ret = s;
	return 0;
}

int tls_self_make(const struct tls_self_names *names, int64_t now, char **ret_cert_pem,
                  char **ret_key_pem, char *err, size_t errlen)
{
	NB_CLEANUP(crt_freep) gnutls_x509_crt_t crt = NULL;
	NB_CLEANUP(key_freep) gnutls_x509_privkey_t key = NULL;
	NB_CLEANUP(datum_freep) gnutls_datum_t cert_pem = {0};
	NB_CLEANUP(datum_freep) gnutls_datum_t key_pem = {0};
	char *c = NULL, *k = NULL;
	int g, r;

	if (!names->name || !names->name[0])
		return nb_errf(err, errlen, -EINVAL, "cannot make the certificate: no name");
	if ((g = gnutls_x509_crt_init(&crt)) < 0 || (g = gnutls_x509_privkey_init(&key)) < 0 ||
	    (g = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	                                      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
	                                      0)) < 0)
		return gnutls_err(err, errlen, "key", g);
	if ((r = self_set_fields(crt, key, names->name, now, err, errlen)) < 0 ||
	    (r = self_set_names(crt, names, err, errlen)) < 0)
		return r;
	if ((g = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
		return gnutls_err(err, errlen, "signature", g);
	if ((g = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cert_pem)) < 0 ||
	    (g = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
	                                           GNUTLS_PKCS_PLAIN, &key_pem)) < 0)
		return gnutls_err(err, errlen, "export", g);
	if (datum_str(&cert_pem, &c) < 0 || datum_str(&key_pem, &k) < 0) {
		free(c);
		return -ENOMEM;
	}
	explicit_bzero(key_pem.data, key_pem.size);
	*ret_cert_pem = c;
	*ret_key_pem = k;
	return 0;
}

int tls_self_paths(const char *data_dir, char cert[static TLS_PATH_MAX],
                   char key[static TLS_PATH_MAX])
{
	if (snprintf(cert, TLS_PATH_MAX, "%s/tls/cert.pem", data_dir) >= TLS_PATH_MAX ||
	    snprintf(key, TLS_PATH_MAX, "%s/tls/key.pem", data_dir) >= TLS_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* Writes the new pair: the directory 0700, the key 0600 (before the
 * certificate, so a certificate on disk always has its key), both owned by
 * whoever owns data_dir (the user netbay runs as once it drops root). */
static int self_write(const char *data_dir, const char *cert_path, const char *key_path,
                      const char *cert_pem, const char *key_pem, char *err, size_t errlen)
{
	char dir[TLS_PATH_MAX];
	struct stat owner;
	snprintf(dir, sizeof dir, "%s/tls", data_dir);
	if (mkdir(data_dir, 0750) < 0 && errno != EEXIST)
		return nb_errf(err, errlen, -errno, "cannot make %s: %s", data_dir,
		               strerror(errno));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return nb_errf(err, errlen, -errno, "cannot make %s: %s", dir, strerror(errno));
	int r = nb_write_file_atomic(key_path, key_pem, strlen(key_pem), 0600);
	if (r < 0)
		return nb_errf(err, errlen, r, "cannot write %s: %s", key_path, strerror(-r));
	r = nb_write_file_atomic(cert_path, cert_pem, strlen(cert_pem), 0644);
	if (r < 0)
		return nb_errf(err, errlen, r, "cannot write %s: %s", cert_path, strerror(-r));
	if (stat(data_dir, &owner) == 0 && owner.st_uid != geteuid()) {
		(void) chown(dir, owner.st_uid, owner.st_gid);
		(void) chown(key_path, owner.st_uid, owner.st_gid);
		(void) chown(cert_path, owner.st_uid, owner.st_gid);
	}
	return 0;
}

int tls_self_get(const char *data_dir, const struct tls_self_names *names, int64_t now,
                 struct tls_cert **ret, char *note, size_t note_len, char *err, size_t errlen)
{
	char cert_path[TLS_PATH_MAX], key_path[TLS_PATH_MAX], why[400];
	char *cert_pem = NULL, *key_pem = NULL;
	struct tls_cert *c = NULL;
	note[0] = 0;
	if (tls_self_paths(data_dir, cert_path, key_path) < 0)
		return nb_errf(err, errlen, -ENAMETOOLONG, "%s: path too long", data_dir);
	int r = tls_cert_load(cert_path, key_path, now, &c, why, sizeof why);
	if (r == 0) {
		c->self = true;
		*ret = c;
		return 0;
	}
	/* missing (both files: the first start), else unusable: made anew */
	bool none = access(cert_path, F_OK) < 0 && errno == ENOENT && access(key_path, F_OK) < 0 &&
	            errno == ENOENT;
	if (!none)
		snprintf(note, note_len, "%s", why);
	if ((r = tls_self_make(names, now, &cert_pem, &key_pem, err, errlen)) < 0)
		return r;
	r = self_write(data_dir, cert_path, key_path, cert_pem, key_pem, err, errlen);
	size_t cert_len = strlen(cert_pem), key_len = strlen(key_pem);
	if (r < 0) {
		explicit_bzero(key_pem, key_len);
		free(cert_pem);
		free(key_pem);
		return r;
	}
	if ((r = cert_from_pem(cert_pem, cert_len, key_pem, key_len, cert_path, key_path, now, &c,
	                       err, errlen)) < 0)
		return r;
	c->self = true;
	c->generated = true;
	*ret = c;
	return 0;
}

static bool info_has(const struct tls_cert_info *info, const char *name)
{
	for (size_t i = 0; i < info->n_names; i++)
		if (strcasecmp(info->names[i], name) == 0)
			return true;
	return false;
}

static void missing_add(const struct tls_cert_info *info, const char *name, char *buf, size_t n)
{
	size_t len = strlen(buf);
	if (!info_has(info, name) && len < n)
		snprintf(buf + len, n - len, "%s%s", len ? ", " : "", name);
}

void tls_self_missing(const struct tls_cert_info *info, const struct tls_self_names *want,
                      char *buf, size_t n)
{
	char fqdn[TLS_NAME_MAX], a[IP4_STRLEN];
	buf[0] = 0;
	missing_add(info, want->name, buf, n);
	if (want->domain && want->domain[0] &&
	    snprintf(fqdn, sizeof fqdn, "%s.%s", want->name, want->domain) < (int) sizeof fqdn)
		missing_add(info, fqdn, buf, n);
	for (size_t i = 0; i < want->n_addrs; i++)
		missing_add(info, ip4_fmt(want->addrs[i], a), buf, n);
}

/* ---- the server's certificate */

static void names_add_addr(struct tls_self_names *n, uint32_t addr)
{
	for (size_t i = 0; i < n->n_addrs; i++)
		if (n->addrs[i] == addr)
			return;
	if (n->n_addrs < TLS_NAMES_MAX - 2) /* room left for the two DNS names */
		n->addrs[n->n_addrs++] = addr;
}

void tls_server_names(const struct conf *c, struct lan *lan, struct tls_self_names *ret)
{
	struct tls_self_names n = {.name = c->server.name, .domain = c->dns.domain};
	size_t n_ifs = 0;
	const struct lan_if *ifs = lan ? lan_ifs(lan, &n_ifs) : NULL;
	if (c->api.listen_addr)
		names_add_addr(&n, c->api.listen_addr);
	for (size_t i = 0; i < n_ifs; i++)
		if (ifs[i].served && !ifs[i].loopback && ifs[i].addr)
			names_add_addr(&n, ifs[i].addr);
	names_add_addr(&n, 0x7f000001);
	*ret = n;
}

int tls_server_cert(const struct conf *c, struct lan *lan, int64_t now, struct tls_cert **ret,
                    char *note, size_t note_len, char *err, size_t errlen)
{
	struct tls_self_names names;
	note[0] = 0;
	if (c->api.tls_cert[0])
		return tls_cert_load(c->api.tls_cert, c->api.tls_key, now, ret, err, errlen);
	tls_server_names(c, lan, &names);
	return tls_self_get(c->server.data_dir, &names, now, ret, note, note_len, err, errlen);
}
