#include "unit.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_helpers.h"
#include "core/conf.h"
#include "core/tls.h"
#include "core/util.h"

#define SUBNET "[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.199\n"

static void test_defaults(void **state)
{
	(void) state;
	struct conf *c = conf_ok(SUBNET);
	assert_string_equal(c->server.name, "netbay");
	assert_int_equal(c->dhcp.mode, DHCP_MODE_AUTO);
	assert_int_equal(c->dhcp.probe_interval_sec, 300);
	assert_int_equal(c->dhcp.probe_wait_sec, 2);
	assert_true(c->dhcp.authoritative);
	assert_int_equal(c->dhcp.offer_hold_sec, 30);
	assert_int_equal(c->n_subnets, 1);
	assert_int_equal(c->subnets[0].lease_sec, 12 * 3600);
	assert_int_equal(conf_subnet_t1(&c->subnets[0]), 6 * 3600);
	assert_int_equal(conf_subnet_t2(&c->subnets[0]), 12 * 3600 * 7 / 8);
	conf_free(c);
}

static void test_full_subnet(void **state)
{
	(void) state;
	struct conf *c =
	        conf_ok("[server]\nname = boss ; inline comment\ninterfaces = eth0, eth1\n"
	                "[subnet 10.0.0.0/24]\n"
	                "range = 10.0.0.100 - 10.0.0.149\nrange = 10.0.0.150-10.0.0.199\n"
	                "router = 10.0.0.1\ndns = 10.0.0.2, 10.0.0.3\ndomain = lan\n"
	                "domain-search = lan, corp.example\nmtu = 1400\n"
	                "route = 10.8.0.0/16 via 10.0.0.254\nlease-time = 1h\n"
	                "[host printer]\nmac = 52-54-00-00-00-01\naddress = 10.0.0.9\n"
	                "[host phone]\nclient-id = 01:52:54:00:00:00:02\naddress = 10.0.0.10\n");
	assert_string_equal(c->server.name, "boss");
	assert_int_equal(c->server.n_interfaces, 2);
	assert_string_equal(c->server.interfaces[1], "eth1");
	const struct conf_subnet *s = &c->subnets[0];
	assert_int_equal(s->n_ranges, 2);
	assert_int_equal(s->ranges[0].start, 0x0a000064);
	assert_int_equal(s->n_dns, 2);
	assert_int_equal(s->n_search, 2);
	assert_string_equal(s->search[1], "corp.example");
	assert_int_equal(s->routes[0].prefix, 16);
	assert_int_equal(s->mtu, 1400);
	assert_int_equal(c->n_hosts, 2);
	assert_true(c->hosts[0].has_mac);
	assert_int_equal(c->hosts[1].client_id_len, 7);
	assert_ptr_equal(conf_subnet_find(c, 0x0a000005), s);
	assert_null(conf_subnet_find(c, 0x0a000105));
	conf_free(c);
}

static void test_errors_carry_lines(void **state)
{
	(void) state;
	assert_true(conf_fails_with(SUBNET "[dhcp]\nmode = fulll\n", "t.conf:4: mode: 'fulll'"));
	assert_true(
	        conf_fails_with(SUBNET "[server]\nbogus = 1\n", "t.conf:4: unknown key 'bogus'"));
	assert_true(conf_fails_with(SUBNET "[nope]\n", "t.conf:3: unknown section [nope]"));
	assert_true(conf_fails_with(SUBNET "[dhcp]\nmode = full\nmode = proxy\n",
	                            "t.conf:5: mode is already set on line 4"));
	assert_true(conf_fails_with("[dhcp]\nmode = full\n", "needs at least one [subnet]"));
	assert_true(conf_fails_with(SUBNET "garbage\n", "t.conf:3: expected 'key = value'"));
	/* auto probes: an interval too short to be a probe, a wait too long to hold DISCOVERs */
	assert_true(conf_fails_with(SUBNET "[dhcp]\nprobe-interval = 5s\n",
	                            "t.conf:4: probe-interval: '5s' is not a duration from 10s"));
	assert_true(conf_fails_with(SUBNET "[dhcp]\nprobe-wait = 6s\n",
	                            "t.conf:4: probe-wait: '6s' is not a duration from 1s to 5s"));
	assert_true(
	        conf_fails_with("x = 1\n" SUBNET, "t.conf:1: 'x' appears before any [section]"));
}

