"""netbay as a system service: started as root it switches to the netbay
user with only the capabilities it needs; started unprivileged with ambient
capabilities (as systemd does) it needs no root at all; it speaks the
service manager's notify protocol; its log lines reach the journal with
MAC/IP/EVENT/DEVICE fields; its unit file scores the hardening asked for.

Every daemon here runs as the netbay user, so its files live in a 0755
directory of their own under /tmp (pytest's tmp dirs are root's, 0700)."""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

import conftest
from conftest import NETBAY, ROOT, Netbay, sh, veth, wait_for
from lan import HOOK, if_mac, lease_of

SRV = "10.77.0.1"
CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW = 10, 12, 13


def caps(*bits):
    return sum(1 << b for b in bits)


@pytest.fixture(scope="module")
def user():
    """The netbay user (scripts/setup makes it; made here if missing)."""
    try:
        pw = pwd.getpwnam("netbay")
    except KeyError:
        sh("useradd", "--system", "--user-group", "--home-dir", "/var/lib/netbay",
           "--no-create-home", "--shell", "/usr/sbin/nologin", "netbay")
        pw = pwd.getpwnam("netbay")
    return pw


@pytest.fixture
def svc(netns, user):
    """A LAN (srv 10.77.0.1 on eth0 -- cli eth0) and a factory for netbay
    daemons whose files the netbay user can read."""
    work = Path(tempfile.mkdtemp(prefix="nbsvc-", dir="/tmp"))
    work.chmod(0o755)
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "eth0", cli, "eth0")
    srv.addr("eth0", f"{SRV}/24")
    boot = work / "boot"
    boot.mkdir()
    (boot / "hello.txt").write_text("hello from the boot root\n")
    hook = work / "hook.sh"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    made = []

    class Svc:
        pass
    s = Svc()
    s.work, s.srv, s.cli, s.boot, s.hook, s.user = work, srv, cli, boot, hook, user

    def make(conf, name="nb"):
        d = Netbay(srv, work / name, conf)
        d.dir.chmod(0o755)
        d.conf_path.chmod(0o644)
        made.append(d)
        conftest._daemons.append(d)
        return d
    s.make = make
    yield s
    for d in made:
        d.stop()
        conftest._daemons.remove(d)
    shutil.rmtree(work, ignore_errors=True)


def conf(s, mode="full", user="netbay", dns_port=53, tftp_port=69, http_port=80, extra=""):
    return f"""[server]
user = {user}
data-dir = @DATA@
log-level = debug
[dhcp]
mode = {mode}
[subnet 10.77.0.0/24]
range = 10.77.0.100-10.77.0.199
router = {SRV}
dns = {SRV}
lease-time = 1h
[tftp]
root = {s.boot}
port = {tftp_port}
[http]
port = {http_port}
[dns]
port = {dns_port}
upstream = 127.0.0.1:9
{extra}
"""


def start(nb, prefix=(), env=None, wait=True):
    """Starts nb, optionally under a wrapper (setpriv ...) that execs it, so
    the PID is netbay's. Waits for "ready" (and auto mode's first probe)."""
    nb.starts += 1
    nb.log_path = nb.dir / f"netbay.{nb.starts}.log"
    nb.proc = nb.ns.popen(*prefix, NETBAY, "serve", "-c", nb.conf_path, log=nb.log_path,
                          env=env)
    if wait:
        wait_for(lambda: " ready" in nb.log() or nb.proc.poll() is not None, timeout=15,
                 what="netbay to be ready")
        assert nb.proc.poll() is None, nb.log()
        if "auto mode: probing" in nb.log():
            wait_for(lambda: "first probe done" in nb.log(), timeout=15, what="the first probe")
    return nb


