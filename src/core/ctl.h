/* Named commands: a module registers what it can be asked ("lease.list",
 * "lease.release"), the REST API and CLI call them by name with JSON
 * arguments. This is how the API reaches a protocol module's state without
 * protocol modules knowing about HTTP or each other. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct ctl;

/* A command: reads args (may be NULL), on success sets *ret_result (a new
 * reference) and returns an HTTP-like status (200, 201, 204); on failure
 * returns 400/404/409/500... and writes a one-line reason into err, and
 * may set *ret_result to an object of details (the API adds its members
 * to the error reply). */
typedef int (*ctl_fn)(void *data, json_t *args, json_t **ret_result, char *err, size_t errlen);

struct ctl *ctl_new(void);
void ctl_free(struct ctl *c);
/* Registers name (a string literal, kept by pointer); replaces an earlier one. */
int ctl_register(struct ctl *c, const char *name, ctl_fn fn, void *data);
void ctl_unregister(struct ctl *c, const char *name);
/* Calls name; 404 with a reason when nothing is registered under it. */
int ctl_call(struct ctl *c, const char *name, json_t *args, json_t **ret_result, char *err,
             size_t errlen);
