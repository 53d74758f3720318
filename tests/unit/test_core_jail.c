#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/jail.h"

static char root[64], outside[96];
static int rfd;

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void) state;
	char p[256];
	strcpy(root, "/tmp/nbjailXXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof p, "%s/Boot", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/Boot/X64", root);
	mkdir(p, 0755);
	put("Boot/X64/wdsnbp.com", "loader");
	put("undionly.kpxe", "pxe");
	snprintf(outside, sizeof outside, "%s.secret", root);
	FILE *f = fopen(outside, "w");
	fputs("secret", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/abs-escape", root);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof p, "%s/rel-escape", root);
	assert_int_equal(symlink("../../../../../../etc/passwd", p), 0);
	snprintf(p, sizeof p, "%s/inside-link", root);
	assert_int_equal(symlink("undionly.kpxe", p), 0);
	snprintf(p, sizeof p, "%s/Boot/dir-escape", root);
	assert_int_equal(symlink("/etc", p), 0);
	rfd = jail_root_open(root);
	assert_true(rfd >= 0);
	return 0;
}

static int teardown(void **state)
{
	(void) state;
	char cmd[256];
	close(rfd);
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", root, outside);
	return system(cmd);
}

static void expect(const char *path, bool nocase, int want, const char *want_rel)
{
	char rel[JAIL_PATH_MAX + 1] = "";
	int fd = jail_open(rfd, path, nocase, 0, rel, sizeof rel);
	if (want == 0) {
		if (fd < 0)
			print_message("'%s' -> %d\n", path, fd);
		assert_true(fd >= 0);
		if (want_rel)
			assert_string_equal(rel, want_rel);
		close(fd);
	} else {
		if (fd >= 0)
			close(fd);
		if (fd != want)
			print_message("'%s' -> %d, wanted %d\n", path, fd, want);
		assert_int_equal(fd, want);
	}
}

static void test_mapping(void **state)
{
	(void) state;
	expect("undionly.kpxe", false, 0, "undionly.kpxe");
	expect("/undionly.kpxe", false, 0, "undionly.kpxe");
	expect("//./undionly.kpxe", false, 0, "undionly.kpxe");
	expect("Boot\\X64\\wdsnbp.com", false, 0, "Boot/X64/wdsnbp.com");
	expect("\\Boot\\X64\\wdsnbp.com", false, 0, "Boot/X64/wdsnbp.com");
	expect("inside-link", false, 0, NULL);
}

static void test_case_insensitive(void **state)
{
	(void) state;
	expect("boot\\x64\\WDSNBP.COM", false, -ENOENT, NULL);
	expect("boot\\x64\\WDSNBP.COM", true, 0, "Boot/X64/wdsnbp.com");
	expect("boot/x64/missing", true, -ENOENT, NULL);
}

static void test_escapes_refused(void **state)
{
	(void) state;
	expect("../etc/passwd", false, -EPERM, NULL);
	expect("Boot/../../etc/passwd", false, -EPERM, NULL);
	expect("..\\..\\etc\\passwd", false, -EPERM, NULL);
	expect("abs-escape", false, -EPERM, NULL);
	expect("rel-escape", false, -EPERM, NULL);
	expect("Boot/dir-escape/passwd", false, -EPERM, NULL);
	expect("Boot/dir-escape/passwd", true, -EPERM, NULL);
	expect("bad\x01name", false, -EPERM, NULL);
	expect("undionly.kpxe\n", false, -EPERM, NULL);
}

static void test_not_files(void **state)
{
	(void) state;
	expect("Boot", false, -EISDIR, NULL);
	expect("/", false, -EISDIR, NULL);
	expect("", false, -EISDIR, NULL);
	char longp[JAIL_PATH_MAX + 10];
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = 0;
	expect(longp, false, -ENAMETOOLONG, NULL);
}

static void place(const char *rootp, const char *name, int want, const char *want_rel)
{
	char rel[JAIL_PATH_MAX + 1] = "";
	int r = jail_place(rootp, name, rel, sizeof rel);
	if (r != want)
		print_message("'%s' in '%s' -> %d, wanted %d\n", name, rootp, r, want);
	assert_int_equal(r, want);
	if (want_rel)
		assert_string_equal(rel, want_rel);
}

/* Which configured names are inside the root (and so opened through the
 * jail): relative ones, absolute ones under it; never by a ".." detour. */
static void test_place(void **state)
{
	(void) state;
	place("/srv/boot", "t.ipxe", 1, "t.ipxe");
	place("/srv/boot", "sub//./t.ipxe", 1, "sub/t.ipxe");
	place("/srv/boot", "/srv/boot/t.ipxe", 1, "t.ipxe");
	place("/srv/boot/", "/srv/boot/sub/t.ipxe", 1, "sub/t.ipxe");
	place("/srv/boot", "/srv/boot/../../etc/shadow", -EPERM, NULL);
	place("/srv/boot", "../etc/shadow", -EPERM, NULL);
	place("/srv/boot", "/srv/boot", 0, NULL); /* not under it: the root itself is no file */
	place("/srv/boot", "/srv/boot/", -EISDIR, NULL);
	place("/srv/boot", "/srv/bootleg/t.ipxe", 0, NULL);
	place("/srv/boot", "/etc/netbay/t.ipxe", 0, NULL);
	place("/", "/etc/shadow", 1, "etc/shadow");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mapping),         cmocka_unit_test(test_case_insensitive),
	        cmocka_unit_test(test_escapes_refused), cmocka_unit_test(test_not_files),
	        cmocka_unit_test(test_place),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