def status(pid):
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def assert_runs_as(pid, pw, eff, bnd):
    st = status(pid)
    assert st["Uid"].split() == [str(pw.pw_uid)] * 4, st["Uid"]
    assert st["Gid"].split() == [str(pw.pw_gid)] * 4, st["Gid"]
    assert int(st["CapEff"], 16) == eff, st
    assert int(st["CapPrm"], 16) == eff, st
    assert int(st["CapBnd"], 16) == bnd, st
    assert int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0, st
    assert st["NoNewPrivs"] == "1", st


def owner(path):
    return pwd.getpwuid(os.lstat(path).st_uid).pw_name


def lease(s, nb):
    """udhcpc (no -B: OFFER/ACK go unicast to an address the client does not
    have yet, through the ARP entry CAP_NET_ADMIN allows) takes a lease."""
    log = s.work / "udhcpc.events"
    env = dict(os.environ, NB_HOOK_LOG=str(log))
    s.cli.run("udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "5", "-T", "1",
              "-x", "hostname:pc1", "-s", s.hook, env=env, timeout=40)
    l = lease_of(nb, if_mac(s.cli, "eth0"))
    assert l and l["state"] == "bound", nb.log()
    return l


def serves_everything(s, nb, dns_port=53, tftp_port=69, http_port=80):
    """DHCP (udhcpc), DNS (dig), TFTP (tftp-hpa), HTTP (curl), as clients do."""
    l = lease(s, nb)
    assert "ARP entry" not in nb.log(), "the unicast reply needed a broadcast fallback"
    out = s.cli.run("dig", "+short", "+tries=2", "+time=2", "-p", str(dns_port), f"@{SRV}",
                    "pc1.lan", "A").stdout.split()
    assert out == [l["ip"]], nb.log()
    got = s.work / "got.txt"
    s.cli.run("tftp", "-m", "binary", SRV, str(tftp_port), "-c", "get", "hello.txt", got,
              timeout=30)
    assert got.read_text() == "hello from the boot root\n"
    got.unlink()
    r = s.cli.run("curl", "-s", "-S", "--max-time", "10", f"http://{SRV}:{http_port}/hello.txt")
    assert r.stdout == "hello from the boot root\n"
    return l


def reload_with_record(s, nb, name, addr, dns_port=53):
    """Adds a DNS record, SIGHUP, and the new record answers."""
    text = nb.conf_path.read_text().replace("[dns]\n", f"[dns]\nrecord = {name}.lan A {addr}\n")
    nb.conf_path.write_text(text)
    n = nb.log().count("reload: configuration applied")
    nb.signal(signal.SIGHUP)
    wait_for(lambda: nb.log().count("reload: configuration applied") > n, what="the reload")
    out = s.cli.run("dig", "+short", "+tries=2", "+time=2", "-p", str(dns_port), f"@{SRV}",
                    f"{name}.lan", "A").stdout.split()
    assert out == [addr], nb.log()


def test_started_as_root_it_runs_as_netbay(svc):
    # the API socket's directory does not exist yet: netbay makes it, and gives it
    # to the user, so that the unprivileged process can remove the socket at stop
    sock = svc.work / "run" / "api.sock"
    nb = svc.make(conf(svc, extra=f"record = before.lan A 10.77.0.50\n[api]\nsocket = {sock}"))
    nb.sock = sock
    start(nb)
    want = caps(CAP_NET_BIND_SERVICE, CAP_NET_ADMIN)  # mode = full: no probe, no CAP_NET_RAW
    assert_runs_as(nb.proc.pid, svc.user, want, want)
    log = nb.log()
    assert "privileges: running as user netbay" in log
    assert "cap_net_bind_service,cap_net_admin" in log
    # what it writes is the user's; the database is not world-readable
    assert owner(nb.data) == "netbay"
    for f in ("netbay.db", "netbay.db-wal", "netbay.db.lock"):
        assert owner(nb.data / f) == "netbay", f
    assert os.stat(nb.data / "netbay.db").st_mode & 0o077 == 0
    assert owner(nb.sock) == "netbay" and owner(sock.parent) == "netbay"
    serves_everything(svc, nb)
    reload_with_record(svc, nb, "after", "10.77.0.51")
    assert_runs_as(nb.proc.pid, svc.user, want, want)  # a reload gains nothing
    # the API socket is the user's: the CLI (as root here) talks to it
    assert "10.77.0." in nb.cli("lease", "list").stdout
    assert nb.stop() == 0
    assert not nb.sock.exists()  # removed at stop, by the unprivileged process


