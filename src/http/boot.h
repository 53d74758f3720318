/* HTTP boot: files under the boot root, and per-device iPXE scripts.
 *
 *   GET|HEAD /boot/MAC.ipxe   the device's script, rendered from the iPXE
 *                             template (MAC in any notation hwaddr_parse takes)
 *   GET|HEAD /PATH            the file PATH under the boot root, through the
 *                             path jail (core/jail.h); single byte ranges
 *
 * Every request becomes one journal event: http.fetch (a file served),
 * http.ipxe_script, http.refused (a path leaving the root: 403) or
 * http.file_missing (404). Failures are described in the reply's `why`;
 * the caller logs them. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct conf;
struct http_boot;
struct http_reply;
struct http_req;
struct nb_services;

/* Variables an iPXE template may use, NULL-terminated: mac, name, ip,
 * uuid, arch, server (see docs/http.md). */
extern const char *const http_boot_ipxe_vars[];

/* The built-in iPXE template, used when [http] ipxe-template is empty. */
extern const char http_boot_ipxe_default[];

/* Opens the boot root and loads the iPXE template of c. A missing boot
 * root is not an error (it is retried on every request and files are 404
 * until it exists); a configured template that cannot be read or does not
 * check is: returns -errno / -EINVAL with the reason ("FILE: line N: ...")
 * in err. svc is kept by pointer. */
int http_boot_new(const struct conf *c, const struct nb_services *svc, struct http_boot **ret,
                  char *err, size_t errlen);
/* Switches to the root and template of a new config; on error the old ones
 * stay and the reason is in err. */
int http_boot_reload(struct http_boot *b, const struct conf *c, char *err, size_t errlen);
void http_boot_free(struct http_boot *b);

/* Answers one request (any method; 405 for those not GET or HEAD). */
void http_boot_handle(struct http_boot *b, const struct http_req *rq, struct http_reply *rp);

/* A Range header against a file of size bytes (RFC 9110 §14): returns 1
 * and the range for one satisfiable "bytes=" range, 0 when the header is to
 * be ignored and the whole file sent (another unit, several ranges, bad
 * syntax), -ERANGE when the range cannot be satisfied (416). */
int http_boot_range_parse(const char *h, uint64_t size, uint64_t *ret_off, uint64_t *ret_len);
