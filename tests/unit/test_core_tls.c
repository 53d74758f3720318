/* core/tls: fingerprints (format and parser, hostile text included), the
 * self-signed certificate (names, validity, key type, fingerprint against
 * openssl's), loading errors, and the [api] tls-* checks of the config. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/tls.h"
#include "core/util.h"

#define NOW 1800000000LL /* 2027-01-15 */

static char dir[64];

static int setup(void **state)
{
	(void) state;
	strcpy(dir, "/tmp/nbtlsXXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void) state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

/* A self-signed pair written under dir as NAME.crt and NAME.key. */
static void make_pair(const char *name, const char *cn, int64_t now, char cert[256], char key[256])
{
	struct tls_self_names n = {.name = cn, .n_addrs = 1, .addrs = {0x0a000001}};
	char *c = NULL, *k = NULL, err[200];
	assert_int_equal(tls_self_make(&n, now, &c, &k, err, sizeof err), 0);
	snprintf(cert, 256, "%s/%s.crt", dir, name);
	snprintf(key, 256, "%s/%s.key", dir, name);
	write_text(cert, c, 0644);
	write_text(key, k, 0600);
	free(c);
	free(k);
}

/* ---- fingerprints */

static void test_fingerprint_format_and_parse(void **state)
{
	(void) state;
	uint8_t fp[TLS_FP_LEN], back[TLS_FP_LEN];
	char text[TLS_FP_STRLEN], buf[200];
	for (size_t i = 0; i < TLS_FP_LEN; i++)
		fp[i] = (uint8_t) (i * 37 + 5);
	tls_fingerprint_fmt(fp, text);
	assert_int_equal(strlen(text), TLS_FP_STRLEN - 1);
	assert_memory_equal(text, "05:2A:4F:74:99:BE:E3:08", 23);
	assert_int_equal(tls_fingerprint_parse(text, back), 0);
	assert_memory_equal(fp, back, TLS_FP_LEN);
	assert_true(tls_fingerprint_equal(fp, back));
	back[31] ^= 1;
	assert_false(tls_fingerprint_equal(fp, back));

	/* the forms people paste: lower case, no colons, openssl's line, spaces */
	static const char *const prefixes[] = {
	        "", "sha256:", "SHA256=", "sha256 Fingerprint=", "SHA256 Fingerprint=", "  "};
	for (size_t i = 0; i < NB_ARRAY_SIZE(prefixes); i++) {
		memset(back, 0, sizeof back);
		snprintf(buf, sizeof buf, "%s%s \n", prefixes[i], text);
		for (char *p = buf; *p && i % 2; p++)
			*p = (char) (*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
		assert_int_equal(tls_fingerprint_parse(buf, back), 0);
		assert_memory_equal(fp, back, TLS_FP_LEN);
	}
	char plain[65] = "";
	for (size_t i = 0; i < TLS_FP_LEN; i++)
		snprintf(plain + 2 * i, 3, "%02x", fp[i]);
	assert_int_equal(tls_fingerprint_parse(plain, back), 0);
	assert_memory_equal(fp, back, TLS_FP_LEN);
}

static void test_fingerprint_hostile(void **state)
{
	(void) state;
	uint8_t fp[TLS_FP_LEN], out[TLS_FP_LEN];
	char good[TLS_FP_STRLEN], bad[256];
	memset(fp, 0xab, sizeof fp);
	tls_fingerprint_fmt(fp, good);
	memset(out, 0x11, sizeof out);

	assert_int_equal(tls_fingerprint_parse("", out), -EINVAL);
	assert_int_equal(tls_fingerprint_parse("sha256:", out), -EINVAL);
	/* 31 and 33 pairs */
	assert_int_equal(tls_fingerprint_parse(good + 3, out), -EINVAL);
	snprintf(bad, sizeof bad, "AB:%s", good);
	assert_int_equal(tls_fingerprint_parse(bad, out), -EINVAL);
	/* a non-hex digit, a colon missing, another separator, a space inside, nothing */
	static const struct {
		size_t at;
		char c;
	} edits[] = {{10, 'G'}, {2, 'A'}, {5, '-'}, {5, ' '}, {0, 0}};
	for (size_t i = 0; i < NB_ARRAY_SIZE(edits); i++) {
		snprintf(bad, sizeof bad, "%s", good);
		bad[edits[i].at] = edits[i].c;
		assert_int_equal(tls_fingerprint_parse(bad, out), -EINVAL);
	}
	/* 64 hex digits with one colon; a prefix twice; SHA-1 */
	memset(bad, 'a', 64);
	bad[64] = 0;
	bad[20] = ':';
	assert_int_equal(tls_fingerprint_parse(bad, out), -EINVAL);
	snprintf(bad, sizeof bad, "sha256:sha256:%s", good);
	assert_int_equal(tls_fingerprint_parse(bad, out), -EINVAL);
	assert_int_equal(tls_fingerprint_parse("DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:"
	                                       "D8:07:09",
	                                       out),
	                 -EINVAL);
	/* nothing written on failure */
	for (size_t i = 0; i < TLS_FP_LEN; i++)
		assert_int_equal(out[i], 0x11);
}

/* ---- the self-signed certificate */

/* openssl's fingerprint of a PEM file, as `openssl x509 -fingerprint -sha256` prints it. */
static void openssl_fingerprint(const char *path, char *buf, size_t n)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "openssl x509 -in %s -noout -fingerprint -sha256", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(buf, (int) n, p));
	assert_int_equal(pclose(p), 0);
	buf[strcspn(buf, "\n")] = 0;
}

static void test_self_signed_generation(void **state)
{
	(void) state;
	struct tls_self_names n = {.name = "bay",
	                           .domain = "lan",
	                           .addrs = {0x0a000001, 0xc0a80101, 0x7f000001},
	                           .n_addrs = 3};
	struct tls_cert *c = NULL;
	char sub[128], note[200], err[300], ossl[256], fpline[200];
	struct stat st;
	int64_t now = nb_wall_sec();

	snprintf(sub, sizeof sub, "%s/data", dir);
	assert_int_equal(tls_self_get(sub, &n, now, &c, note, sizeof note, err, sizeof err), 0);
	assert_true(c->generated && c->self);
	assert_string_equal(note, ""); /* the first start: nothing replaced */
	assert_string_equal(c->info.key_type, "ECDSA P-256");
	assert_true(c->info.self_signed);
	assert_string_equal(c->info.subject, "bay");
	assert_int_equal(c->info.n_names, 5);
	static const char *const want[] = {"bay", "bay.lan", "10.0.0.1", "192.168.1.1",
	                                   "127.0.0.1"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(c->info.names[i], want[i]);
	assert_int_equal(c->info.not_before, now - 3600);
	assert_int_equal(c->info.not_after, now + (int64_t) TLS_SELF_DAYS * 86400);
	/* the fingerprint is openssl's, to the character */
	openssl_fingerprint(tls_cert_path(c), ossl, sizeof ossl);
	snprintf(fpline, sizeof fpline, "sha256 Fingerprint=%s", tls_cert_fingerprint(c));
	assert_string_equal(ossl, fpline);
	/* the files: key 0600 in a 0700 directory */
	assert_int_equal(stat(tls_key_path(c), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(tls_cert_path(c), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	snprintf(err, sizeof err, "%s/tls", sub);
	assert_int_equal(stat(err, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_non_null(strstr(c->key_pem, "BEGIN PRIVATE KEY"));
	/* names: what the certificate answers to */
	char missing[200];
	tls_self_missing(&c->info, &n, missing, sizeof missing);
	assert_string_equal(missing, "");
	struct tls_self_names more = n;
	more.addrs[more.n_addrs++] = 0x0a000063;
	more.name = "other";
	tls_self_missing(&c->info, &more, missing, sizeof missing);
	assert_string_equal(missing, "other, other.lan, 10.0.0.99");

	/* a later start reuses it: the same fingerprint */
	uint8_t fp[TLS_FP_LEN];
	memcpy(fp, c->info.fp, sizeof fp);
	tls_cert_free(c);
	assert_int_equal(tls_self_get(sub, &n, now + 60, &c, note, sizeof note, err, sizeof err),
	                 0);
	assert_false(c->generated);
	assert_memory_equal(c->info.fp, fp, TLS_FP_LEN);
	tls_cert_free(c);
}

static void test_self_signed_replaced_when_unusable(void **state)
{
	(void) state;
	struct tls_self_names n = {.name = "bay", .n_addrs = 1, .addrs = {0x7f000001}};
	struct tls_cert *c = NULL;
	char sub[128], cert[TLS_PATH_MAX], key[TLS_PATH_MAX], note[400], err[300];
	uint8_t fp[TLS_FP_LEN];
	int64_t now = nb_wall_sec();

	snprintf(sub, sizeof sub, "%s/replace", dir);
	assert_int_equal(tls_self_get(sub, &n, now, &c, note, sizeof note, err, sizeof err), 0);
	memcpy(fp, c->info.fp, sizeof fp);
	tls_cert_free(c);
	assert_int_equal(tls_self_paths(sub, cert, key), 0);

	/* a key that is not PEM */
	write_text(key, "garbage\n", 0600);
	assert_int_equal(tls_self_get(sub, &n, now, &c, note, sizeof note, err, sizeof err), 0);
	assert_true(c->generated);
	assert_non_null(strstr(note, "not a PEM private key"));
	assert_false(tls_fingerprint_equal(c->info.fp, fp));
	memcpy(fp, c->info.fp, sizeof fp);
	tls_cert_free(c);
	/* the certificate gone, the key kept: made anew too, and said */
	assert_int_equal(unlink(cert), 0);
	assert_int_equal(tls_self_get(sub, &n, now, &c, note, sizeof note, err, sizeof err), 0);
	assert_true(c->generated);
	assert_non_null(strstr(note, "cannot read"));
	tls_cert_free(c);
	/* expired (ten years and a day later) */
	assert_int_equal(tls_self_get(sub, &n, now + (int64_t) (TLS_SELF_DAYS + 1) * 86400, &c,
	                              note, sizeof note, err, sizeof err),
	                 0);
	assert_true(c->generated);
	assert_non_null(strstr(note, "expired on"));
	tls_cert_free(c);
	/* a data dir that cannot hold it */
	snprintf(err, sizeof err, "%s/file", dir);
	write_text(err, "x", 0644);
	assert_true(tls_self_get(err, &n, now, &c, note, sizeof note, err, sizeof err) < 0);
	assert_non_null(strstr(err, "cannot make"));
}

/* ---- loading */

static void test_load_errors(void **state)
{
	(void) state;
	char c1[256], k1[256], c2[256], k2[256], path[256], err[400];
	struct tls_cert *c = NULL;
	make_pair("one", "one", NOW, c1, k1);
	make_pair("two", "two", NOW, c2, k2);

	assert_int_equal(tls_cert_load(c1, k1, NOW, &c, err, sizeof err), 0);
	assert_string_equal(c->info.subject, "one");
	assert_string_equal(tls_key_path(c), k1);
	tls_cert_free(c);
	c = NULL;
	/* the certificate alone */
	assert_int_equal(tls_cert_load(c1, NULL, NOW, &c, err, sizeof err), 0);
	assert_null(c->key_pem);
	tls_cert_free(c);
	c = NULL;

	snprintf(path, sizeof path, "%s/none.pem", dir);
	assert_int_equal(tls_cert_load(path, k1, NOW, &c, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "none.pem: cannot read: No such file"));
	assert_int_equal(tls_cert_load(c1, path, NOW, &c, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "key "));
	/* the key of another pair */
	assert_int_equal(tls_cert_load(c1, k2, NOW, &c, err, sizeof err), -EKEYREJECTED);
	assert_non_null(strstr(err, "is not the key of certificate"));
	/* not PEM: the key given as the certificate, text, a directory */
	assert_int_equal(tls_cert_load(k1, k1, NOW, &c, err, sizeof err), -EBADMSG);
	assert_non_null(strstr(err, "not a PEM certificate"));
	snprintf(path, sizeof path, "%s/text.pem", dir);
	write_text(path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 0644);
	assert_int_equal(tls_cert_load(path, k1, NOW, &c, err, sizeof err), -EBADMSG);
	assert_int_equal(tls_cert_load(dir, k1, NOW, &c, err, sizeof err), -EBADMSG);
	/* expired: judged by the clock given */
	assert_int_equal(
	        tls_cert_load(c1, k1, NOW + (int64_t) TLS_SELF_DAYS * 86400, &c, err, sizeof err),
	        -EKEYEXPIRED);
	assert_non_null(strstr(err, "expired on 2037-01-"));
	assert_null(c); /* never written on failure */
}

static void test_encrypted_key_refused(void **state)
{
	(void) state;
	char c1[256], k1[256], enc[256], cmd[700], err[400];
	struct tls_cert *c = NULL;
	make_pair("enc", "enc", NOW, c1, k1);
	snprintf(enc, sizeof enc, "%s/enc-pass.key", dir);
	snprintf(cmd, sizeof cmd,
	         "openssl pkcs8 -topk8 -in %s -out %s -passout pass:secret -v2 aes-256-cbc", k1,
	         enc);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tls_cert_load(c1, enc, NOW, &c, err, sizeof err), -EBADMSG);
	assert_non_null(strstr(err, "encrypted with a passphrase"));
}

/* A key and certificate from openssl (RSA, a chain file) load as well. */
static void test_openssl_pair_and_names(void **state)
{
	(void) state;
	char cert[256], key[256], chain[256], cmd[2000], err[400];
	struct tls_cert *c = NULL;
	snprintf(cert, sizeof cert, "%s/rsa.crt", dir);
	snprintf(key, sizeof key, "%s/rsa.key", dir);
	snprintf(chain, sizeof chain, "%s/chain.crt", dir);
	snprintf(cmd, sizeof cmd,
	         "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 30 "
	         "-subj /CN=srv.example -addext subjectAltName=DNS:srv.example,DNS:*.lab.example,"
	         "IP:10.1.2.3 2>/dev/null && cat %s %s > %s",
	         key, cert, cert, cert, chain);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tls_cert_load(chain, key, nb_wall_sec(), &c, err, sizeof err), 0);
	assert_string_equal(c->info.key_type, "RSA 2048");
	assert_int_equal(c->info.n_names, 3);
	assert_string_equal(c->info.names[1], "*.lab.example");
	assert_string_equal(c->info.names[2], "10.1.2.3");

	/* the name check the doctor makes, on the DER */
	FILE *p;
	snprintf(cmd, sizeof cmd, "openssl x509 -in %s -outform DER", cert);
	p = popen(cmd, "r");
	assert_non_null(p);
	uint8_t der[4096];
	size_t n = fread(der, 1, sizeof der, p);
	assert_int_equal(pclose(p), 0);
	struct tls_cert_info info;
	assert_int_equal(tls_cert_info_der(der, n, &info), 0);
	assert_memory_equal(info.fp, c->info.fp, TLS_FP_LEN);
	assert_true(tls_cert_der_names(der, n, "srv.example"));
	assert_true(tls_cert_der_names(der, n, "SRV.Example"));
	assert_true(tls_cert_der_names(der, n, "pc1.lab.example"));
	assert_true(tls_cert_der_names(der, n, "10.1.2.3"));
	assert_false(tls_cert_der_names(der, n, "a.pc1.lab.example"));
	assert_false(tls_cert_der_names(der, n, "10.1.2.4"));
	assert_false(tls_cert_der_names(der, n, "other.example"));
	assert_false(tls_cert_der_names(der, n, ""));
	/* truncated or junk DER */
	assert_int_equal(tls_cert_info_der(der, n / 2, &info), -EBADMSG);
	assert_false(tls_cert_der_names(der, n / 2, "srv.example"));
	tls_cert_free(c);
}

/* ---- the config keys */

static void test_conf_tls_keys(void **state)
{
	(void) state;
	char text[1400], c1[256], k1[256], c2[256], k2[256], soon_c[256], soon_k[256];
	int64_t now = nb_wall_sec();
	make_pair("conf1", "conf1", now, c1, k1);
	make_pair("conf2", "conf2", now, c2, k2);
	/* expires in 10 days */
	make_pair("soon", "soon", now - (int64_t) (TLS_SELF_DAYS - 10) * 86400, soon_c, soon_k);
	const char *base = "[dhcp]\nmode = off\n[api]\nsocket = /run/x.sock\n";

	struct conf *c = conf_ok(base);
	assert_true(c->api.tls);
	assert_false(c->api.allow_plain_token);
	assert_string_equal(c->api.tls_cert, "");
	conf_free(c);

	snprintf(text, sizeof text, "%stls-cert = %s\ntls-key = %s\n", base, c1, k1);
	c = conf_ok(text);
	assert_string_equal(c->api.tls_cert, c1);
	conf_free(c);

	snprintf(text, sizeof text, "%stls-cert = %s\n", base, c1);
	assert_true(conf_fails_with(text, "t.conf:5: tls-cert: needs tls-key as well"));
	snprintf(text, sizeof text, "%stls-key = %s\n", base, k1);
	assert_true(conf_fails_with(text, "t.conf:5: tls-key: needs tls-cert as well"));
	snprintf(text, sizeof text, "%stls-cert = relative.pem\ntls-key = %s\n", base, k1);
	assert_true(conf_fails_with(text, "t.conf:5: tls-cert: 'relative.pem' is not an absolute"));
	snprintf(text, sizeof text, "%stls-cert = %s/nope.pem\ntls-key = %s\n", base, dir, k1);
	assert_true(conf_fails_with(text, "t.conf:5: tls-cert: certificate "));
	assert_true(conf_fails_with(text, "nope.pem: cannot read: No such file or directory"));
	snprintf(text, sizeof text, "%stls-cert = %s\ntls-key = %s\n", base, c1, k2);
	assert_true(conf_fails_with(text, "t.conf:6: tls-key: key "));
	assert_true(conf_fails_with(text, "is not the key of certificate"));

	/* expiring within 30 days: loads, with a warning */
	struct conf_diag d = {0};
	snprintf(text, sizeof text, "%stls-cert = %s\ntls-key = %s\n", base, soon_c, soon_k);
	assert_int_equal(conf_load_string(text, "t.conf", &d, &c), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "t.conf:5: warning: tls-cert: "));
	assert_true(strstr(d.msgs[0], "in 10 days") || strstr(d.msgs[0], "in 9 days"));
	conf_diag_done(&d);
	conf_free(c);
	/* a key every user may read: a warning */
	assert_int_equal(chmod(k1, 0644), 0);
	d = (struct conf_diag){0};
	snprintf(text, sizeof text, "%stls-cert = %s\ntls-key = %s\n", base, c1, k1);
	assert_int_equal(conf_load_string(text, "t.conf", &d, &c), 0);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.msgs[0], "t.conf:6: warning: tls-key: "));
	assert_non_null(strstr(d.msgs[0], "readable by every user (mode 0644)"));
	conf_diag_done(&d);
	conf_free(c);

	/* plain HTTP on [api] listen: only when the token may go in clear */
	snprintf(text, sizeof text,
	         "%slisten = 127.0.0.1:8099\ntoken = tok-0123456789abcdef\ntls = no\n", base);
	assert_true(conf_fails_with(text, "t.conf:5: listen: with [api] tls = no the token would "
	                                  "cross the network in clear"));
	snprintf(text, sizeof text,
	         "%slisten = 127.0.0.1:8099\ntoken = tok-0123456789abcdef\ntls = no\n"
	         "allow-plain-token = yes\n",
	         base);
	c = conf_ok(text);
	assert_false(c->api.tls);
	assert_true(c->api.allow_plain_token);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fingerprint_format_and_parse),
	        cmocka_unit_test(test_fingerprint_hostile),
	        cmocka_unit_test(test_self_signed_generation),
	        cmocka_unit_test(test_self_signed_replaced_when_unusable),
	        cmocka_unit_test(test_load_errors),
	        cmocka_unit_test(test_encrypted_key_refused),
	        cmocka_unit_test(test_openssl_pair_and_names),
	        cmocka_unit_test(test_conf_tls_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
