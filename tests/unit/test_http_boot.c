/* HTTP boot without sockets: files through the jail, ranges, per-device
 * iPXE scripts, and the journal events each request leaves. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "core/services.h"
#include "http/boot.h"
#include "http/request.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

#define CLIENT_IP 0x0a000005 /* 10.0.0.5, published as pc1 below */

static char root[64], outside[96];
static struct nb_services svc;
static struct conf *conf;
static struct http_boot *boot;
static const struct hwaddr pc1 = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};

static void put(const char *rel, const void *data, size_t n)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static struct conf *load(const char *extra)
{
	char text[1024];
	snprintf(text, sizeof text, "[dhcp]\nmode = off\n[tftp]\nroot = %s\n%s", root, extra);
	return conf_ok(text);
}

static int setup(void **state)
{
	(void) state;
	char p[256], big[1000];
	strcpy(root, "/tmp/nbhttpXXXXXX");
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char) (i * 7);
	put("ipxe.efi", big, sizeof big);
	put("empty", "", 0);
	snprintf(p, sizeof p, "%s/sub", root);
	mkdir(p, 0755);
	put("sub/menu.ipxe", "#!ipxe\n", 7);
	snprintf(outside, sizeof outside, "%s.secret", root);
	FILE *f = fopen(outside, "w");
	fputs("secret", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/escape", root);
	assert_int_equal(symlink(outside, p), 0);

	svc.hosts = hosts_new();
	svc.journal = journal_new(hosts_journal_mac, svc.hosts);
	assert_int_equal(registry_open(NULL, svc.hosts, NULL, &svc.registry), 0);
	assert_non_null(svc.registry);
	assert_int_equal(hosts_set(svc.hosts, &pc1, CLIENT_IP, "pc1", HOSTS_STATIC, 0), 1);
	conf = load("");
	char err[200];
	assert_int_equal(http_boot_new(conf, &svc, &boot, err, sizeof err), 0);
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	char cmd[256];
	http_boot_free(boot);
	conf_free(conf);
	registry_free(svc.registry);
	journal_free(svc.journal);
	hosts_free(svc.hosts);
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", root, outside);
	return system(cmd);
}

struct last {
	const char *name;
	char detail[JOURNAL_DETAIL_MAX];
	size_t n;
};

static void keep_last(const struct journal_entry *e, void *data)
{
	struct last *l = data;
	l->name = e->name;
	snprintf(l->detail, sizeof l->detail, "%s", e->detail);
	l->n++;
}

/* The newest journal event of pc1 (requests come from its address). */
static struct last last_event(void)
{
	struct last l = {0};
	journal_foreach(svc.journal, &pc1, keep_last, &l);
	return l;
}

static void get(const char *method, const char *path, const char *range, const char *if_range,
                struct http_reply *rp)
{
	struct http_req rq = {.method = method,
	                      .path = path,
	                      .client = "10.0.0.5:1000",
	                      .client_ip = CLIENT_IP,
	                      .server = "10.0.0.1:80",
	                      .range = range,
	                      .if_range = if_range};
	http_reply_init(rp);
	http_boot_handle(boot, &rq, rp);
}

