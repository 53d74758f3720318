/* What the REST API's route files share with api.c (the router): one call
 * of a route and the signature of a route function. Not a contract for
 * anything outside src/http/api*.c. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/api.h"

struct conf;
struct http_req;
struct nb_services;

struct http_api {
	const struct nb_services *svc;
	const struct conf *conf;
	int64_t started_ms;
	char instance[17]; /* random per start: the health answer's identity */
	/* the HTTPS listener's certificate (tls_port 0: none) */
	uint16_t tls_port;
	char tls_fingerprint[96];
	int64_t tls_expires;
};

/* One call of a route: the request, its parsed body and its {params}, in
 * the order they appear in the pattern. */
struct http_api_call {
	struct http_api *api;
	const struct http_req *rq;
	json_t *body; /* NULL when the request had none */
	const char *param[HTTP_API_PARAMS_MAX];
	char *etag; /* the reply's ETag (HTTP_API_ETAG_MAX bytes); "" for none */
};

#define HTTP_API_ETAG_MAX 24

/* Returns an HTTP status; on 2xx sets *ret (a new reference, or NULL for
 * no body), on >= 400 writes the reason into err and may set *ret to an
 * object whose members are added to the error reply ({"error": err, ...}). */
typedef unsigned (*http_api_fn)(const struct http_api_call *c, json_t **ret, char *err,
                                size_t errlen);

/* ---- the device and group routes (api_devices.c) */

#define HTTP_API_IMPORT_BODY_MAX        (4 * 1024 * 1024) /* POST /api/v1/devices/import */
#define HTTP_API_LEASES_IMPORT_BODY_MAX (8 * 1024 * 1024) /* POST /api/v1/leases/import */

unsigned http_api_devices_list(const struct http_api_call *c, json_t **ret, char *err,
                               size_t errlen);
unsigned http_api_devices_create(const struct http_api_call *c, json_t **ret, char *err,
                                 size_t errlen);
unsigned http_api_devices_import(const struct http_api_call *c, json_t **ret, char *err,
                                 size_t errlen);
unsigned http_api_device_get(const struct http_api_call *c, json_t **ret, char *err, size_t errlen);
unsigned http_api_device_patch(const struct http_api_call *c, json_t **ret, char *err,
                               size_t errlen);
unsigned http_api_device_delete(const struct http_api_call *c, json_t **ret, char *err,
                                size_t errlen);
unsigned http_api_device_approve(const struct http_api_call *c, json_t **ret, char *err,
                                 size_t errlen);
unsigned http_api_device_reject(const struct http_api_call *c, json_t **ret, char *err,
                                size_t errlen);
unsigned http_api_groups_list(const struct http_api_call *c, json_t **ret, char *err,
                              size_t errlen);
unsigned http_api_group_get(const struct http_api_call *c, json_t **ret, char *err, size_t errlen);
/* The device a path's {key} names (MAC in any notation, name, #ID, or a
 * UUID not in conflict), or NULL with a 404 reason in err. */
const struct registry_device *http_api_device_lookup(const struct http_api_call *c, const char *key,
                                                     char *err, size_t errlen);

/* ---- GET /api/v1/status (api_status.c) */

unsigned http_api_status(const struct http_api_call *c, json_t **ret, char *err, size_t errlen);
