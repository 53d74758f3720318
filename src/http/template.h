/* Templates with {{name}} placeholders: the per-device iPXE scripts.
 *
 * The placeholder syntax cannot clash with iPXE's own ${var} expansion, so
 * a template can use both: {{mac}} is filled in by netbay when it renders,
 * ${next-server} by iPXE when it runs the script.
 *
 * The inputs are explicit (the text and a list of variables) so the caller
 * chooses which template a device gets and with what values. */
#pragma once

#include <stddef.h>

#define HTTP_TMPL_TEXT_MAX  (64 * 1024) /* bytes of template text */
#define HTTP_TMPL_NAME_MAX  32          /* bytes of a placeholder name */
#define HTTP_TMPL_VALUE_MAX 255         /* bytes of a value used; the rest is dropped */

struct http_tmpl_var {
	const char *name;  /* [a-z0-9-]+ */
	const char *value; /* NULL renders as "" */
};

/* Renders text (len bytes; need not be NUL-terminated): every {{name}}
 * (spaces allowed inside the braces: {{ mac }}) becomes the value of the
 * variable of that name. Values are made inert: every byte outside
 * [A-Za-z0-9._:/@+=,-] becomes '_', so a value can neither end its line nor
 * start an iPXE expansion, and at most HTTP_TMPL_VALUE_MAX bytes of it are used.
 * A "}}" outside a placeholder is plain text.
 *
 * Returns 0 with *ret (NUL-terminated, malloc'd, the caller frees) and
 * *ret_len; or -EINVAL and "line N: why" in err for an unknown placeholder,
 * a "{{" that does not open a well-formed placeholder, or a NUL byte;
 * -E2BIG when len exceeds HTTP_TMPL_TEXT_MAX; -ENOMEM. */
int http_tmpl_render(const char *text, size_t len, const struct http_tmpl_var *vars, size_t n_vars,
                     char **ret, size_t *ret_len, char *err, size_t errlen);

/* Checks text against the variable names alone (what http_tmpl_render would
 * refuse); returns 0 or the same errors with the same messages. */
int http_tmpl_check(const char *text, size_t len, const char *const *names, size_t n_names,
                    char *err, size_t errlen);