def test_generated_certificate_is_the_users_and_survives_a_reload(svc):
    """The HTTPS API's certificate is made at first start, as root, before
    the switch: it must be the user's, so an unprivileged reload re-reads it."""
    extra = ("[api]\nlisten = 127.0.0.1:8443\ntoken = tok-0123456789abcdef\n"
             f"socket = {svc.work / 'api.sock'}")
    nb = svc.make(conf(svc, extra=extra))
    nb.sock = svc.work / "api.sock"
    start(nb)
    tls = nb.data / "tls"
    assert owner(tls) == "netbay"
    for f in ("cert.pem", "key.pem"):
        assert owner(tls / f) == "netbay", f
    assert os.stat(tls / "key.pem").st_mode & 0o077 == 0
    n = nb.log().count("reload: configuration applied")
    nb.signal(signal.SIGHUP)
    wait_for(lambda: nb.log().count("reload: configuration applied") > n
             or "refused the new configuration" in nb.log(), what="the reload")
    assert "refused the new configuration" not in nb.log(), nb.log()
    r = svc.srv.run("curl", "-s", "-S", "--max-time", "10", "--cacert", tls / "cert.pem",
                    "https://127.0.0.1:8443/api/v1/health")
    assert '"version"' in r.stdout, r.stderr
    assert nb.stop() == 0


def test_auto_mode_keeps_the_probe_capability(svc):
    nb = start(svc.make(conf(svc, mode="auto")))
    want = caps(CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW)
    assert_runs_as(nb.proc.pid, svc.user, want, want)
    # the probe's packet sockets open after the switch, per interface
    assert "first probe done" in nb.log()
    assert "cannot probe" not in nb.log()
    lease(svc, nb)  # nobody else answers here: full service


SETPRIV_CAPS = "+net_admin,+net_raw,+net_bind_service"


def setpriv(user, caps_list=SETPRIV_CAPS, bounding=None):
    """As systemd's User= with AmbientCapabilities= does: never root in netbay."""
    return ("setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups",
            f"--inh-caps=-all,{caps_list}", f"--ambient-caps=-all,{caps_list}",
            f"--bounding-set=-all,{bounding or caps_list}")


def prepare_for(s, nb):
    """What systemd's StateDirectory= and RuntimeDirectory= hand the user."""
    for p in (nb.data, nb.dir):
        os.chown(p, s.user.pw_uid, s.user.pw_gid)


def test_started_unprivileged_with_ambient_capabilities(svc):
    nb = svc.make(conf(svc))
    prepare_for(svc, nb)
    start(nb, setpriv("netbay"))
    log = nb.log()
    assert "not started as root" in log, log
    # mode = full: the CAP_NET_RAW it was given is dropped; the bounding set is
    # what the manager set (no CAP_SETPCAP to change it)
    assert_runs_as(nb.proc.pid, svc.user, caps(CAP_NET_BIND_SERVICE, CAP_NET_ADMIN),
                   caps(CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW))
    serves_everything(svc, nb)
    reload_with_record(svc, nb, "after", "10.77.0.52")
    assert nb.stop() == 0


# what systemd's PrivateDevices=yes leaves in /dev
PRIVATE_DEV = ("mount -t tmpfs -o mode=755 tmpfs /dev && "
               "mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && "
               "mknod -m 666 /dev/urandom c 1 9 && mknod -m 666 /dev/random c 1 8 && "
               'exec "$@"')