/* auto without any [subnet] has nothing to lease: it is proxy everywhere, not an error */
static void test_auto_without_subnets(void **state)
{
	(void) state;
	struct conf *c = conf_ok("[dhcp]\nprobe-interval = 10s\nprobe-wait = 1s\n");
	assert_int_equal(c->dhcp.mode, DHCP_MODE_AUTO);
	assert_int_equal(c->dhcp.probe_interval_sec, 10);
	assert_int_equal(c->dhcp.probe_wait_sec, 1);
	conf_free(c);
}

static void test_every_problem_reported(void **state)
{
	(void) state;
	struct conf_diag d = {0};
	struct conf *c = NULL;
	int r = conf_load_string(SUBNET "[dhcp]\nmode = x\noffer-hold = 0\nbogus = 2\n", "t.conf",
	                         &d, &c);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(d.n, 3);
	assert_null(c);
	conf_diag_done(&d);
}

static void test_pools(void **state)
{
	(void) state;
	assert_true(
	        conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.1.1-10.0.1.9\n",
	                        "t.conf:2: range 10.0.1.1-10.0.1.9 is outside subnet 10.0.0.0/24"));
	assert_true(conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.20\n"
	                            "range = 10.0.0.20-10.0.0.30\n",
	                            "t.conf:3: range 10.0.0.20-10.0.0.30 overlaps"));
	assert_true(
	        conf_fails_with(SUBNET "[subnet 10.0.0.128/25]\n", "overlaps subnet 10.0.0.0/24"));
	assert_true(conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.0.0-10.0.0.9\n",
	                            "network or broadcast"));
	assert_true(conf_fails_with("[subnet 10.0.0.1/24]\n", "did you mean 10.0.0.0/24"));
	assert_true(conf_fails_with("[subnet 10.0.0.0/24]\nrange = 10.0.0.9-10.0.0.5\n",
	                            "first address is above the last"));
	assert_true(conf_fails_with(SUBNET "lease-time = 1h\nt1 = 2h\n", "t1 (7200s) < t2"));
	assert_true(conf_fails_with(SUBNET "router = 10.9.9.9\n", "router 10.9.9.9 is outside"));
}

static void test_reservations(void **state)
{
	(void) state;
	assert_true(conf_fails_with(SUBNET
	                            "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.150\n",
	                            "sits inside a range"));
	assert_true(conf_fails_with(
	        SUBNET "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.5\n"
	               "[host b]\nmac = 52:54:00:00:00:02\naddress = 10.0.0.5\n",
	        "t.conf:6: host b: address 10.0.0.5 is already reserved for a on line 3"));
	assert_true(conf_fails_with(SUBNET
	                            "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.5\n"
	                            "[host b]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.6\n",
	                            "mac 52:54:00:00:00:01 is already reserved for a"));
	assert_true(conf_fails_with(SUBNET "[host a]\naddress = 10.0.0.5\n",
	                            "needs a mac or a client-id"));
	assert_true(conf_fails_with(SUBNET
	                            "[host a]\nmac = 52:54:00:00:00:01\naddress = 10.9.0.5\n",
	                            "is in no [subnet]"));
	assert_true(conf_fails_with(SUBNET "[host a.b]\n", "single DNS label"));
}

static void test_long_line(void **state)
{
	(void) state;
	char text[600];
	memset(text, 0, sizeof text);
	strcpy(text, SUBNET "domain = ");
	memset(text + strlen(text), 'a', 300);
	strcat(text, "\n");
	assert_true(conf_fails_with(text, "t.conf:3: line too long"));
}

/* The number of diag lines with needle after loading text from a file of
 * that mode. */
static int load_file_with(const char *text, mode_t mode, const char *needle)
{
	char path[] = "/tmp/nbconfXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	struct conf_diag d = {0};
	struct conf *c = NULL;
	assert_int_equal(conf_load(path, &d, &c), 0); /* a warning, not a failure */
	int n = 0;
	for (size_t i = 0; i < d.n; i++)
		n += strstr(d.msgs[i], needle) && strstr(d.msgs[i], path);
	conf_diag_done(&d);
	conf_free(c);
	unlink(path);
	return n;
}

