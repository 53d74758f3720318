#include "http/template.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct out {
	char *p;
	size_t n, cap;
	bool oom;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (nb_grow(&o->p, &o->cap, o->n + n + 1, 1) < 0) {
		o->oom = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = 0;
}

static bool safe_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("._:/@+=,-", c) != NULL;
}

static void out_value(struct out *o, const char *v)
{
	char buf[HTTP_TMPL_VALUE_MAX];
	size_t n = 0;
	for (; v && v[n] && n < sizeof buf; n++)
		buf[n] = safe_byte((unsigned char) v[n]) ? v[n] : '_';
	out_add(o, buf, n);
}

static bool name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Reads the placeholder whose "{{" is at text[i]; on success writes the
 * name and returns the index after "}}", else returns 0. */
static size_t placeholder(const char *text, size_t len, size_t i, char name[HTTP_TMPL_NAME_MAX + 1])
{
	size_t p = i + 2, n = 0;
	while (p < len && text[p] == ' ')
		p++;
	while (p < len && name_byte(text[p])) {
		if (n == HTTP_TMPL_NAME_MAX)
			return 0;
		name[n++] = text[p++];
	}
	name[n] = 0;
	while (p < len && text[p] == ' ')
		p++;
	if (n == 0 || p + 1 >= len || text[p] != '}' || text[p + 1] != '}')
		return 0;
	return p + 2;
}

int http_tmpl_render(const char *text, size_t len, const struct http_tmpl_var *vars, size_t n_vars,
                     char **ret, size_t *ret_len, char *err, size_t errlen)
{
	struct out o = {0};
	unsigned line = 1;
	size_t i = 0, plain = 0;
	int r = 0;

	if (len > HTTP_TMPL_TEXT_MAX) {
		snprintf(err, errlen, "longer than %d bytes", HTTP_TMPL_TEXT_MAX);
		return -E2BIG;
	}
	out_add(&o, "", 0); /* an empty template renders as "" */
	while (i < len) {
		char c = text[i];
		if (c == 0) {
			snprintf(err, errlen, "line %u: a NUL byte", line);
			r = -EINVAL;
			goto out;
		}
		if (c == '\n')
			line++;
		if (c != '{' || i + 1 >= len || text[i + 1] != '{') {
			i++;
			continue;
		}
		char name[HTTP_TMPL_NAME_MAX + 1];
		size_t end = placeholder(text, len, i, name);
		if (!end) {
			snprintf(err, errlen,
			         "line %u: '{{' does not open a placeholder like {{mac}} (names: "
			         "a-z, "
			         "0-9, '-')",
			         line);
			r = -EINVAL;
			goto out;
		}
		const struct http_tmpl_var *v = NULL;
		for (size_t k = 0; k < n_vars && !v; k++)
			if (strcmp(vars[k].name, name) == 0)
				v = &vars[k];
		if (!v) {
			snprintf(err, errlen, "line %u: unknown placeholder {{%s}}", line, name);
			r = -EINVAL;
			goto out;
		}
		out_add(&o, text + plain, i - plain);
		out_value(&o, v->value);
		i = plain = end;
	}
	out_add(&o, text + plain, len - plain);
	if (o.oom) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	*ret = steal_ptr(&o.p);
	*ret_len = o.n;
out:
	free(o.p);
	return r;
}

int http_tmpl_check(const char *text, size_t len, const char *const *names, size_t n_names,
                    char *err, size_t errlen)
{
	NB_CLEANUP(freep) struct http_tmpl_var *vars = calloc(n_names ? n_names : 1, sizeof *vars);
	NB_CLEANUP(freep) char *s = NULL;
	size_t n;

	if (!vars)
		return -ENOMEM;
	for (size_t i = 0; i < n_names; i++)
		vars[i].name = names[i];
	return http_tmpl_render(text, len, vars, n_names, &s, &n, err, errlen);
}
