/* iPXE templates: any text either renders or is refused with a reason;
 * rendering and checking agree, the output is a proper string, and values
 * (one of them hostile) add no line breaks and no iPXE '$' expansions. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(const char *p, size_t n, char c)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += p[i] == c;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct http_tmpl_var vars[] = {
	        {"mac", "52:54:00:12:34:56"}, {"name", "pc\n${x}"}, {"ip", NULL}, {"a-1", "v"}};
	static const char *const names[] = {"mac", "name", "ip", "a-1"};
	const char *text = (const char *) data;
	char *out = NULL, err[200] = "", err2[200] = "";
	size_t n = 0;

	int r = http_tmpl_render(text, size, vars, 4, &out, &n, err, sizeof err);
	int c = http_tmpl_check(text, size, names, 4, err2, sizeof err2);
	if (r != c || (r < 0 && (strcmp(err, err2) != 0 || !err[0])))
		abort();
	if (r < 0)
		return 0;
	if (strlen(out) != n || count(out, n, '\n') != count(text, size, '\n') ||
	    count(out, n, '$') != count(text, size, '$'))
		abort();
	free(out);
	return 0;
}