static void test_world_readable_token_warns(void **state)
{
	(void) state;
	const char *with = "[dhcp]\nmode = off\n[api]\nlisten = 127.0.0.1:8099\ntoken = "
	                   "tok-0123456789abcdef\n";
	const char *without = "[dhcp]\nmode = off\n[api]\nsocket = /run/x.sock\n";
	const char *needle = "warning: holds [api] token and is readable by every user";
	assert_int_equal(load_file_with(with, 0644, needle), 1);
	assert_int_equal(load_file_with(with, 0640, needle), 0);
	assert_int_equal(load_file_with(with, 0600, needle), 0);
	assert_int_equal(load_file_with(without, 0644, needle), 0); /* nothing secret */
}

#define NET "[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.20\n"

struct kept {
	char names[8][64];
	size_t n;
};

static void note_kept(const char *section, const char *key, void *data)
{
	struct kept *k = data;
	if (k->n < 8)
		snprintf(k->names[k->n++], sizeof k->names[0], "[%s] %s", section, key);
}

/* A reload keeps the running value of keys that need a restart, and names them. */
static void test_restart_keys_kept_on_reload(void **state)
{
	(void) state;
	struct conf *run = conf_ok("[server]\ndata-dir = /a\n[dns]\nmode = full\n" NET);
	struct conf *next =
	        conf_ok("[server]\ndata-dir = /b\nname = other\n[dns]\nmode = local\n" NET);
	struct kept k = {0};
	assert_int_equal(conf_keep_restart_keys(run, next, note_kept, &k), 1);
	assert_string_equal(k.names[0], "[server] data-dir");
	assert_string_equal(next->server.data_dir, "/a"); /* kept */
	assert_string_equal(next->server.name, "other");  /* applied */
	assert_int_equal(next->dns.mode, DNS_MODE_LOCAL); /* full -> local: applied */
	conf_free(next);
	/* to or from off: kept */
	next = conf_ok("[server]\ndata-dir = /a\n[dns]\nmode = off\n[dhcp]\nmode = proxy\n" NET);
	k.n = 0;
	assert_int_equal(conf_keep_restart_keys(run, next, note_kept, &k), 2);
	assert_string_equal(k.names[0], "[dhcp] mode");
	assert_string_equal(k.names[1], "[dns] mode");
	assert_int_equal(next->dns.mode, DNS_MODE_FULL);
	assert_int_equal(next->dhcp.mode, DHCP_MODE_AUTO); /* the running default, kept */
	/* nothing changed: nothing to say */
	k.n = 0;
	assert_int_equal(conf_keep_restart_keys(run, run, note_kept, &k), 0);
	conf_free(next);
	conf_free(run);
	/* every key marked so can be kept (a field of its own in a singleton section) */
	for (size_t i = 0; i < 256; i++)
		assert_true(conf_key_restart_ok(i));
}

