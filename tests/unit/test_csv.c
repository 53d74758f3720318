/* The device CSV reader of netbay device import: field splitting, the
 * header, every MAC notation, both UUID orders, and hostile files. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csv.h"

static void test_split(void **state)
{
	(void) state;
	static const struct {
		const char *in;
		int n;
		const char *f[5];
	} ok[] = {
	        {"a,b,c", 3, {"a", "b", "c"}},
	        {"", 1, {""}},
	        {",", 2, {"", ""}},
	        {"a,", 2, {"a", ""}},
	        {"  a  ,\tb\t, c d ", 3, {"a", "b", "c d"}},
	        {"\"a,b\",c", 2, {"a,b", "c"}},
	        {"\"say \"\"hi\"\"\"", 1, {"say \"hi\""}},
	        {" \"q\" , \"\" ,x", 3, {"q", "", "x"}},
	        {"\"\"\"\"", 1, {"\""}},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(ok); i++) {
		char buf[64], *f[5];
		const char *why = NULL;
		strcpy(buf, ok[i].in);
		int n = cli_csv_split(buf, f, 5, &why);
		if (n != ok[i].n)
			print_message("'%s': %d fields (%s)\n", ok[i].in, n, why ? why : "");
		assert_int_equal(n, ok[i].n);
		for (int k = 0; k < n; k++)
			assert_string_equal(f[k], ok[i].f[k]);
	}
	static const struct {
		const char *in, *why;
	} bad[] = {
	        {"\"open", "not closed"},
	        {"a,\"open,b", "not closed"},
	        {"\"a\"b", "text after a closing quote"},
	        {"\"a\" x,b", "text after a closing quote"},
	        {"a\"b", "a quote inside an unquoted field"},
	        {"a,b,c,d,e,f", "too many fields"},
	        {",,,,,", "too many fields"},
	};
	for (size_t i = 0; i < NB_ARRAY_SIZE(bad); i++) {
		char buf[64], *f[5];
		const char *why = NULL;
		strcpy(buf, bad[i].in);
		assert_int_equal(cli_csv_split(buf, f, 5, &why), -EINVAL);
		assert_non_null(strstr(why, bad[i].why));
	}
}

/* What the reader said about bad lines: "LINE: why" joined by '|'. */
struct said {
	char text[4096];
	int n;
};

static void note(int line, const char *why, void *data)
{
	struct said *s = data;
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof s->text - len, "%s%d: %s", s->n ? "|" : "", line, why);
	s->n++;
}

static int parse(const char *text, bool smbios, struct cli_csv_devices *d, struct said *s)
{
	memset(s, 0, sizeof *s);
	return cli_csv_devices_parse(text, strlen(text), smbios, d, note, s);
}

static void test_rows(void **state)
{
	(void) state;
	struct cli_csv_devices d;
	struct said s;
	char m[HWADDR_STRLEN];
	const char *text = "# lab machines\n"
	                   "\n"
	                   "52:54:00:12:34:56,pc1,A1B2C3D4-0000-1111-2222-333344445555,lab\n"
	                   "52-54-00-12-34-57,,,\n"
	                   "5254.0012.3458 525400123459,pc3\n"
	                   ",uuid-only,a1b2c3d4000011112222333344445566,kiosk\n"
	                   "  \"52:54:00:12:34:5a\" , \"pc5\" \n";
	assert_int_equal(parse(text, false, &d, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(d.n_bad, 0);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.v[0].line, 3);
	assert_int_equal(d.v[0].n_macs, 1);
	assert_string_equal(hwaddr_fmt(&d.v[0].macs[0], m), "52:54:00:12:34:56");
	assert_string_equal(d.v[0].name, "pc1");
	assert_string_equal(d.v[0].uuid, "a1b2c3d4-0000-1111-2222-333344445555");
	assert_string_equal(d.v[0].group, "lab");
	assert_int_equal(d.v[1].line, 4);
	assert_string_equal(hwaddr_fmt(&d.v[1].macs[0], m), "52:54:00:12:34:57");
	assert_string_equal(d.v[1].name, "");
	assert_string_equal(d.v[1].uuid, "");
	assert_int_equal(d.v[2].n_macs, 2);
	assert_string_equal(hwaddr_fmt(&d.v[2].macs[1], m), "52:54:00:12:34:59");
	assert_int_equal(d.v[3].n_macs, 0);
	assert_string_equal(d.v[3].uuid, "a1b2c3d4-0000-1111-2222-333344445566");
	assert_string_equal(d.v[4].name, "pc5");
	assert_int_equal(d.v[4].line, 7);
	cli_csv_devices_done(&d);

	/* SMBIOS order: the first three fields byte-swapped into wire order */
	assert_int_equal(
	        parse("52:54:00:12:34:56,,d4c3b2a1-0000-1111-2222-333344445555\n", true, &d, &s),
	        0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].uuid, "a1b2c3d4-0000-1111-2222-333344445555");
	cli_csv_devices_done(&d);
}

