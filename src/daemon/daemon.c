/* The daemon's assembly (daemon/daemon.h): loads the config, opens the
 * store, builds the shared services, starts every module from the table
 * below in one event loop, drops its privileges once every socket is
 * bound (daemon/privs.c), tells the service manager (core/notify.h), and
 * handles SIGTERM/SIGINT (clean stop) and SIGHUP (reload; a bad file
 * keeps the running config). */
#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/ctl.h"
#include "core/lan.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/notify.h"
#include "core/services.h"
#include "daemon/internal.h"
#include "dhcp/dhcp.h"
#include "dns/dns.h"
#include "http/http.h"
#include "journal/journal.h"
#include "registry/hosts.h"
#include "registry/registry.h"
#include "store/store.h"
#include "tftp/tftp.h"

/* One line per module; started in this order, stopped in reverse. */
static const struct nb_module *const modules[] = {
        &dhcp_module,
        &http_module,
        &tftp_module,
        &dns_module,
};

#define N_MODULES NB_ARRAY_SIZE(modules)

struct daemon {
	struct conf *conf;
	struct nb_services svc;
	void *mod[N_MODULES];
	const char *conf_path;
	int db_hold; /* the lock on the database (store_hold), -1: none */
	struct log_ratelimit rl_store;
	struct daemon_privs privs;
	struct notify *notify;       /* NULL: no service manager listens */
	struct loop_timer *watchdog; /* WATCHDOG=1 at half the manager's period */
	int64_t watchdog_ms;
	struct log_ratelimit rl_notify;
};

/* r: what a notify_*() call returned; a manager that stopped listening
 * is said, rarely, and changes nothing else. */
static void told(struct daemon *d, int r)
{
	if (r < 0)
		log_rl(&d->rl_notify, LOG_LVL_WARN, "notify: cannot tell the service manager: %s",
		       strerror(-r));
}

static void tell_manager(struct daemon *d, const char *state)
{
	told(d, notify_send(d->notify, state));
}

static void on_watchdog(struct loop_timer *t, void *data)
{
	struct daemon *d = data;
	tell_manager(d, "WATCHDOG=1");
	loop_timer_arm(t, d->watchdog_ms);
}

/* The manager's watchdog, when it set one: pinged from the loop, so a
 * loop that stops turning stops the pings. */
static int watchdog_start(struct daemon *d)
{
	uint64_t usec = notify_watchdog_usec();
	if (!d->notify || usec == 0)
		return 0;
	d->watchdog_ms = (int64_t) NB_MAX(usec / 2000, 1);
	d->watchdog = loop_timer_new(d->svc.loop, on_watchdog, d);
	if (!d->watchdog)
		return -ENOMEM;
	loop_timer_arm(d->watchdog, d->watchdog_ms);
	log_info("notify: watchdog ping every %lld ms", (long long) d->watchdog_ms);
	return 0;
}

static void log_diag(const struct conf_diag *d, enum log_level lvl)
{
	for (size_t i = 0; i < d->n; i++)
		log_msg(lvl, "%s", d->msgs[i]);
}

static void on_stop(struct loop *l, int signo, void *data)
{
	struct daemon *d = data;
	log_info("received %s, stopping", strsignal(signo));
	tell_manager(d, "STOPPING=1");
	loop_quit(l, 0);
}

static void log_restart_key(const char *section, const char *key, void *data)
{
	log_warn("reload: [%s] %s changed: needs a restart, not applied", section, key);
}

