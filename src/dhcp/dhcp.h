/* The DHCPv4 server module (RFC 2131, 2132): full mode hands out addresses
 * and network boot; proxy mode (issue 3) answers only PXE clients. */
#pragma once

#include "core/services.h"

extern const struct nb_module dhcp_module;