/* Every key of the table set to a value other than its default, in one file. */
static const char every_key[] =
        "[server]\nname = bay7\ndata-dir = /tmp/nb-data\ninterfaces = eth0, eth1\n"
        "log-level = debug\nuser = nb-svc\n"
        "[dhcp]\nmode = proxy\nprobe-interval = 90s\nprobe-wait = 3s\nauthoritative = no\n"
        "offer-hold = 45s\ndecline-hold = 2h\n"
        "decline-rate = 7\nnew-client-rate = 11\nnew-client-burst = 13\nnew-client-share = 17\n"
        "relays = 10.9.0.1, 10.8.0.0/16\nnew-device-limit = 19\nmax-pending-devices = 23\n"
        "unknown-devices = pending\ndefault-group = lab\npending-boot = wait\n"
        "[tftp]\nroot = /srv/other\nenable = no\nlisten = 10.0.0.1\nport = 6969\n"
        "single-port = yes\ncase-insensitive = yes\nmax-blksize = 1468\nmax-windowsize = 8\n"
        "timeout = 3s\nretries = 9\nmax-transfers = 77\nmax-transfers-per-client = 6\n"
        "memory = 12M\nfirst-retries = 1\nbusy-poll-us = 50\n"
        "[http]\nenable = no\nlisten = 10.0.0.1\nport = 8080\nipxe-template = custom.ipxe\n"
        "max-connections = 99\nconnections-per-source = 5\nrequest-timeout = 20s\n"
        "[api]\nsocket = /run/nb-test.sock\nlisten = 127.0.0.1:8099\n"
        "token = tok-0123456789abcdef\ntls = no\nallow-plain-token = yes\n"
        "tls-cert = @DIR@/c.pem\ntls-key = @DIR@/k.pem\n"
        "[boot]\nbios = a.kpxe\nuefi-ia32 = b.efi\nuefi-x64 = c.efi\nuefi-arm64 = d.efi\n"
        "http-x64 = e.efi\nhttp-arm64 = f.efi\n"
        "[dns]\nmode = local\ndomain = corp.example\nlisten = 10.0.0.1, 127.0.0.1\nport = 5353\n"
        "upstream = 9.9.9.9, 1.1.1.1:5300\nresolv-conf = /etc/other-resolv.conf\n"
        "allow = 192.168.50.0/24, 172.16.0.1\nreserved-names = wpad, printer-x\n"
        "record = www 300 A 10.0.0.80\nrecord = alias CNAME www\nlocal-ttl = 90s\n"
        "cache-size = 4M\ncache-max-ttl = 2h\nnegative-max-ttl = 10m\nedns-payload = 1400\n"
        "rate-limit = 333\nrate-burst = 444\nupstream-timeout = 2s\nupstream-retry = 1m\n"
        "forward-max = 128\ntcp-connections = 32\ntcp-connections-per-client = 4\n"
        "tcp-idle-timeout = 20s\ntcp-request-timeout = 7s\n"
        "[group lab]\nbios = g1.kpxe\nuefi-ia32 = g2.efi\nuefi-x64 = g3.efi\n"
        "uefi-arm64 = g4.efi\nhttp-x64 = g5.efi\nhttp-arm64 = g6.efi\n"
        "ipxe-template = lab.ipxe\nlease-time = 2h\ndns = 10.0.0.53\ndomain = lab.example\n"
        "[subnet 10.0.0.0/24]\nrange = 10.0.0.100-10.0.0.149\nrange = 10.0.0.150-10.0.0.199\n"
        "router = 10.0.0.1\ndns = 10.0.0.2, 10.0.0.3\nntp = 10.0.0.4\ndomain = corp.example\n"
        "domain-search = corp.example, example\nmtu = 1400\n"
        "route = 10.8.0.0/16 via 10.0.0.254\nlease-time = 4h\nt1 = 1h\nt2 = 3h\n"
        "[host printer]\nmac = 52:54:00:00:00:01\naddress = 10.0.0.9\n"
        "[host phone]\nclient-id = 01:52:54:00:00:00:02\naddress = 10.0.0.10\n";

/* Whether text sets key in one of its sections of that kind ("[host" for [host NAME]). */
static bool key_set(const char *text, const char *section, const char *key)
{
	char head[64], line[96];
	snprintf(head, sizeof head, "[%s", section);
	snprintf(line, sizeof line, "\n%s = ", key);
	for (const char *sec = strstr(text, head); sec; sec = strstr(sec + 1, head)) {
		const char *end = strchr(sec + 1, '[');
		const char *at = strstr(sec, line);
		if (at && (!end || at < end))
			return true;
	}
	return false;
}

/* Whether every key conf_print_keys() lists ("[section] key = ...") is set in every_key. */
static void assert_every_key_set(void)
{
	char tmpl[] = "/tmp/nb-keys-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0 && dup2(fd, STDOUT_FILENO) >= 0);
	conf_print_keys();
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	close(fd);
	FILE *f = fopen(tmpl, "re");
	assert_non_null(f);
	unlink(tmpl);
	char line[1024], section[32], key[64];
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "[%31[^]]] %63s =", section, key) != 2)
			continue;
		n++;
		if (!key_set(every_key, section, key))
			print_message("[%s] %s is not set in every_key\n", section, key);
		assert_true(key_set(every_key, section, key));
	}
	fclose(f);
	assert_true(n > 80);
}