static void reload(struct daemon *d)
{
	struct conf_diag diag = {0};
	struct conf *nc = NULL;
	size_t done = 0, kept;
	int r;

	if (conf_load(d->conf_path, &diag, &nc) < 0) {
		log_diag(&diag, LOG_LVL_ERR);
		log_err("reload: %s has %zu problem%s; keeping the running configuration",
		        d->conf_path, diag.n, diag.n == 1 ? "" : "s");
		conf_diag_done(&diag);
		return;
	}
	log_diag(&diag, LOG_LVL_WARN); /* warnings of a good file */
	conf_diag_done(&diag);
	/* what a running server cannot change keeps its running value, and is named */
	kept = conf_keep_restart_keys(d->conf, nc, log_restart_key, NULL);
	/* sockets an unprivileged netbay could not bind any more */
	kept += daemon_keep_unbindable(d->conf, nc);
	for (; done < N_MODULES; done++) {
		const struct nb_module *m = modules[done];
		if (!m || !d->mod[done] || !m->reload)
			continue;
		if ((r = m->reload(d->mod[done], nc)) < 0) {
			log_err("reload: %s refused the new configuration: %s; keeping the running "
			        "one",
			        m->name, strerror(-r));
			break;
		}
	}
	if (done < N_MODULES) {
		/* put the modules that already switched back on the old config */
		for (size_t i = 0; i < done; i++)
			if (modules[i] && d->mod[i] && modules[i]->reload)
				(void) modules[i]->reload(d->mod[i], d->conf);
		conf_free(nc);
		return;
	}
	hosts_set_reserved(d->svc.hosts, nc);
	if ((r = hosts_load_static(d->svc.hosts, nc)) < 0)
		log_err("reload: static names not updated: %s", strerror(-r));
	registry_set_conf(d->svc.registry, nc);
	lan_set_conf(d->svc.lan, nc);
	conf_free(d->conf);
	d->conf = nc;
	log_set_level((enum log_level) nc->server.log_level);
	if (kept)
		log_info("reload: configuration applied, except %zu key%s that need%s a restart",
		         kept, kept == 1 ? "" : "s", kept == 1 ? "s" : "");
	else
		log_info("reload: configuration applied");
}

/* RELOADING=1 before, READY=1 after, whatever the outcome: the running
 * configuration serves in every case. */
static void on_reload(struct loop *l, int signo, void *data)
{
	struct daemon *d = data;
	log_info("received SIGHUP, reloading %s", d->conf_path);
	told(d, notify_reloading(d->notify));
	reload(d);
	tell_manager(d, "READY=1\nSTATUS=serving");
}

/* Last hook of every turn: the turn's one commit (store.h: the store owns
 * the batch), then each watcher hears whether the turn is durable (DHCP
 * sends its ACKs then). */
static void on_turn_end(struct loop *l, void *data)
{
	struct daemon *d = data;
	int r = store_turn_end(d->svc.store);
	if (r < 0)
		log_rl(&d->rl_store, LOG_LVL_ERR, "store: the writes of a loop turn were lost: %s",
		       strerror(-r));
}

/* What opening found, said once: a new database, an existing one that
 * turned out empty (loudly: every lease is gone), files others could read. */
static void report_open(const char *path, const struct store_open_info *info)
{
	if (info->created)
		log_info("store: created %s", path);
	if (info->was_empty)
		log_warn(
		        "store: %s existed but %s: netbay starts with no leases, devices or "
		        "journal; if it held data, stop netbay and restore it (docs/operations.md, "
		        "\"Recovering the database\")",
		        path, info->size == 0 ? "was zero bytes long" : "held no netbay tables");
	if (info->tightened)
		log_warn("store: %s (or its -wal/-shm) was readable by other users; now owner-only "
		         "(0600)",
		         path);
}

/* Claims the data dir's database (one writer: no second serve, no offline
 * lease import beside us), then opens it with an integrity check. */
static int open_store(struct daemon *d)
{
	char path[CONF_PATH_MAX + 16];
	struct store_open_info info;
	int pid = 0;
	if (mkdir(d->conf->server.data_dir, 0750) < 0 && errno != EEXIST) {
		log_err("cannot create data-dir %s: %m", d->conf->server.data_dir);
		return -errno;
	}
	snprintf(path, sizeof path, "%s/netbay.db", d->conf->server.data_dir);
	d->db_hold = store_hold(path, &pid);
	if (d->db_hold == -EBUSY) {
		log_err("store: %s is in use by process %d (another netbay serve, or a lease "
		        "import); not starting",
		        path, pid);
		return -EBUSY;
	}
	if (d->db_hold < 0) {
		log_err("store: cannot lock %s.lock: %s", path, strerror(-d->db_hold));
		return d->db_hold;
	}
	int r = store_open_ex(path, STORE_OPEN_CHECK, &d->svc.store, &info);
	if (r == -EUCLEAN)
		log_err("store: %s; not starting. See \"Recovering the database\" in "
		        "docs/operations.md",
		        info.why);
	else if (r < 0)
		log_err("store: %s", info.why);
	else
		report_open(path, &info);
	return r;
}

static void stop_modules(struct daemon *d)
{
	for (size_t i = N_MODULES; i-- > 0;)
		if (modules[i] && d->mod[i]) {
			modules[i]->free(d->mod[i]);
			d->mod[i] = NULL;
		}
}