def test_probe_works_unprivileged_with_a_private_dev(svc):
    """The auto-mode probe's packet sockets need CAP_NET_RAW, not a device:
    started as systemd would (ambient capabilities, a /dev of pseudo devices
    only, as PrivateDevices=yes makes), the probe runs."""
    nb = svc.make(conf(svc, mode="auto"))
    prepare_for(svc, nb)
    start(nb, ("unshare", "--mount", "--propagation", "private", "sh", "-c", PRIVATE_DEV, "sh",
               *setpriv("netbay")))
    assert sorted(os.listdir(f"/proc/{nb.proc.pid}/root/dev")) == [
        "null", "random", "urandom", "zero"]
    want = caps(CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW)
    assert_runs_as(nb.proc.pid, svc.user, want, want)
    log = nb.log()
    assert "first probe done" in log and "cannot probe" not in log, log
    lease(svc, nb)


def test_reload_to_a_port_it_cannot_bind_says_so(svc):
    """No CAP_NET_BIND_SERVICE: high ports at start; a reload that moves DNS
    to 53 is refused for DNS (which keeps answering where it was), the rest
    of the reload is applied."""
    nb = svc.make(conf(svc, mode="off", dns_port=5353, tftp_port=6969, http_port=8080))
    prepare_for(svc, nb)
    start(nb, setpriv("netbay", "+net_admin"))
    assert "no CAP_NET_BIND_SERVICE: a reload cannot listen on a new port below 1024" in nb.log()
    assert_runs_as(nb.proc.pid, svc.user, 0, caps(CAP_NET_ADMIN))  # mode off needs none
    svc.cli.addr("eth0", "10.77.0.9/24")
    text = nb.conf_path.read_text().replace("port = 5353", "port = 53")
    nb.conf_path.write_text(text.replace("[dns]\n", "[dns]\nrecord = moved.lan A 10.77.0.53\n"))
    nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="the reload")
    log = nb.log()
    assert ("reload: dns would listen on 0.0.0.0:53, a port below 1024, and this process "
            f"(uid {svc.user.pw_uid}) has no CAP_NET_BIND_SERVICE") in log, log
    assert "[dns] listen and port keep their running values" in log
    assert "except 1 key" in log
    out = svc.cli.run("dig", "+short", "+tries=2", "+time=2", "-p", "5353", f"@{SRV}",
                      "moved.lan", "A").stdout.split()
    assert out == ["10.77.0.53"], log
    assert nb.proc.poll() is None


def test_unknown_user_is_a_config_error(svc):
    nb = svc.make(conf(svc, user="nosuch-nbuser"))
    start(nb, wait=False)
    assert nb.proc.wait(timeout=20) == 1
    log = nb.log()
    assert (f"{nb.conf_path}:2: [server] user = nosuch-nbuser: no such user; not starting"
            in log), log
    assert "useradd --system" in log
    assert not (nb.data / "netbay.db").exists()  # stopped before opening anything


# ---- the notify protocol


class Listener:
    """A datagram socket at path (writable by anyone, as systemd's is: the
    daemon sends after its switch), with each message and when it came."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)
        self.sock.settimeout(0.2)
        self.got = []
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.got.append((time.monotonic(), data))

    def close(self):
        self.stop = True
        self.t.join(timeout=2)
        self.sock.close()

    def texts(self):
        return [(t, d.decode(errors="replace")) for t, d in list(self.got)]

    def wait(self, pred, what, timeout=15):
        return wait_for(lambda: [x for x in self.texts() if pred(x[1])], timeout=timeout,
                        what=what)


def many_leases(s, nb, n):
    """n bound leases in nb's database, by the offline import."""
    exp = int(time.time()) + 86400
    base = (10 << 24) | (88 << 16) | (1 << 8)
    csv = s.work / "leases.csv"
    with open(csv, "w") as f:
        for i in range(n):
            a = base + i
            f.write(f"{a >> 24}.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255},"
                    f"52:54:{i >> 24 & 255:02x}:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:"
                    f"{i & 255:02x},{exp}\n")
    r = sh(NETBAY, "lease", "import", "-c", nb.conf_path, csv, timeout=120)
    assert f"{n} leases imported" in r.stdout, r.stdout + r.stderr


