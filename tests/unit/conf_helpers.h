/* Loading configs in unit tests: conf_ok() must load, conf_fails_with()
 * must fail with a message containing a needle (every message is printed
 * when it does not). Include after unit.h. */
#pragma once

#include <stdbool.h>
#include <string.h>

#include "core/conf.h"

static inline struct conf *conf_ok(const char *text)
{
	struct conf_diag d = {0};
	struct conf *c = NULL;
	int r = conf_load_string(text, "t.conf", &d, &c);
	for (size_t i = 0; i < d.n; i++)
		print_message("unexpected: %s\n", d.msgs[i]);
	assert_int_equal(r, 0);
	conf_diag_done(&d);
	return c;
}

/* Whether loading text fails with a message containing needle. */
static inline bool conf_fails_with(const char *text, const char *needle)
{
	struct conf_diag d = {0};
	struct conf *c = NULL;
	int r = conf_load_string(text, "t.conf", &d, &c);
	bool found = false;
	for (size_t i = 0; i < d.n; i++)
		if (strstr(d.msgs[i], needle))
			found = true;
	if (!found)
		for (size_t i = 0; i < d.n; i++)
			print_message("got: %s\n", d.msgs[i]);
	conf_diag_done(&d);
	conf_free(c);
	return r < 0 && found;
}