static void test_header(void **state)
{
	(void) state;
	struct cli_csv_devices d;
	struct said s;
	char m[HWADDR_STRLEN];
	/* a BOM, CRLF, columns in another order and case, fewer columns */
	assert_int_equal(parse("\xef\xbb\xbfGroup,MACs,Name\r\nlab,52:54:00:12:34:56,pc1\r\n"
	                       "kiosk,52:54:00:12:34:57\r\n",
	                       false, &d, &s),
	                 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].group, "lab");
	assert_string_equal(d.v[0].name, "pc1");
	assert_string_equal(hwaddr_fmt(&d.v[1].macs[0], m), "52:54:00:12:34:57");
	assert_string_equal(d.v[1].group, "kiosk");
	assert_int_equal(d.v[1].line, 3);
	cli_csv_devices_done(&d);
	/* the export's own header */
	assert_int_equal(parse("mac,name,uuid,group\n52:54:00:12:34:56,pc1,,\n", false, &d, &s), 0);
	assert_int_equal(d.n, 1);
	cli_csv_devices_done(&d);
	/* a header is the first line only; a header-like row later is bad */
	assert_int_equal(parse("52:54:00:12:34:56\nmac,name\n", false, &d, &s), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(s.text, "2: mac 'mac' is not a MAC address");
	cli_csv_devices_done(&d);
	assert_int_equal(parse("mac,nmae\n52:54:00:12:34:56\n", false, &d, &s), 0);
	assert_string_equal(s.text, "1: header: unknown column 'nmae' (mac, name, uuid, group)");
	cli_csv_devices_done(&d);
	assert_int_equal(parse("mac,name,MAC\n", false, &d, &s), 0);
	assert_string_equal(s.text, "1: header: column mac is named twice");
	cli_csv_devices_done(&d);
	assert_int_equal(parse("name,mac\npc1,52:54:00:12:34:56,x\n", false, &d, &s), 0);
	assert_string_equal(s.text, "2: 3 fields; expected at most 2 (the header's)");
	cli_csv_devices_done(&d);
}