static void test_range_parse(void **state)
{
	(void) state;
	static const struct {
		const char *h;
		uint64_t size;
		int r;
		uint64_t off, len;
	} cases[] = {
	        {"bytes=0-99", 1000, 1, 0, 100},
	        {"bytes=0-0", 1000, 1, 0, 1},
	        {"bytes=999-999", 1000, 1, 999, 1},
	        {"bytes=500-", 1000, 1, 500, 500},
	        {"bytes=900-5000", 1000, 1, 900, 100},
	        {"bytes=-100", 1000, 1, 900, 100},
	        {"bytes=-5000", 1000, 1, 0, 1000},
	        {"Bytes = 1-2", 1000, 1, 1, 2},
	        {"bytes=1-99999999999999999999999", 1000, 1, 1, 999},
	        {"bytes=1000-", 1000, -ERANGE, 0, 0},
	        {"bytes=99999999999999999999999-", 1000, -ERANGE, 0, 0},
	        {"bytes=-0", 1000, -ERANGE, 0, 0},
	        {"bytes=0-", 0, -ERANGE, 0, 0},
	        {"bytes=-1", 0, -ERANGE, 0, 0},
	        /* ignored: the whole file is sent */
	        {"bytes=5-4", 1000, 0, 0, 0},
	        {"bytes=0-1,5-6", 1000, 0, 0, 0},
	        {"bytes=0-1, 5-6", 1000, 0, 0, 0},
	        {"items=0-1", 1000, 0, 0, 0},
	        {"bytes 0-1", 1000, 0, 0, 0},
	        {"bytes=", 1000, 0, 0, 0},
	        {"bytes=-", 1000, 0, 0, 0},
	        {"bytes=a-b", 1000, 0, 0, 0},
	        {"bytes=1-2x", 1000, 0, 0, 0},
	        {"bytes=--1", 1000, 0, 0, 0},
	        {"bytes=+1-2", 1000, 0, 0, 0},
	        {"", 1000, 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t off = 77, len = 77;
		int r = http_boot_range_parse(cases[i].h, cases[i].size, &off, &len);
		if (r != cases[i].r)
			print_message("'%s' -> %d\n", cases[i].h, r);
		assert_int_equal(r, cases[i].r);
		if (r == 1) {
			assert_int_equal(off, cases[i].off);
			assert_int_equal(len, cases[i].len);
		} else {
			assert_int_equal(off, 77); /* untouched */
		}
	}
}

static void test_whole_file(void **state)
{
	(void) state;
	struct http_reply rp;
	unsigned char buf[1000];
	get("GET", "/ipxe.efi", NULL, NULL, &rp);
	assert_int_equal(rp.status, 200);
	assert_false(rp.partial);
	assert_true(rp.fd >= 0);
	assert_int_equal(rp.off, 0);
	assert_int_equal(rp.len, 1000);
	assert_int_equal(rp.size, 1000);
	assert_string_equal(rp.type, "application/efi");
	assert_int_equal(pread(rp.fd, buf, sizeof buf, 0), 1000);
	assert_int_equal(buf[999], (unsigned char) (999 * 7));
	http_reply_done(&rp);
	struct last l = last_event();
	assert_string_equal(l.name, "http.fetch");
	assert_string_equal(l.detail, "GET ipxe.efi: 200, bytes 0-999 of 1000");

	get("HEAD", "//sub\\menu.ipxe", NULL, NULL, &rp);
	assert_int_equal(rp.status, 200);
	assert_int_equal(rp.len, 7);
	assert_string_equal(rp.type, "text/plain; charset=utf-8");
	http_reply_done(&rp);

	get("GET", "/empty", NULL, NULL, &rp);
	assert_int_equal(rp.status, 200);
	assert_int_equal(rp.len, 0);
	http_reply_done(&rp);
}

static void test_ranges(void **state)
{
	(void) state;
	struct http_reply rp;
	char date[HTTP_DATE_LEN];

	get("GET", "/ipxe.efi", "bytes=100-199", NULL, &rp);
	assert_int_equal(rp.status, 206);
	assert_true(rp.partial);
	assert_int_equal(rp.off, 100);
	assert_int_equal(rp.len, 100);
	assert_int_equal(rp.size, 1000);
	http_reply_done(&rp);
	assert_string_equal(last_event().detail, "GET ipxe.efi: 206, bytes 100-199 of 1000");

	get("GET", "/ipxe.efi", "bytes=1000-", NULL, &rp);
	assert_int_equal(rp.status, 416);
	assert_true(rp.unsatisfiable);
	assert_int_equal(rp.size, 1000);
	http_reply_done(&rp);

	get("GET", "/ipxe.efi", "bytes=1-2,4-5", NULL, &rp);
	assert_int_equal(rp.status, 200);
	assert_int_equal(rp.len, 1000);
	http_reply_done(&rp);

	/* If-Range: only the current Last-Modified date lets the range through */
	get("GET", "/ipxe.efi", "bytes=0-9", "Thu, 01 Jan 1970 00:00:01 GMT", &rp);
	assert_int_equal(rp.status, 200);
	http_date_fmt(rp.mtime, date);
	http_reply_done(&rp);
	get("GET", "/ipxe.efi", "bytes=0-9", date, &rp);
	assert_int_equal(rp.status, 206);
	assert_int_equal(rp.len, 10);
	http_reply_done(&rp);
}

static void test_refused_and_missing(void **state)
{
	(void) state;
	static const char *const escapes[] = {"/../etc/passwd", "/sub/../../etc/passwd",
	                                      "/sub/..\\..\\x", "/escape", "/a/\x01"};
	struct http_reply rp;
	for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
		get("GET", escapes[i], NULL, NULL, &rp);
		assert_int_equal(rp.status, 403);
		assert_int_equal(rp.fd, -1);
		assert_string_equal(last_event().name, "http.refused");
		http_reply_done(&rp);
	}
	/* a control byte reaches neither the journal nor the log as it is */
	assert_non_null(strstr(last_event().detail, "/a/\\x01"));

	get("GET", "/nope.efi", NULL, NULL, &rp);
	assert_int_equal(rp.status, 404);
	assert_string_equal(rp.why, "no such file under the boot root");
	http_reply_done(&rp);
	struct last l = last_event();
	assert_string_equal(l.name, "http.file_missing");
	assert_string_equal(l.detail, "GET /nope.efi: no such file");

	get("GET", "/sub", NULL, NULL, &rp);
	assert_int_equal(rp.status, 404);
	http_reply_done(&rp);
	get("GET", "/", NULL, NULL, &rp);
	assert_int_equal(rp.status, 404);
	http_reply_done(&rp);

	char longp[2000];
	memset(longp, 'a', sizeof longp - 1);
	longp[0] = '/';
	longp[sizeof longp - 1] = 0;
	get("GET", longp, NULL, NULL, &rp);
	assert_int_equal(rp.status, 414);
	http_reply_done(&rp);

	get("PUT", "/ipxe.efi", NULL, NULL, &rp);
	assert_int_equal(rp.status, 405);
	assert_string_equal(rp.allow, "GET, HEAD");
	http_reply_done(&rp);
}

