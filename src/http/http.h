/* The HTTP module: libmicrohttpd inside netbay's event loop.
 *
 * Listeners (each its own MHD daemon in external-epoll mode, its epoll fd
 * watched by the loop, no threads):
 *   [http] listen:port   plain HTTP: boot files and /boot/MAC.ipxe
 *                        (http/boot.h), and the API for clients that send
 *                        [api] token only when [api] allow-plain-token
 *   [api] socket         the API, no token: the socket's permissions are
 *                        the authentication
 *   [api] listen         the API alone over TCP, HTTPS ([api] tls; the
 *                        certificate from core/tls.h), token required
 * /api/v1/health answers everywhere without a token, and names the HTTPS
 * listener's certificate (its fingerprint, to pin). */
#pragma once

#include "core/services.h"

struct conf;
struct http_server;

/* The module contract of core/services.h. new() leaves *ret NULL when
 * [http] is disabled and the API has neither a socket nor a listener. */
int http_server_new(const struct conf *c, const struct nb_services *svc, struct http_server **ret);
int http_server_reload(struct http_server *s, const struct conf *c);
void http_server_free(struct http_server *s);

extern const struct nb_module http_module;
