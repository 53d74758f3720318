/* The REST API without sockets, for unit tests: a configuration, the
 * services the routes read (hosts, journal, in-memory registry, control
 * bus) and the API over them. Include after unit.h; one harness per test
 * program (the variables are the file's own). */
#pragma once

#include "conf_helpers.h"
#include "core/conf.h"
#include "core/ctl.h"
#include "core/services.h"
#include "http/api.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"

static struct nb_services svc;
static struct conf *conf;
static struct http_api *api;

static inline void api_harness_open(const char *conf_text)
{
	conf = conf_ok(conf_text);
	svc.hosts = hosts_new();
	svc.journal = journal_new(hosts_journal_mac, svc.hosts);
	assert_int_equal(registry_open(NULL, svc.hosts, svc.journal, &svc.registry), 0);
	registry_set_conf(svc.registry, conf);
	svc.ctl = ctl_new();
	api = http_api_new(&svc, conf);
	assert_non_null(api);
}

static inline void api_harness_close(void)
{
	http_api_free(api);
	ctl_free(svc.ctl);
	registry_free(svc.registry);
	journal_free(svc.journal);
	hosts_free(svc.hosts);
	conf_free(conf);
	api = NULL;
	conf = NULL;
	svc = (struct nb_services){0};
}
