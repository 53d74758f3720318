#include "core/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_MAX 64

struct ctl {
	struct {
		const char *name;
		ctl_fn fn;
		void *data;
	} cmd[CTL_MAX];
	size_t n;
};

struct ctl *ctl_new(void)
{
	return calloc(1, sizeof(struct ctl));
}

void ctl_free(struct ctl *c)
{
	free(c);
}

int ctl_register(struct ctl *c, const char *name, ctl_fn fn, void *data)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->cmd[i].name, name) == 0) {
			c->cmd[i].fn = fn;
			c->cmd[i].data = data;
			return 0;
		}
	if (c->n == CTL_MAX)
		return -ENOSPC;
	c->cmd[c->n].name = name;
	c->cmd[c->n].fn = fn;
	c->cmd[c->n].data = data;
	c->n++;
	return 0;
}

void ctl_unregister(struct ctl *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->cmd[i].name, name) == 0) {
			c->cmd[i] = c->cmd[--c->n];
			return;
		}
}

int ctl_call(struct ctl *c, const char *name, json_t *args, json_t **ret_result, char *err,
             size_t errlen)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->cmd[i].name, name) == 0)
			return c->cmd[i].fn(c->cmd[i].data, args, ret_result, err, errlen);
	snprintf(err, errlen, "no such command: %s", name);
	return 404;
}