NOTIFY_CONF = """[server]
user = netbay
data-dir = @DATA@
[dhcp]
mode = full
[subnet 10.88.0.0/15]
range = 10.88.1.0-10.89.255.200
[tftp]
root = {boot}
[dns]
upstream = 127.0.0.1:9
"""


def test_notify_ready_reload_stop_watchdog(svc):
    nb = svc.make(NOTIFY_CONF.format(boot=svc.boot))
    many_leases(svc, nb, 100_000)
    lst = Listener(svc.work / "notify.sock")
    try:
        env = dict(os.environ, NOTIFY_SOCKET=lst.path, WATCHDOG_USEC="400000")
        env.pop("WATCHDOG_PID", None)
        t0 = time.monotonic()
        start(nb, env=env, wait=False)
        ready = lst.wait(lambda m: m.startswith("READY=1"), "READY=1")[0]
        took = ready[0] - t0
        # READY came after the leases were loaded, the sockets bound and the switch
        log = nb.log()
        assert "dhcp: 100000 leases loaded" in log, log
        assert "privileges: running as user netbay" in log, log
        assert "ready" in log
        loaded = re.search(r"100000 leases loaded in \d+ ms", log).group(0)
        print(f"READY=1 {took * 1000:.0f} ms after exec ({loaded}; load average "
              f"{os.getloadavg()[0]:.2f})")
        assert took < 1.0, (f"READY=1 came {took:.3f} s after exec (load average "
                            f"{os.getloadavg()}):\n{log}")
        assert lst.texts()[0][1] == "READY=1\nSTATUS=serving"  # first, nothing before it
        # the watchdog: every WATCHDOG_USEC / 2 = 200 ms, from the loop
        time.sleep(1.5)
        pings = [t for t, m in lst.texts() if m == "WATCHDOG=1"]
        assert 4 <= len(pings) <= 10, pings
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert all(0.1 < g < 0.6 for g in gaps), gaps
        assert 0.15 < sum(gaps) / len(gaps) < 0.3, gaps
        # a reload: RELOADING=1 with the monotonic clock, then READY=1
        n = len(lst.texts())
        before = time.clock_gettime(time.CLOCK_MONOTONIC)
        nb.signal(signal.SIGHUP)
        wait_for(lambda: [m for _, m in lst.texts()[n:] if m.startswith("READY=1")],
                 what="READY=1 after the reload")
        after = time.clock_gettime(time.CLOCK_MONOTONIC)
        new = [m for _, m in lst.texts()[n:] if m != "WATCHDOG=1"]
        assert new[0].startswith("RELOADING=1\nMONOTONIC_USEC="), new
        usec = int(re.search(r"MONOTONIC_USEC=(\d+)", new[0]).group(1))
        assert before * 1e6 <= usec <= after * 1e6, (before, usec, after)
        assert new[1] == "READY=1\nSTATUS=serving", new
        # stop
        n = len(lst.texts())
        nb.signal(signal.SIGTERM)
        assert nb.proc.wait(timeout=20) == 0
        assert "STOPPING=1" in [m for _, m in lst.texts()[n:]]
    finally:
        lst.close()


def test_watchdog_for_another_pid_is_not_pinged(svc):
    nb = svc.make(NOTIFY_CONF.format(boot=svc.boot))
    lst = Listener(svc.work / "notify.sock")
    try:
        env = dict(os.environ, NOTIFY_SOCKET=lst.path, WATCHDOG_USEC="200000", WATCHDOG_PID="1")
        start(nb, env=env)
        lst.wait(lambda m: m.startswith("READY=1"), "READY=1")
        time.sleep(0.8)
        assert "WATCHDOG=1" not in [m for _, m in lst.texts()]
        assert "watchdog" not in nb.log()
    finally:
        lst.close()


# ---- the journal


