"""DNS is for the served LAN only: a router with a LAN, an upstream (WAN) and a third
"outside" link, `[server] interfaces = lan0`, a recording upstream DNS on the WAN side.
Clients on the WAN and outside links (and the upstream host itself) get REFUSED or
silence at every address of the server, over UDP and TCP, and nothing they ask reaches
the upstream; the LAN client gets local answers and recursion.

    cli  [10.77.0.2/24] ---- lan0 [10.77.0.1/24]
                                  srv
    wsw (bridge) ---- wan0 [10.78.0.2/24]     up [10.78.0.1] (the upstream DNS)
                                              wcli [10.78.0.3] (a client on the WAN)
    out  [10.80.0.2/24] ---- out0 [10.80.0.1/24]

Addresses are private and exist only inside these namespaces.
"""
import socket
import struct
import time

import dns.message
import dns.rcode
import pytest

from conftest import veth
from test_dns import Upstream, inside

LAN_SRV, LAN_CLI, LAN_CLI2 = "10.77.0.1", "10.77.0.2", "10.77.0.200"
WAN_SRV, UP, WAN_CLI = "10.78.0.2", "10.78.0.1", "10.78.0.3"
OUT_SRV, OUT_CLI = "10.80.0.1", "10.80.0.2"
SERVER_ADDRS = [LAN_SRV, WAN_SRV, OUT_SRV]


class Router:
    def __init__(self, netns, tmp):
        self.srv, self.cli, self.wsw = netns("srv"), netns("cli"), netns("wsw")
        self.up, self.wcli, self.out = netns("up"), netns("wcli"), netns("out")
        veth(self.cli, "eth0", self.srv, "lan0")
        veth(self.out, "eth0", self.srv, "out0")
        self.wsw.run("ip", "link", "add", "br0", "type", "bridge")
        self.wsw.up("br0")
        for i, (ns, ifname) in enumerate([(self.srv, "wan0"), (self.up, "eth0"),
                                          (self.wcli, "eth0")]):
            veth(self.wsw, f"p{i}", ns, ifname)
            self.wsw.run("ip", "link", "set", f"p{i}", "master", "br0")
        self.srv.addr("lan0", LAN_SRV + "/24")
        self.srv.addr("wan0", WAN_SRV + "/24")
        self.srv.addr("out0", OUT_SRV + "/24")
        self.cli.addr("eth0", LAN_CLI + "/24")
        self.cli.addr("eth0", LAN_CLI2 + "/24")
        self.up.addr("eth0", UP + "/24")
        self.wcli.addr("eth0", WAN_CLI + "/24")
        self.out.addr("eth0", OUT_CLI + "/24")
        # every server address is reachable from every client
        for ns, gw in ((self.up, WAN_SRV), (self.wcli, WAN_SRV), (self.out, OUT_SRV),
                       (self.cli, LAN_SRV)):
            for net in ("10.77.0.0/24", "10.78.0.0/24", "10.80.0.0/24"):
                if not net.startswith(gw.rsplit(".", 1)[0]):  # not its own link
                    ns.run("ip", "route", "add", net, "via", gw)
        self.upstream = Upstream(self.up, tmp)

    def conf(self, dns_extra=""):
        return f"""[server]
name = gw
data-dir = @DATA@
interfaces = lan0
[dhcp]
mode = off
[http]
enable = no
[tftp]
enable = no
[api]
socket = @SOCK@
[dns]
domain = lan
upstream = {UP}
record = kms A 10.77.0.5
{dns_extra}
"""


@pytest.fixture
def router(netns, tmp_path):
    return Router(netns, tmp_path)