static void test_every_bad_line(void **state)
{
	(void) state;
	struct cli_csv_devices d;
	struct said s;
	char text[8192];
	snprintf(text, sizeof text,
	         "52:54:00:12:34:56,pc1\n"                                   /* 1 good */
	         "zz:54:00:12:34:56,pc2\n"                                   /* 2 */
	         "52:54:00:12:34:57,two words\n"                             /* 3 */
	         "52:54:00:12:34:58,pc.lan\n"                                /* 4 */
	         "52:54:00:12:34:59,,not-a-uuid\n"                           /* 5 */
	         "52:54:00:12:34:5a,,03000200-0400-0500-0006-000700080009\n" /* 6 */
	         ",nomac,,lab\n"                                             /* 7 */
	         "52:54:00:12:34:5b,pc8,,lab,extra\n"                        /* 8 */
	         "\"52:54:00:12:34:5c,pc9\n"                                 /* 9 */
	         "52:54:00:12:34:5d 52:54:00:12:34:5d\n"                     /* 10 */
	         "52:54:00:12:34:5e,,,bad group\n"                           /* 11 */
	         "52:54:00:12:34:5f,\xff\x01\n"                              /* 12 */
	         "52:54:00:12:34:60,pc13\n");                                /* 13 good */
	assert_int_equal(parse(text, false, &d, &s), 0);
	static const char *const want =
	        "2: mac 'zz:54:00:12:34:56' is not a MAC address"
	        "|3: name 'two words' is not a single DNS label (letters, digits, '-')"
	        "|4: name 'pc.lan' is not a single DNS label (letters, digits, '-')"
	        "|5: uuid 'not-a-uuid' is not a UUID"
	        "|6: uuid 03000200-0400-0500-0006-000700080009 is a placeholder many boards "
	        "report: "
	        "it identifies nothing"
	        "|7: a row needs a MAC or a UUID"
	        "|8: 5 fields; expected at most 4 (mac,name,uuid,group)"
	        "|9: a quoted field is not closed"
	        "|10: mac 52:54:00:12:34:5d is listed twice"
	        "|11: group 'bad group' is not a group name"
	        "|12: name '\\xff\\x01' is not a single DNS label (letters, digits, '-')";
	if (strcmp(s.text, want) != 0)
		print_message("%s\n", s.text);
	assert_string_equal(s.text, want);
	assert_int_equal(d.n_bad, 11);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[1].line, 13);
	cli_csv_devices_done(&d);

	/* nine MACs, a 65-byte name, a line past the limit, a NUL byte */
	char line[CLI_CSV_LINE_MAX + 64];
	memset(text, 0, sizeof text);
	for (int i = 1; i <= 9; i++)
		sprintf(text + strlen(text), "52:54:00:00:00:%02x%s", i, i < 9 ? " " : "\n");
	strcat(text, "52:54:00:12:34:56,");
	memset(line, 'a', 65);
	line[65] = 0;
	strcat(text, line);
	strcat(text, "\n");
	size_t n = strlen(text);
	memset(text + n, 'x', CLI_CSV_LINE_MAX + 1);
	text[n + CLI_CSV_LINE_MAX + 1] = '\n';
	n += CLI_CSV_LINE_MAX + 2;
	memcpy(text + n, "52:54:00:12:34:56\0,pc\n", 22);
	n += 22;
	memset(&s, 0, sizeof s);
	assert_int_equal(cli_csv_devices_parse(text, n, false, &d, note, &s), 0);
	assert_int_equal(d.n, 0);
	assert_int_equal(s.n, 4);
	assert_non_null(strstr(s.text, "1: more than 8 MACs"));
	assert_non_null(strstr(s.text, "|2: name 'aaaa"));
	assert_non_null(strstr(s.text, "...' is not a single DNS label"));
	assert_non_null(strstr(s.text, "|3: the line is longer than 4096 bytes"));
	assert_non_null(strstr(s.text, "|4: the line holds a NUL byte"));
	cli_csv_devices_done(&d);
	/* an empty file, a file of nothing but a header */
	assert_int_equal(parse("", false, &d, &s), 0);
	assert_int_equal(d.n + d.n_bad, 0);
	cli_csv_devices_done(&d);
	assert_int_equal(parse("mac,name,uuid,group\n", false, &d, &s), 0);
	assert_int_equal(d.n + d.n_bad, 0);
	cli_csv_devices_done(&d);
}

static void test_row_limit(void **state)
{
	(void) state;
	struct cli_csv_devices d;
	struct said s;
	size_t n = CLI_CSV_ROWS_MAX + 2;
	char *text = malloc(n * 13 + 1), *p = text;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%012zx\n", i + 1);
	assert_int_equal(parse(text, false, &d, &s), -E2BIG);
	assert_int_equal(d.n, CLI_CSV_ROWS_MAX);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text, "10001: more than 10000 devices in one file");
	cli_csv_devices_done(&d);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_split),     cmocka_unit_test(test_rows),
	        cmocka_unit_test(test_header),    cmocka_unit_test(test_every_bad_line),
	        cmocka_unit_test(test_row_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