def fields(dgram):
    """KEY=VALUE lines of a native journal datagram (no binary values here)."""
    out = {}
    for line in dgram.decode(errors="replace").split("\n"):
        k, sep, v = line.partition("=")
        if sep:
            out[k] = v
    return out


def test_journal_fields_follow_one_machine(svc):
    nb = svc.make(conf(svc))
    lst = Listener(svc.work / "journal.sock")
    try:
        env = dict(os.environ, NETBAY_JOURNAL_SOCKET=lst.path)
        start(nb, env=env, wait=False)
        lst.wait(lambda m: re.search(r"MESSAGE=netbay \S+ ready", m), "the ready line")
        assert nb.log() == ""  # every line went to the journal socket
        mac = if_mac(svc.cli, "eth0")
        l = lease(svc, nb)
        recs = [fields(d) for _, d in lst.got]
        mine = [r for r in recs if r.get("MAC") == mac]
        assert mine, recs[-10:]
        assert all(r["SYSLOG_IDENTIFIER"] == "netbay" and r["PRIORITY"].isdigit() for r in mine)
        ack = [r for r in mine if " ACK " in r["MESSAGE"]]
        assert ack, mine
        assert ack[0]["EVENT"] == "dhcp.ack" and ack[0]["IP"] == l["ip"], ack
        assert ack[0]["DEVICE"] == "pc1" and ack[0]["PRIORITY"] == "6", ack
        assert any(r.get("EVENT") == "dhcp.discover" for r in mine), mine
        assert mac in ack[0]["MESSAGE"]  # the text still says it too
        # lines about no machine carry no machine
        ready = [r for r in recs if "ready" in r.get("MESSAGE", "")]
        assert ready and "MAC" not in ready[0] and "IP" not in ready[0]
        # TFTP lines carry the client's address
        svc.cli.run("tftp", SRV, "-m", "binary", "-c", "get", "missing.bin", "/dev/null",
                    check=False, timeout=30)
        wait_for(lambda: [r for r in map(fields, [d for _, d in lst.got])
                          if r.get("IP") == l["ip"] and "missing.bin" in r.get("MESSAGE", "")],
                 what="the TFTP line with IP=")
    finally:
        lst.close()


# ---- the unit file


def test_unit_hardening_score():
    unit = ROOT / "systemd" / "netbay.service"
    r = sh("systemd-analyze", "security", "--offline=true", unit, check=False, timeout=60)
    m = re.search(r"Overall exposure level for netbay.service: (\d+\.\d+)", r.stdout)
    assert m, r.stdout + r.stderr
    score = float(m.group(1))
    assert score <= 2.5, r.stdout
    doc = (ROOT / "docs" / "operations.md").read_text()
    assert f"exposure level {m.group(1)}" in doc, "docs/operations.md records another score"
    text = unit.read_text()
    for line in ("Type=notify", "User=netbay", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID",
                 "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE",
                 "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE"):
        assert line in text, line


def test_sysusers_and_tmpfiles_make_the_user_and_dirs(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    for d, src in (("sysusers.d", "netbay.sysusers"), ("tmpfiles.d", "netbay.tmpfiles")):
        (root / "usr/lib" / d).mkdir(parents=True)
        shutil.copy(ROOT / "systemd" / src, root / "usr/lib" / d / "netbay.conf")
    sh("systemd-sysusers", f"--root={root}")
    pw = [l.split(":") for l in (root / "etc/passwd").read_text().splitlines()]
    nb = [p for p in pw if p[0] == "netbay"]
    assert nb and nb[0][5] == "/var/lib/netbay" and nb[0][6] == "/usr/sbin/nologin", pw
    uid, gid = int(nb[0][2]), int(nb[0][3])
    assert 0 < uid < 1000  # a system user
    sh("systemd-tmpfiles", f"--root={root}", "--create")
    for d in ("var/lib/netbay", "run/netbay"):
        st = os.stat(root / d)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (uid, gid, 0o750), d