/* A file that sets every key loads into exactly these values. */
static void test_every_key_loads(void **state)
{
	(void) state;
	assert_every_key_set();
	/* the certificate files are read at load: a pair made for this run */
	char dir[] = "/tmp/nb-conf-tlsXXXXXX", path[64], err[200], *cert = NULL, *key = NULL;
	assert_non_null(mkdtemp(dir));
	struct tls_self_names names = {.name = "bay7", .n_addrs = 1, .addrs = {0x7f000001}};
	assert_int_equal(tls_self_make(&names, nb_wall_sec(), &cert, &key, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/c.pem", dir);
	assert_int_equal(nb_write_file_atomic(path, cert, strlen(cert), 0644), 0);
	snprintf(path, sizeof path, "%s/k.pem", dir);
	assert_int_equal(nb_write_file_atomic(path, key, strlen(key), 0600), 0);
	free(cert);
	free(key);
	char text[sizeof every_key + 64];
	const char *at = strstr(every_key, "@DIR@/c.pem"), *at2 = strstr(every_key, "@DIR@/k.pem");
	snprintf(text, sizeof text, "%.*s%s%.*s%s%s", (int) (at - every_key), every_key, dir,
	         (int) (at2 - at - 5), at + 5, dir, at2 + 5);
	struct conf *c = conf_ok(text);
	assert_false(c->api.tls);
	assert_true(c->api.allow_plain_token);
	snprintf(path, sizeof path, "%s/c.pem", dir);
	assert_string_equal(c->api.tls_cert, path);
	snprintf(path, sizeof path, "%s/k.pem", dir);
	assert_string_equal(c->api.tls_key, path);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
	assert_string_equal(c->server.name, "bay7");
	assert_string_equal(c->server.data_dir, "/tmp/nb-data");
	assert_int_equal(c->server.n_interfaces, 2);
	assert_string_equal(c->server.interfaces[0], "eth0");
	assert_string_equal(c->server.interfaces[1], "eth1");
	assert_int_equal(c->server.log_level, LOG_LVL_DEBUG);
	assert_string_equal(c->server.user, "nb-svc");

	assert_int_equal(c->dhcp.mode, DHCP_MODE_PROXY);
	assert_int_equal(c->dhcp.probe_interval_sec, 90);
	assert_int_equal(c->dhcp.probe_wait_sec, 3);
	assert_false(c->dhcp.authoritative);
	assert_int_equal(c->dhcp.offer_hold_sec, 45);
	assert_int_equal(c->dhcp.decline_hold_sec, 7200);
	assert_int_equal(c->dhcp.decline_rate, 7);
	assert_int_equal(c->dhcp.new_client_rate, 11);
	assert_int_equal(c->dhcp.new_client_burst, 13);
	assert_int_equal(c->dhcp.new_client_share, 17);
	assert_int_equal(c->dhcp.n_relays, 2);
	assert_int_equal(c->dhcp.relays[0].net, 0x0a090001);
	assert_int_equal(c->dhcp.relays[0].prefix, 32);
	assert_int_equal(c->dhcp.relays[1].net, 0x0a080000);
	assert_int_equal(c->dhcp.relays[1].prefix, 16);
	assert_int_equal(c->dhcp.new_device_limit, 19);
	assert_int_equal(c->dhcp.max_pending_devices, 23);
	assert_int_equal(c->dhcp.unknown_devices, CONF_UNKNOWN_PENDING);
	assert_string_equal(c->dhcp.default_group, "lab");
	assert_int_equal(c->dhcp.pending_boot, CONF_PENDING_WAIT);

	assert_string_equal(c->tftp.root, "/srv/other");
	assert_false(c->tftp.enable);
	assert_int_equal(c->tftp.listen, 0x0a000001);
	assert_int_equal(c->tftp.port, 6969);
	assert_true(c->tftp.single_port);
	assert_true(c->tftp.case_insensitive);
	assert_int_equal(c->tftp.max_blksize, 1468);
	assert_int_equal(c->tftp.max_windowsize, 8);
	assert_int_equal(c->tftp.timeout_sec, 3);
	assert_int_equal(c->tftp.retries, 9);
	assert_int_equal(c->tftp.max_transfers, 77);
	assert_int_equal(c->tftp.max_transfers_per_client, 6);
	assert_int_equal(c->tftp.memory_bytes, 12 * 1024 * 1024);
	assert_int_equal(c->tftp.first_retries, 1);
	assert_int_equal(c->tftp.busy_poll_us, 50);

	assert_false(c->http.enable);
	assert_int_equal(c->http.listen, 0x0a000001);
	assert_int_equal(c->http.port, 8080);
	assert_string_equal(c->http.ipxe_template, "custom.ipxe");
	assert_int_equal(c->http.max_connections, 99);
	assert_int_equal(c->http.connections_per_source, 5);
	assert_int_equal(c->http.request_timeout_sec, 20);

	assert_string_equal(c->api.socket, "/run/nb-test.sock");
	assert_int_equal(c->api.listen_addr, 0x7f000001);
	assert_int_equal(c->api.listen_port, 8099);
	assert_string_equal(c->api.token, "tok-0123456789abcdef");

	assert_string_equal(c->boot.file[BOOT_BIOS], "a.kpxe");
	assert_string_equal(c->boot.file[BOOT_UEFI_IA32], "b.efi");
	assert_string_equal(c->boot.file[BOOT_UEFI_X64], "c.efi");
	assert_string_equal(c->boot.file[BOOT_UEFI_ARM64], "d.efi");
	assert_string_equal(c->boot.file[BOOT_HTTP_X64], "e.efi");
	assert_string_equal(c->boot.file[BOOT_HTTP_ARM64], "f.efi");

	assert_int_equal(c->dns.mode, DNS_MODE_LOCAL);
	assert_string_equal(c->dns.domain, "corp.example");
	assert_int_equal(c->dns.n_listen, 2);
	assert_int_equal(c->dns.listen[0], 0x0a000001);
	assert_int_equal(c->dns.listen[1], 0x7f000001);
	assert_int_equal(c->dns.port, 5353);
	assert_int_equal(c->dns.n_upstreams, 2);
	assert_int_equal(c->dns.upstreams[0].addr, 0x09090909);
	assert_int_equal(c->dns.upstreams[0].port, 53);
	assert_int_equal(c->dns.upstreams[1].addr, 0x01010101);
	assert_int_equal(c->dns.upstreams[1].port, 5300);
	assert_string_equal(c->dns.resolv_conf, "/etc/other-resolv.conf");
	assert_int_equal(c->dns.n_allow, 2);
	assert_false(c->dns.allow_only);
	assert_int_equal(c->dns.allow[0].net, 0xc0a83200);
	assert_int_equal(c->dns.allow[0].prefix, 24);
	assert_int_equal(c->dns.allow[1].net, 0xac100001);
	assert_int_equal(c->dns.allow[1].prefix, 32);
	assert_int_equal(c->dns.n_reserved, 2);
	assert_string_equal(c->dns.reserved[0], "wpad");
	assert_string_equal(c->dns.reserved[1], "printer-x");
	assert_int_equal(c->dns.n_records, 2);
	assert_string_equal(c->dns.records[0].name, "www.corp.example");
	assert_int_equal(c->dns.records[0].type, 1);
	assert_int_equal(c->dns.records[0].ttl_sec, 300);
	static const uint8_t www[4] = {10, 0, 0, 80};
	assert_memory_equal(c->dns.records[0].addr, www, 4);
	assert_string_equal(c->dns.records[1].name, "alias.corp.example");
	assert_int_equal(c->dns.records[1].type, 5);
	assert_string_equal(c->dns.records[1].target, "www.corp.example");
	assert_int_equal(c->dns.local_ttl_sec, 90);
	assert_int_equal(c->dns.cache_bytes, 4 * 1024 * 1024);
	assert_int_equal(c->dns.cache_max_ttl_sec, 7200);
	assert_int_equal(c->dns.negative_max_ttl_sec, 600);
	assert_int_equal(c->dns.edns_payload, 1400);
	assert_int_equal(c->dns.rate_limit, 333);
	assert_int_equal(c->dns.rate_burst, 444);
	assert_int_equal(c->dns.upstream_timeout_sec, 2);
	assert_int_equal(c->dns.upstream_retry_sec, 60);
	assert_int_equal(c->dns.forward_max, 128);
	assert_int_equal(c->dns.tcp_max_connections, 32);
	assert_int_equal(c->dns.tcp_per_client, 4);
	assert_int_equal(c->dns.tcp_idle_sec, 20);
	assert_int_equal(c->dns.tcp_request_sec, 7);

	assert_int_equal(c->n_groups, 1);
	const struct conf_group *g = conf_group_find(c, "lab");
	assert_non_null(g);
	assert_string_equal(g->loaders.file[BOOT_BIOS], "g1.kpxe");
	assert_string_equal(g->loaders.file[BOOT_UEFI_IA32], "g2.efi");
	assert_string_equal(g->loaders.file[BOOT_UEFI_X64], "g3.efi");
	assert_string_equal(g->loaders.file[BOOT_UEFI_ARM64], "g4.efi");
	assert_string_equal(g->loaders.file[BOOT_HTTP_X64], "g5.efi");
	assert_string_equal(g->loaders.file[BOOT_HTTP_ARM64], "g6.efi");
	assert_string_equal(g->ipxe_template, "lab.ipxe");
	assert_int_equal(g->lease_sec, 7200);
	assert_int_equal(g->n_dns, 1);
	assert_int_equal(g->dns[0], 0x0a000035);
	assert_string_equal(g->domain, "lab.example");

	assert_int_equal(c->n_subnets, 1);
	const struct conf_subnet *s = &c->subnets[0];
	assert_int_equal(s->net, 0x0a000000);
	assert_int_equal(s->prefix, 24);
	assert_int_equal(s->n_ranges, 2);
	assert_int_equal(s->ranges[0].start, 0x0a000064);
	assert_int_equal(s->ranges[0].end, 0x0a000095);
	assert_int_equal(s->ranges[1].start, 0x0a000096);
	assert_int_equal(s->ranges[1].end, 0x0a0000c7);
	assert_int_equal(s->n_routers, 1);
	assert_int_equal(s->routers[0], 0x0a000001);
	assert_int_equal(s->n_dns, 2);
	assert_int_equal(s->dns[1], 0x0a000003);
	assert_int_equal(s->n_ntp, 1);
	assert_int_equal(s->ntp[0], 0x0a000004);
	assert_string_equal(s->domain, "corp.example");
	assert_int_equal(s->n_search, 2);
	assert_string_equal(s->search[0], "corp.example");
	assert_string_equal(s->search[1], "example");
	assert_int_equal(s->mtu, 1400);
	assert_int_equal(s->n_routes, 1);
	assert_int_equal(s->routes[0].dest, 0x0a080000);
	assert_int_equal(s->routes[0].prefix, 16);
	assert_int_equal(s->routes[0].gw, 0x0a0000fe);
	assert_int_equal(s->lease_sec, 4 * 3600);
	assert_int_equal(s->t1_sec, 3600);
	assert_int_equal(s->t2_sec, 3 * 3600);

	assert_int_equal(c->n_hosts, 2);
	struct hwaddr mac;
	assert_int_equal(hwaddr_parse("52:54:00:00:00:01", &mac), 0);
	assert_true(c->hosts[0].has_mac);
	assert_memory_equal(c->hosts[0].mac.b, mac.b, 6);
	assert_int_equal(c->hosts[0].addr, 0x0a000009);
	assert_false(c->hosts[1].has_mac);
	static const uint8_t cid[7] = {1, 0x52, 0x54, 0, 0, 0, 2};
	assert_int_equal(c->hosts[1].client_id_len, 7);
	assert_memory_equal(c->hosts[1].client_id, cid, 7);
	assert_int_equal(c->hosts[1].addr, 0x0a00000a);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_full_subnet),
	        cmocka_unit_test(test_errors_carry_lines),
	        cmocka_unit_test(test_auto_without_subnets),
	        cmocka_unit_test(test_every_problem_reported),
	        cmocka_unit_test(test_pools),
	        cmocka_unit_test(test_reservations),
	        cmocka_unit_test(test_long_line),
	        cmocka_unit_test(test_world_readable_token_warns),
	        cmocka_unit_test(test_restart_keys_kept_on_reload),
	        cmocka_unit_test(test_every_key_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