static int run(struct daemon *d)
{
	int r;
	/* whom to become is known before anything is opened */
	if ((r = daemon_user_resolve(d->conf, &d->privs.user, &d->privs.do_switch)) < 0)
		return r;
	if ((r = open_store(d)) < 0)
		return r;
	d->svc.loop = loop_new();
	d->svc.hosts = hosts_new();
	d->svc.journal = journal_new(hosts_journal_mac, d->svc.hosts);
	d->svc.ctl = ctl_new();
	if (!d->svc.loop || !d->svc.hosts || !d->svc.journal || !d->svc.ctl ||
	    lan_new(d->conf, &d->svc.lan) < 0)
		return -ENOMEM;
	hosts_set_reserved(d->svc.hosts, d->conf); /* before the registry publishes names */
	if ((r = registry_open(d->svc.store, d->svc.hosts, d->svc.journal, &d->svc.registry)) < 0) {
		log_err("registry: cannot load the devices: %s", strerror(-r));
		return r;
	}
	registry_set_conf(d->svc.registry, d->conf);
	/* devices' events go to the store too, committed with each turn's batch */
	journal_persist(d->svc.journal, d->svc.store, registry_journal_keep, d->svc.registry);
	if ((r = hosts_load_static(d->svc.hosts, d->conf)) < 0)
		return r;
	if ((r = loop_signal_add(d->svc.loop, SIGTERM, on_stop, d)) < 0 ||
	    (r = loop_signal_add(d->svc.loop, SIGINT, on_stop, d)) < 0 ||
	    (r = loop_signal_add(d->svc.loop, SIGHUP, on_reload, d)) < 0)
		return r;
	signal(SIGPIPE, SIG_IGN);
	daemon_note_socket_dir(&d->privs, d->conf);
	for (size_t i = 0; i < N_MODULES; i++) {
		if (!modules[i])
			continue;
		if ((r = modules[i]->new (d->conf, &d->svc, &d->mod[i])) < 0) {
			log_err("%s: cannot start: %s", modules[i]->name, strerror(-r));
			return r;
		}
	}
	/* added after the modules' hooks: it runs last in every turn */
	if ((r = loop_hook_add(d->svc.loop, on_turn_end, d)) < 0)
		return r;
	/* every socket is bound: nothing needs root any more */
	if ((r = daemon_drop_privileges(&d->privs, d->conf)) < 0 || (r = watchdog_start(d)) < 0)
		return r;
	log_info("netbay %s ready", NETBAY_VERSION);
	tell_manager(d, "READY=1\nSTATUS=serving");
	return loop_run(d->svc.loop);
}

int daemon_run(const char *conf_path)
{
	struct daemon d = {.conf_path = conf_path, .db_hold = -1};
	struct conf_diag diag = {0};

	if (conf_load(d.conf_path, &diag, &d.conf) < 0) {
		log_diag(&diag, LOG_LVL_ERR);
		log_err("%s: %zu problem%s; not starting", d.conf_path, diag.n,
		        diag.n == 1 ? "" : "s");
		conf_diag_done(&diag);
		return -EINVAL;
	}
	log_diag(&diag, LOG_LVL_WARN); /* warnings of a good file */
	conf_diag_done(&diag);
	log_set_level((enum log_level) d.conf->server.log_level);
	d.rl_store = (struct log_ratelimit) LOG_RATELIMIT_INIT(5, 20);
	d.rl_notify = (struct log_ratelimit) LOG_RATELIMIT_INIT(1, 3);
	int r = notify_new(&d.notify);
	if (r < 0)
		log_warn("notify: $NOTIFY_SOCKET is not usable (%s); not telling the service "
		         "manager",
		         strerror(-r));

	r = run(&d);
	stop_modules(&d);
	journal_persist(d.svc.journal, NULL, NULL, NULL); /* the store goes first */
	if (d.svc.store)
		store_close(d.svc.store); /* commits anything still pending */
	if (d.db_hold >= 0)
		close(d.db_hold);
	registry_free(d.svc.registry);
	ctl_free(d.svc.ctl);
	lan_free(d.svc.lan);
	journal_free(d.svc.journal);
	hosts_free(d.svc.hosts);
	loop_timer_free(d.watchdog);
	loop_free(d.svc.loop);
	notify_free(d.notify);
	conf_free(d.conf);
	if (r < 0)
		log_err("netbay stopped on error: %s", strerror(-r));
	else
		log_info("netbay stopped");
	return r < 0 ? r : 0;
}