static void test_script(void **state)
{
	(void) state;
	struct http_reply rp;
	static const char *const spellings[] = {
	        "/boot/52:54:00:12:34:56.ipxe", "/boot/52-54-00-12-34-56.ipxe",
	        "/boot/5254.0012.3456.ipxe", "/boot/525400123456.ipxe"};
	for (size_t i = 0; i < 4; i++) {
		get("GET", spellings[i], NULL, NULL, &rp);
		assert_int_equal(rp.status, 200);
		assert_true(rp.no_store);
		assert_non_null(strstr(rp.body, "\necho netbay: 52:54:00:12:34:56 pc1 10.0.0.5\n"));
		assert_non_null(
		        strstr(rp.body, "chain --autofree http://10.0.0.1:80/default.ipxe"));
		http_reply_done(&rp);
		struct last l = last_event();
		assert_string_equal(l.name, "http.ipxe_script");
		assert_non_null(strstr(l.detail, "pc1 (52:54:00:12:34:56)"));
	}
	/* upper-case hex in the URL, lower case in the script */
	get("GET", "/boot/52:54:00:AB:CD:EF.ipxe", NULL, NULL, &rp);
	assert_int_equal(rp.status, 200);
	assert_non_null(strstr(rp.body, "52:54:00:ab:cd:ef  \n")); /* unknown: no name, no ip */
	http_reply_done(&rp);

	/* not a MAC: an ordinary file lookup */
	get("GET", "/boot/default.ipxe", NULL, NULL, &rp);
	assert_int_equal(rp.status, 404);
	http_reply_done(&rp);
	get("GET", "/boot/52:54:00:12:34:5.ipxe", NULL, NULL, &rp);
	assert_int_equal(rp.status, 404);
	http_reply_done(&rp);
}

static void use_template(const char *text)
{
	char err[300];
	put("t.ipxe", text, strlen(text));
	struct conf *c = load("[http]\nipxe-template = t.ipxe\n");
	assert_int_equal(http_boot_reload(boot, c, err, sizeof err), 0);
	conf_free(conf);
	conf = c;
}

