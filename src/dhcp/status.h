/* The dhcp.status command: what the running DHCP server serves, for GET
 * /api/v1/status (`netbay status`; docs/api.md). Kept out of server.c:
 * the server only registers it. */
#pragma once

struct dhcp_server;

/* Registers dhcp.status on s's ctl. Returns 0 or -errno. */
int dhcp_status_register(struct dhcp_server *s);
void dhcp_status_unregister(struct dhcp_server *s);
