/* The DNS module as `netbay serve` runs it (services.h): authoritative for
 * the LAN's names, a caching forwarder for the rest. See docs/dns.md. */
#pragma once

#include "core/services.h"

extern const struct nb_module dns_module;
