/* The REST API: JSON over HTTP, routes in one table (method + path pattern
 * with {param} segments), errors as {"error": "..."} with a status that
 * means what it says:
 *
 *   400 bad JSON or bad input     401 no or wrong token    403 API closed on TCP, or
 *                                                          a token over plain HTTP
 *   404 no such route or object   405 wrong method (Allow)  409 conflict
 *   413 body over HTTP_API_BODY_MAX    500 netbay's fault        503 the module behind
 *                                                                the route is not running
 *
 * A route validates everything before it changes anything, and changes
 * through one call of the module that owns the state (a ctl command,
 * core/ctl.h, or the registry), so a request is applied whole or not at
 * all. docs/api.md lists the routes. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define HTTP_API_BODY_MAX   (64 * 1024) /* bytes of request body */
#define HTTP_API_PARAMS_MAX 4

struct conf;
struct http_api;
struct http_reply;
struct http_req;
struct nb_services;
struct tls_cert_info;

/* What the listener established about the caller. */
enum http_api_auth {
	HTTP_API_AUTH_OK,      /* Unix socket, or the right bearer token */
	HTTP_API_AUTH_MISSING, /* TCP without a token */
	HTTP_API_AUTH_WRONG,   /* TCP with a token that is not [api] token */
	HTTP_API_AUTH_CLOSED,  /* TCP, and no [api] token is configured */
	HTTP_API_AUTH_PLAIN,   /* TCP without TLS, and [api] allow-plain-token is off */
};

/* svc and c are kept by pointer (c until http_api_reload). NULL on ENOMEM. */
struct http_api *http_api_new(const struct nb_services *svc, const struct conf *c);
void http_api_reload(struct http_api *a, const struct conf *c);
void http_api_free(struct http_api *a);
/* The certificate the HTTPS listener on port serves (info NULL: none), for
 * the health answer's "tls" and the error that sends a client there. */
void http_api_set_tls(struct http_api *a, const struct tls_cert_info *info, uint16_t port);

/* Answers one request whose path is under /api/. Routes marked open
 * (health) answer whatever auth is; every other path, known or not,
 * answers 401/403 unless auth is HTTP_API_AUTH_OK. */
void http_api_handle(struct http_api *a, const struct http_req *rq, enum http_api_auth auth,
                     struct http_reply *rp);

/* The body a request to method and path may have: HTTP_API_BODY_MAX, or more
 * for a route that takes bulk input (a device import). */
size_t http_api_body_max(const char *method, const char *path);

/* Sets rp to a JSON error reply {"error": "..."} with this status. */
void http_api_error(struct http_reply *rp, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
