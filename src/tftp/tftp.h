/* The TFTP server (RFC 1350; options RFC 2347, 2348, 2349, 7440): read-only
 * files from [tftp] root, every name resolved through core/jail, write
 * requests refused. Each transfer gets its own UDP socket (the RFC 1350 TID)
 * unless single-port mode serves all of them from the listening port. All
 * transfers run in the one event loop; files are read in 64 KiB chunks into
 * a cache every transfer of the same file shares, never whole, and what TFTP
 * holds in memory has one bound ([tftp] memory). Requests are answered only
 * from the served LAN (core/lan.h), and a client address gets at most
 * max-transfers-per-client transfers at once.
 *
 * Every request and how it ended is a journal event, each name raised at one
 * place: tftp.request, tftp.complete, tftp.file_missing, tftp.refused,
 * tftp.busy, tftp.error, tftp.timeout. */
#pragma once

#include <stddef.h>

#include "core/services.h"

struct conf;
struct tftp_server;

/* The module as `netbay serve` runs it (the contract in core/services.h). */
extern const struct nb_module tftp_module;

/* Starts the server per c->tftp (binds nothing when disabled, so a reload
 * can enable it). Returns 0 and *ret, or -errno (the listening socket could
 * not be bound). The caller frees with tftp_server_free(). */
int tftp_server_new(const struct conf *c, const struct nb_services *svc, struct tftp_server **ret);
/* Applies a new, validated config to new requests: root, limits, listening
 * socket. Running transfers keep their file and socket, except single-port
 * transfers when the listening socket changes (they are ended). Returns 0, or
 * -errno when the new socket cannot be bound (the old one is kept). */
int tftp_server_reload(struct tftp_server *s, const struct conf *c);
/* Ends every transfer and closes everything. NULL-safe. */
void tftp_server_free(struct tftp_server *s);

/* Transfers running now. */
size_t tftp_server_transfers(const struct tftp_server *s);
/* Bytes of [tftp] memory in use now: what transfers hold and the file
 * cache they share (never more than the budget). */
size_t tftp_server_memory(const struct tftp_server *s);
