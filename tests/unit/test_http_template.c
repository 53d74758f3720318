/* {{name}} templates: rendering, inert values, and hostile template text. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http/template.h"

static const struct http_tmpl_var vars[] = {
        {"mac", "52:54:00:12:34:56"},
        {"name", "pc1"},
        {"ip", "10.0.0.5"},
        {"empty", NULL},
};

/* Renders text expecting success and returns the output (caller frees). */
static char *render_ok(const char *text)
{
	char *out = NULL, err[200] = "";
	size_t n = 0;
	int r = http_tmpl_render(text, strlen(text), vars, 4, &out, &n, err, sizeof err);
	if (r < 0)
		print_message("'%s': %s\n", text, err);
	assert_int_equal(r, 0);
	assert_int_equal(strlen(out), n);
	return out;
}

static void expect(const char *text, const char *want)
{
	char *out = render_ok(text);
	assert_string_equal(out, want);
	free(out);
}

/* Renders text expecting -EINVAL with err containing needle. */
static void refused(const char *text, size_t len, const char *needle)
{
	char *out = (char *) 0x1, err[200] = "";
	size_t n = 7;
	int r = http_tmpl_render(text, len, vars, 4, &out, &n, err, sizeof err);
	if (r != -EINVAL || !strstr(err, needle))
		print_message("'%s' -> %d '%s'\n", text, r, err);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err, needle));
	assert_ptr_equal(out, (char *) 0x1); /* out-parameters untouched on failure */
	assert_int_equal(n, 7);
}

static void test_render(void **state)
{
	(void) state;
	expect("", "");
	expect("no placeholders\n", "no placeholders\n");
	expect("{{mac}}", "52:54:00:12:34:56");
	expect("#!ipxe\nchain http://x/{{mac}}.cfg?n={{name}}\n",
	       "#!ipxe\nchain http://x/52:54:00:12:34:56.cfg?n=pc1\n");
	expect("{{ name }}/{{name}}/{{  ip}}", "pc1/pc1/10.0.0.5");
	expect("[{{empty}}]", "[]");
	/* iPXE's own syntax passes through untouched */
	expect("echo ${next-server} ${net0/mac:hexhyp} {{name}}", "echo ${next-server} "
	                                                          "${net0/mac:hexhyp} pc1");
	/* single braces and stray closers are text */
	expect("{ } }} {name} {", "{ } }} {name} {");
	expect("a}}{{ip}}}}", "a}}10.0.0.5}}");
}

static void test_values_are_inert(void **state)
{
	(void) state;
	const struct http_tmpl_var evil[] = {
	        {"name", "x\nchain http://evil/${a} #;|&\"'`\\{{mac}}"},
	};
	char *out, err[100];
	size_t n;
	assert_int_equal(http_tmpl_render("[{{name}}]", 10, evil, 1, &out, &n, err, sizeof err), 0);
	/* no byte of the value may end the line or start an expansion */
	for (size_t i = 1; i + 1 < n; i++)
		assert_null(strchr("\n\r\t $#;|&\"'`\\{}", out[i]));
	assert_string_equal(out, "[x_chain_http://evil/__a____________mac__]");
	free(out);

	/* a long value is cut at HTTP_TMPL_VALUE_MAX */
	char longv[1000];
	memset(longv, 'a', sizeof longv - 1);
	longv[sizeof longv - 1] = 0;
	const struct http_tmpl_var big[] = {{"name", longv}};
	assert_int_equal(http_tmpl_render("{{name}}", 8, big, 1, &out, &n, err, sizeof err), 0);
	assert_int_equal(n, HTTP_TMPL_VALUE_MAX);
	free(out);
}

static void test_hostile_templates(void **state)
{
	(void) state;
	refused("{{nope}}", 8, "line 1: unknown placeholder {{nope}}");
	refused("a\nb\n{{mac}} {{MAC}}", 19, "line 3: '{{' does not open a placeholder");
	refused("x\n{{mac", 7, "line 2: '{{' does not open");
	refused("{{mac}", 6, "does not open");
	refused("{{", 2, "does not open");
	refused("{{}}", 4, "does not open");
	refused("{{ }}", 5, "does not open");
	refused("{{{mac}}}", 9, "does not open");
	refused("{{mac name}}", 12, "does not open");
	refused("{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}", 46, "does not open");
	refused("ok\0{{mac}}", 10, "line 1: a NUL byte");
	/* the length given is what is read: a placeholder cut by it is refused */
	refused("{{mac}}", 6, "does not open");

	char *out, err[100];
	size_t n;
	char *huge = calloc(1, HTTP_TMPL_TEXT_MAX + 2);
	memset(huge, 'x', HTTP_TMPL_TEXT_MAX + 1);
	assert_int_equal(
	        http_tmpl_render(huge, HTTP_TMPL_TEXT_MAX + 1, vars, 4, &out, &n, err, sizeof err),
	        -E2BIG);
	assert_int_equal(
	        http_tmpl_render(huge, HTTP_TMPL_TEXT_MAX, vars, 4, &out, &n, err, sizeof err), 0);
	assert_int_equal(n, HTTP_TMPL_TEXT_MAX);
	free(out);
	free(huge);
}

static void test_check(void **state)
{
	(void) state;
	static const char *const names[] = {"mac", "name"};
	char err[100];
	assert_int_equal(http_tmpl_check("{{mac}} {{name}}", 16, names, 2, err, sizeof err), 0);
	assert_int_equal(http_tmpl_check("{{mac}}\n{{ip}}", 14, names, 2, err, sizeof err),
	                 -EINVAL);
	assert_string_equal(err, "line 2: unknown placeholder {{ip}}");
	assert_int_equal(http_tmpl_check("", 0, NULL, 0, err, sizeof err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_render),
	        cmocka_unit_test(test_values_are_inert),
	        cmocka_unit_test(test_hostile_templates),
	        cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