def udp_answers(ns, queries, src=None, wait=1.5):
    """Sends every (server address, message) at once from one socket in ns; returns
    {id: answer} for whatever came back within wait seconds."""
    with inside(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if src:
            s.bind((src, 0))
        for addr, m in queries:
            s.sendto(m.to_wire(), (addr, 53))
        s.settimeout(0.2)
        got, deadline = {}, time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                r = dns.message.from_wire(s.recv(65535))
                got[r.id] = r
            except socket.timeout:
                pass
        return got
    finally:
        s.close()


def tcp_answer(ns, addr, m, src=None, timeout=3.0):
    """The answer over TCP, or None when the connection was refused or closed first."""
    with inside(ns):
        s = socket.socket()
    try:
        s.settimeout(timeout)
        if src:
            s.bind((src, 0))
        s.connect((addr, 53))
        w = m.to_wire()
        s.sendall(struct.pack(">H", len(w)) + w)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = s.recv(65535)
            if not chunk:
                return None
            buf += chunk
        return dns.message.from_wire(buf[2:])
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
        return None
    finally:
        s.close()


def tagged(tag, i, local):
    m = dns.message.make_query("kms.lan" if local else f"{tag}-{i}.fwd.test", "A")
    m.id = i
    return m


def not_served(router, ns, tag):
    """Everything ns asks at every server address: [(what, answer)] for the answers that
    are not REFUSED (should be none); the names it used are tag-*."""
    bad, queries = [], []
    for k, addr in enumerate(SERVER_ADDRS):
        for local in (True, False):
            queries.append((addr, tagged(tag, 2 * k + local, local)))
    got = udp_answers(ns, queries)
    for addr, m in queries:
        r = got.get(m.id)
        if r is not None and (r.rcode() != dns.rcode.REFUSED or r.answer):
            bad.append((f"udp {addr} {m.question[0].name}", r.rcode(), r.answer))
    for addr, m in queries:
        m2 = tagged(tag + "t", m.id, m.question[0].name.to_text() == "kms.lan.")
        r = tcp_answer(ns, addr, m2)
        if r is not None and (r.rcode() != dns.rcode.REFUSED or r.answer):
            bad.append((f"tcp {addr} {m2.question[0].name}", r.rcode(), r.answer))
    return bad


def test_only_the_served_lan_gets_answers(router, netbay):
    nb = netbay(router.srv, router.conf())
    nb.start()
    # the WAN client, the upstream host itself, the outside client: nothing, anywhere
    assert not_served(router, router.wcli, "wan") == []
    assert not_served(router, router.up, "up") == []
    assert not_served(router, router.out, "out") == []
    # the LAN client: local answers and recursion, at the LAN address and at the others
    for addr in SERVER_ADDRS:
        got = udp_answers(router.cli, [(addr, tagged("lan", 1, True)),
                                       (addr, tagged("lan" + addr, 2, False))], wait=1.0)
        assert got[1].answer[0][0].address == "10.77.0.5", addr
        assert got[2].answer[0][0].address == "192.0.2.7", addr
    r = tcp_answer(router.cli, LAN_SRV, tagged("lantcp", 3, False))
    assert r.answer[0][0].address == "192.0.2.7"
    # from the server itself (loopback) too
    got = udp_answers(router.srv, [("127.0.0.1", tagged("lo", 4, True))], wait=1.0)
    assert got[4].answer[0][0].address == "10.77.0.5"
    names = router.upstream.names()
    assert not [n for n in names if n.split("-")[0] in ("wan", "up", "out", "want", "upt",
                                                        "outt")], names
    assert "lantcp-3.fwd.test." in names and f"lan{LAN_SRV}-2.fwd.test." in names
    # every query not served is named in the log (rate-limited: a few lines at most)
    log = nb.log()
    assert f"dns: query from {WAN_CLI} on wan0 ignored: arrived on an interface that is " \
           "not served" in log, log
    assert log.count("dns: query from") + log.count("dns: connection from") <= 20, log
    assert "similar messages suppressed" in log, log


def test_allow_only_narrows_and_allow_widens(router, netbay):
    nb = netbay(router.srv, router.conf("allow = only 10.77.0.0/25"))
    nb.start()
    got = udp_answers(router.cli, [(LAN_SRV, tagged("in", 1, False))], src=LAN_CLI)
    assert got[1].answer[0][0].address == "192.0.2.7"
    # a LAN address outside the list is refused, local names included; nothing goes up
    got = udp_answers(router.cli, [(LAN_SRV, tagged("nl", 2, False)),
                                   (LAN_SRV, tagged("nl", 3, True))], src=LAN_CLI2)
    assert got[2].rcode() == dns.rcode.REFUSED and got[3].rcode() == dns.rcode.REFUSED
    assert tcp_answer(router.cli, LAN_SRV, tagged("nlt", 4, False), src=LAN_CLI2) is None
    assert not [n for n in router.upstream.names() if n.startswith("nl")]
    assert f"dns: query from {LAN_CLI2} on lan0 refused: not in [dns] allow" in nb.log()
    nb.stop()
    # allow without "only" widens: an outside network named there is served, on any link
    nb = netbay(router.srv, router.conf(f"allow = {OUT_CLI}"), name="nb2")
    nb.start()
    got = udp_answers(router.out, [(OUT_SRV, tagged("wide", 5, False))])
    assert got[5].answer[0][0].address == "192.0.2.7"
    assert not_served(router, router.wcli, "wan2") == []


def test_check_reports_a_bad_allow_with_its_line(tmp_path):
    from conftest import NETBAY, sh
    p = tmp_path / "bad.conf"
    p.write_text("[dhcp]\nmode = off\n[dns]\nallow = 10.0.0.0/8, only 10.1.0.0/16\n")
    r = sh(NETBAY, "check", "-c", p, check=False)
    assert r.returncode != 0
    assert f"{p}:4: allow: 'only' comes first" in r.stdout + r.stderr
