/* The shared services every protocol module is handed. Protocol modules
 * never call each other; they meet here (ARCHITECTURE in DESIGN.md).
 *
 * Module lifecycle contract, the same for dhcp, dns, tftp and http:
 *
 *   int  X_server_new(const struct conf *c, const struct nb_services *svc,
 *                     struct X_server **ret);   binds sockets, registers with svc->loop
 *   int  X_server_reload(struct X_server *s, const struct conf *c);
 *                     applies a new, already validated config; keeps runtime
 *                     state (leases, transfers, cache); on error the old
 *                     config stays in force and the error is returned
 *   void X_server_free(struct X_server *s);      NULL-safe
 *
 * A module may keep the conf pointer until the next reload or free. */
#pragma once

struct conf;
struct ctl;
struct hosts;
struct journal;
struct lan;
struct loop;
struct registry;
struct store;

struct nb_services {
	struct loop *loop;
	struct store *store;       /* durable state; batches committed at the end of each turn */
	struct hosts *hosts;       /* names and addresses of the LAN's machines */
	struct journal *journal;   /* per-device boot events */
	struct ctl *ctl;           /* named commands modules offer to the API and CLI */
	struct registry *registry; /* devices: what they are and what they may boot */
	struct lan *lan;           /* the served LAN: whom every service answers (core/lan.h) */
};

/* A module as `netbay serve` runs it: the contract above behind void
 * pointers, so the daemon (daemon/daemon.c) holds one table line per
 * module. new() may leave *ret NULL when the config disables the module. */
struct nb_module {
	const char *name;
	int (*new)(const struct conf *c, const struct nb_services *svc, void **ret);
	int (*reload)(void *m, const struct conf *c);
	void (*free)(void *m);
};