static void test_template_vars(void **state)
{
	(void) state;
	struct http_reply rp;
	const uint8_t uuid[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	                          0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};
	char u[REGISTRY_UUID_STRLEN];

	use_template("#!ipxe\n{{mac}}|{{name}}|{{ip}}|{{uuid}}|{{arch}}|{{server}}|${mac}\n");
	get("GET", "/boot/525400123456.ipxe", NULL, NULL, &rp);
	assert_string_equal(rp.body,
	                    "#!ipxe\n52:54:00:12:34:56|pc1|10.0.0.5|||10.0.0.1:80|${mac}\n");
	http_reply_done(&rp);

	/* what DHCP saw fills arch and uuid */
	struct registry_boot rb;
	assert_int_equal(registry_boot_seen(svc.registry, &pc1, CLIENT_IP, 7, uuid, &rb), 0);
	get("GET", "/boot/525400123456.ipxe", NULL, NULL, &rp);
	char want[200];
	snprintf(want, sizeof want,
	         "#!ipxe\n52:54:00:12:34:56|pc1|10.0.0.5|%s|7|10.0.0.1:80|${mac}\n",
	         registry_uuid_fmt(uuid, u));
	assert_string_equal(rp.body, want);
	http_reply_done(&rp);
	assert_non_null(strstr(last_event().detail, "/t.ipxe"));

	/* the file changes: the next request sees it; a broken version is not used */
	put("t.ipxe", "v2 {{name}}\n", 12);
	get("GET", "/boot/525400123456.ipxe", NULL, NULL, &rp);
	assert_string_equal(rp.body, "v2 pc1\n");
	http_reply_done(&rp);
	put("t.ipxe", "v3 {{nam}}\n", 11); /* another size: a new version for sure */
	get("GET", "/boot/525400123456.ipxe", NULL, NULL, &rp);
	assert_string_equal(rp.body, "v2 pc1\n");
	http_reply_done(&rp);
	use_template("#!ipxe\n"); /* put back something valid for the other tests */
}

static void test_template_errors(void **state)
{
	(void) state;
	char err[300];
	struct http_boot *b = NULL;

	put("bad.ipxe", "#!ipxe\necho {{mac}}\necho {{hostname}}\n", 37);
	struct conf *c = load("[http]\nipxe-template = bad.ipxe\n");
	assert_int_equal(http_boot_new(c, &svc, &b, err, sizeof err), -EINVAL);
	assert_null(b);
	assert_non_null(strstr(err, "/bad.ipxe: line 3: unknown placeholder {{hostname}}"));
	/* a reload to it keeps the running template */
	assert_int_equal(http_boot_reload(boot, c, err, sizeof err), -EINVAL);
	conf_free(c);
	/* with HTTP off (the API alone) the template is not read at all */
	c = load("[http]\nenable = no\nipxe-template = bad.ipxe\n");
	assert_int_equal(http_boot_new(c, &svc, &b, err, sizeof err), 0);
	http_boot_free(b);
	conf_free(c);

	c = load("[http]\nipxe-template = /nonexistent/t.ipxe\n");
	assert_int_equal(http_boot_new(c, &svc, &b, err, sizeof err), -ENOENT);
	assert_string_equal(err, "/nonexistent/t.ipxe: No such file or directory");
	conf_free(c);

	/* a missing boot root is not fatal: files are 404 until it appears */
	char text[256];
	struct conf_diag d = {0};
	snprintf(text, sizeof text, "[dhcp]\nmode = off\n[tftp]\nroot = %s/later\n", root);
	assert_int_equal(conf_load_string(text, "t.conf", &d, &c), 0);
	assert_int_equal(http_boot_new(c, &svc, &b, err, sizeof err), 0);
	struct http_req rq = {.method = "GET", .path = "/x", .client = "c", .server = "s"};
	struct http_reply rp;
	http_reply_init(&rp);
	http_boot_handle(b, &rq, &rp);
	assert_int_equal(rp.status, 404);
	http_reply_done(&rp);
	snprintf(text, sizeof text, "%s/later", root);
	assert_int_equal(mkdir(text, 0755), 0);
	put("later/x", "x", 1);
	http_reply_init(&rp);
	http_boot_handle(b, &rq, &rp);
	assert_int_equal(rp.status, 200);
	http_reply_done(&rp);
	http_boot_free(b);
	conf_free(c);
}

/* A template file that is a symlink out of the boot root is never read:
 * not as [http] ipxe-template (relative or absolute under the root), not
 * when the file is swapped for a symlink while running or on a reload, and
 * not as a device's own template. The outside file is a valid template
 * ("secret", no placeholders), so reading it would serve it. */
