"""[dhcp] mode = auto, the default: never a rogue server. netbay probes its
LAN segment for other DHCP servers and hands out addresses only where none
answers. The segment is a bridge with netbay, a real dnsmasq (10.77.0.2,
addresses 10.77.0.50-60) and clients (udhcpc, the scripted PXE client) on it."""
import json
import re
import sys
import time
from pathlib import Path

import pytest

from conftest import have, sh, stop_process, wait_for
from lan import HOOK, if_addrs, leases, server_conf
from vm import Segment, start_dnsmasq

pytestmark = pytest.mark.skipif(not (have("dnsmasq") and have("udhcpc")),
                                reason="needs dnsmasq and udhcpc")

HERE = Path(__file__).resolve().parent
SUBNET = {"10.77.0.0/24": "range = 10.77.0.100-10.77.0.199\nrouter = 10.77.0.1\nlease-time = 1h"}


class Site:
    """A segment with netbay on srv (10.77.0.1), room for dnsmasq on dnsm
    (10.77.0.2) and a client namespace with no address yet."""

    def __init__(self, netns, netbay, tmp_path, extra=""):
        self.tmp = Path(tmp_path)
        self.seg = Segment(netns)
        self.srv, self.dnsm = netns("srv"), netns("dnsm")
        self.seg.attach(self.srv, "eth0", "10.77.0.1/24")
        self.seg.attach(self.dnsm, "eth0", "10.77.0.2/24")
        self.nb = netbay(self.srv, server_conf(SUBNET, extra=extra))
        self.hook = self.tmp / "hook.sh"
        self.hook.write_text(HOOK)
        self.hook.chmod(0o755)
        self.netns = netns
        self.clients = 0

    def dnsmasq(self):
        return start_dnsmasq(self.dnsm, self.tmp)

    def client(self):
        self.clients += 1
        ns = self.netns("cli")
        self.seg.attach(ns, "eth0")
        return ns

    def udhcpc(self, ns):
        """One lease, then exit (-q); returns the address the client has."""
        r = ns.run("udhcpc", "-i", "eth0", "-f", "-q", "-n", "-t", "8", "-T", "1",
                   "-s", self.hook, check=False, timeout=30,
                   env={"NB_HOOK_LOG": str(self.tmp / "hook.events"), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        assert r.returncode == 0, r.stdout + r.stderr
        return if_addrs(ns, "eth0")

    def servers(self):
        out = sh("curl", "-s", "--unix-socket", self.nb.sock,
                 "http://netbay/api/v1/dhcp/servers").stdout
        return json.loads(out)

    def iface(self):
        (i,) = [i for i in self.servers()["interfaces"] if i["interface"] == "eth0"]
        return i


def in_dnsmasq_range(ip):
    return ip.startswith("10.77.0.") and 50 <= int(ip.rsplit(".", 1)[1]) <= 60


def test_beside_dnsmasq_netbay_leases_nothing(netns, netbay, tmp_path):
    site = Site(netns, netbay, tmp_path)
    site.dnsmasq()
    site.nb.start()
    log = site.nb.log()
    assert "first probe done: proxy on eth0 (beside 10.77.0.2)" in log, log
    assert re.search(r"another DHCP server answers here: 10\.77\.0\.2 \(server id 10\.77\.0\.2, "
                     r"MAC [0-9a-f:]{17}\) offered 10\.77\.0\.(5\d|60)", log), log
    # the probe is a DISCOVER that dnsmasq answered; it never saw a REQUEST from netbay
    dlog = (tmp_path / "dnsmasq.log").read_text()
    assert "DHCPDISCOVER(eth0)" in dlog and "DHCPOFFER(eth0)" in dlog
    assert "DHCPREQUEST" not in dlog

    addrs = site.udhcpc(site.client())
    assert addrs and all(in_dnsmasq_range(a) for a in addrs), addrs
    assert leases(site.nb) == []  # netbay handed out nothing

    i = site.iface()
    assert i["mode"] == "proxy" and i["state"] == "foreign", i
    assert i["server"]["server_id"] == "10.77.0.2" and i["server"]["answering"], i
    assert site.servers()["mode"] == "auto"

    # a network-booting client still gets its boot information from netbay,
    # its address from dnsmasq, and `netbay why` says why
    mac = "52:54:00:a0:70:01"
    pxe = site.client()
    r = pxe.run(sys.executable, HERE / "pxeclient.py", "eth0", mac, "--arch", "7", timeout=60)
    run = json.loads(r.stdout)["runs"][0]
    proxy = [o for o in run["offers"] if o["yiaddr"] == "0.0.0.0"]
    assert proxy and proxy[0]["server_id"] == "10.77.0.1" and proxy[0]["file"], run
    assert in_dnsmasq_range(run["ack"]["yiaddr"]), run
    assert leases(site.nb) == []
    why = site.nb.cli("why", mac).stdout
    assert "Another DHCP server, 10.77.0.2, answers on eth0" in why, why


def test_alone_netbay_serves(netns, netbay, tmp_path):
    site = Site(netns, netbay, tmp_path)
    site.nb.start()
    log = site.nb.log()
    assert "eth0: no other DHCP server answered the probe: full mode" in log, log
    assert "first probe done: full on eth0" in log
    addrs = site.udhcpc(site.client())
    assert addrs and addrs[0].startswith("10.77.0.1"), addrs
    assert [l["ip"] for l in leases(site.nb)] == addrs
    i = site.iface()
    assert i["mode"] == "full" and i["server"] is None, i


def test_server_appears_later_and_goes(netns, netbay, tmp_path):
    """The periodic probe finds a dnsmasq started after netbay, and netbay
    serves in full again once it stopped answering for 3 probes."""
    site = Site(netns, netbay, tmp_path, extra="[dhcp]\nprobe-interval = 10s\nprobe-wait = 1s\n")
    site.nb.start()
    assert site.iface()["mode"] == "full"
    started = time.monotonic()
    d = site.dnsmasq()
    wait_for(lambda: "another DHCP server answers here: 10.77.0.2" in site.nb.log(),
             timeout=30, interval=0.5, what="the periodic probe to find dnsmasq")
    assert time.monotonic() - started < 25  # one interval (10 s, +-10%) and its wait
    i = site.iface()
    assert i["mode"] == "proxy" and i["server"]["server_id"] == "10.77.0.2", i
    addrs = site.udhcpc(site.client())
    assert addrs and all(in_dnsmasq_range(a) for a in addrs), addrs
    assert leases(site.nb) == []

    stop_process(d)
    gone = time.monotonic()
    wait_for(lambda: "answered none of the last 3 probes: full mode again on eth0"
             in site.nb.log(), timeout=60, interval=0.5, what="full mode again")
    assert time.monotonic() - gone > 15  # not at the first missed probe
    i = site.iface()
    assert i["mode"] == "full" and i["server"]["answering"] is False, i
    addrs = site.udhcpc(site.client())
    assert addrs and addrs[0].startswith("10.77.0.1"), addrs


def test_own_probe_is_not_answered(netns, netbay, tmp_path):
    """Two interfaces of netbay on one segment, each with its own [subnet]:
    each hears the other's probe on port 67 and must not take it for a
    client (nor the other's OFFER for a foreign server)."""
    seg = Segment(netns)
    srv = netns("srv")
    seg.attach(srv, "eth0", "10.77.0.1/24")
    seg.attach(srv, "eth1", "10.78.0.1/24")
    subnets = dict(SUBNET)
    subnets["10.78.0.0/24"] = "range = 10.78.0.100-10.78.0.199"
    nb = netbay(srv, server_conf(subnets, extra="[dhcp]\nprobe-interval = 10s\nprobe-wait = 1s\n"))
    nb.start()
    assert "first probe done: full on eth" in nb.log()
    # two more rounds, in which both interfaces are already in full mode
    wait_for(lambda: nb.log().count("probing for other DHCP servers (xid") >= 6, timeout=40,
             interval=0.5, what="two more probe rounds")
    time.sleep(1.5)  # the last round's wait
    log = nb.log()
    assert "DISCOVER via eth" not in log, log  # the probes never reached the state machine
    assert "another DHCP server" not in log, log
    assert "proxy on" not in log


@pytest.mark.skipif(not have("dhclient"), reason="needs dhclient")
def test_a_dhcp_client_on_the_server_keeps_port_68(netns, netbay, tmp_path):
    """netbay's box is itself a DHCP client of the LAN's server (dhclient
    holds UDP 68 on the same interface): the probe still finds that
    server, and dhclient keeps its lease."""
    site = Site(netns, netbay, tmp_path)
    site.dnsmasq()
    log = tmp_path / "dhclient.events"
    lf, pf, cf = (tmp_path / f"dhclient.{x}" for x in ("leases", "pid", "conf"))
    cf.write_text("request subnet-mask, routers;\n")
    # the hook leaves eth0's addresses alone (NB_HOOK_NOADDR): netbay keeps 10.77.0.1
    site.srv.run("dhclient", "-4", "-v", "-cf", cf, "-lf", lf, "-pf", pf, "-sf", site.hook,
                 "-e", f"NB_HOOK_LOG={log}", "-e", "NB_HOOK_NOADDR=1", "eth0", timeout=60)
    wait_for(lambda: "BOUND" in (log.read_text() if log.exists() else ""), timeout=30,
             what="dhclient's lease from dnsmasq")
    ss = site.srv.run("ss", "-lunp").stdout
    assert re.search(r":68\s.*dhclient", ss), ss
    site.nb.start()
    assert "first probe done: proxy on eth0 (beside 10.77.0.2)" in site.nb.log(), site.nb.log()
    assert re.search(r":68\s.*dhclient", site.srv.run("ss", "-lunp").stdout)
    assert leases(site.nb) == []