static void test_template_jail(void **state)
{
	(void) state;
	char err[400], p[256], text[512];
	struct http_boot *b = NULL;
	struct http_reply rp;

	snprintf(p, sizeof p, "%s/evil.ipxe", root);
	assert_int_equal(symlink(outside, p), 0);
	struct conf *c = load("[http]\nipxe-template = evil.ipxe\n");
	assert_int_equal(http_boot_new(c, &svc, &b, err, sizeof err), -EPERM);
	assert_null(b);
	assert_non_null(strstr(err, "/evil.ipxe: refused: it resolves outside the boot root"));
	assert_int_equal(http_boot_reload(boot, c, err, sizeof err), -EPERM);
	conf_free(c);
	snprintf(text, sizeof text, "[http]\nipxe-template = %s/evil.ipxe\n", root);
	c = load(text);
	assert_int_equal(http_boot_new(c, &svc, &b, err, sizeof err), -EPERM);
	conf_free(c);
	snprintf(text, sizeof text, "[http]\nipxe-template = %s/../%s\n", root,
	         strrchr(outside, '/') + 1);
	c = load(text);
	assert_int_equal(http_boot_new(c, &svc, &b, err, sizeof err), -EPERM);
	assert_non_null(strstr(err, "not a file name inside the boot root"));
	conf_free(c);

	/* swapped for a symlink while running: the last good version stays */
	use_template("#!ipxe\necho good {{mac}}\n");
	snprintf(p, sizeof p, "%s/t.ipxe", root);
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s/t.tmp", root);
	assert_int_equal(symlink(outside, tmp), 0);
	assert_int_equal(rename(tmp, p), 0);
	get("GET", "/boot/525400123456.ipxe", NULL, NULL, &rp);
	assert_int_equal(rp.status, 200);
	assert_string_equal(rp.body, "#!ipxe\necho good 52:54:00:12:34:56\n");
	http_reply_done(&rp);
	/* and a reload to it is refused, the running template kept */
	c = load("[http]\nipxe-template = t.ipxe\n");
	assert_int_equal(http_boot_reload(boot, c, err, sizeof err), -EPERM);
	conf_free(c);
	get("GET", "/boot/525400123456.ipxe", NULL, NULL, &rp);
	assert_string_equal(rp.body, "#!ipxe\necho good 52:54:00:12:34:56\n");
	http_reply_done(&rp);
	assert_int_equal(unlink(p), 0);

	/* a device's own template: an error, never the file */
	struct registry_change ch = {.fields = REGISTRY_F_MACS | REGISTRY_F_STATE |
	                                       REGISTRY_F_PROFILE};
	uint64_t id;
	ch.d.macs[0] = (struct hwaddr){{0x52, 0x54, 0x00, 0x00, 0x00, 0x99}};
	ch.d.n_macs = 1;
	ch.d.state = REGISTRY_APPROVED;
	strcpy(ch.d.profile.ipxe_template, "evil.ipxe");
	assert_int_equal(registry_add(svc.registry, &ch, &id, err, sizeof err), 0);
	get("GET", "/boot/525400000099.ipxe", NULL, NULL, &rp);
	assert_int_equal(rp.status, 500);
	assert_true(!rp.body || !memmem(rp.body, rp.body_len, "secret", 6));
	assert_non_null(strstr(rp.why, "evil.ipxe: refused: it resolves outside the boot root"));
	http_reply_done(&rp);
	/* a good file there is used; swapped for the symlink, the good one stays */
	put("dev.ipxe", "#!ipxe\necho dev\n", 16);
	struct registry_change up = {.fields = REGISTRY_F_PROFILE};
	strcpy(up.d.profile.ipxe_template, "dev.ipxe");
	assert_int_equal(registry_update(svc.registry, id, &up, err, sizeof err), 0);
	get("GET", "/boot/525400000099.ipxe", NULL, NULL, &rp);
	assert_string_equal(rp.body, "#!ipxe\necho dev\n");
	http_reply_done(&rp);
	snprintf(p, sizeof p, "%s/dev.ipxe", root);
	assert_int_equal(symlink(outside, tmp), 0);
	assert_int_equal(rename(tmp, p), 0);
	get("GET", "/boot/525400000099.ipxe", NULL, NULL, &rp);
	assert_string_equal(rp.body, "#!ipxe\necho dev\n");
	http_reply_done(&rp);
	assert_int_equal(registry_remove(svc.registry, id, err, sizeof err), 0);
	use_template("#!ipxe\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_range_parse),     cmocka_unit_test(test_whole_file),
	        cmocka_unit_test(test_ranges),          cmocka_unit_test(test_refused_and_missing),
	        cmocka_unit_test(test_script),          cmocka_unit_test(test_template_vars),
	        cmocka_unit_test(test_template_errors), cmocka_unit_test(test_template_jail),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
