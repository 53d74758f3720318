"""DNS: integration tests with real clients (dnspython, dig) in namespaces.

A DNS test topology in namespaces, queries from inside them, and a fake
upstream that records every query it receives.

    cli  [10.77.0.2/24] ---- [10.77.0.1/24] srv [10.78.0.2/24] ---- [10.78.0.1/24] up
    out  [10.80.0.2/32] ---- [10.80.0.1/32] srv      (a client outside every local subnet)

Addresses are private and exist only inside these namespaces.
"""
import contextlib
import ctypes
import json
import os
import socket
import struct
import time

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from conftest import veth, wait_for

SRV, CLI, UP, UP_SRV, OUT_SRV, OUT = "10.77.0.1", "10.77.0.2", "10.78.0.1", "10.78.0.2", \
    "10.80.0.1", "10.80.0.2"

_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def inside(ns):
    """Runs the block in ns's network namespace: sockets made there stay there."""
    me = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/var/run/netns/{ns.name}", os.O_RDONLY)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        yield
    finally:
        _libc.setns(me, _CLONE_NEWNET)
        os.close(me)
        os.close(target)


def udp(ns, q, where=SRV, port=53, timeout=3.0):
    with inside(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    try:
        return dns.query.udp(q, where, port=port, timeout=timeout, sock=s)
    finally:
        s.close()


def tcp(ns, q, where=SRV, port=53, timeout=3.0):
    with inside(ns):
        s = socket.create_connection((where, port), timeout=timeout)
    s.setblocking(False)
    try:
        return dns.query.tcp(q, where, timeout=timeout, sock=s)
    finally:
        s.close()


def raw_udp(ns, wire, where=SRV, port=53, timeout=3.0):
    """Sends bytes, returns the answer's bytes."""
    with inside(ns):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(wire, (where, port))
        return s.recv(65535)
    finally:
        s.close()


def q(name, rdtype="A", **kw):
    return dns.message.make_query(name, rdtype, **kw)


def section_types(rrsets):
    return sorted(dns.rdatatype.to_text(r.rdtype) for r in rrsets)


UPSTREAM = r'''
import json, select, socket, struct, sys
import dns.flags, dns.message, dns.rcode, dns.rdatatype, dns.rrset
addr, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, port))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind((addr, port))
t.listen(16)
out = open(log, "a", buffering=1)
SOA = "ns.fwd.test. h.fwd.test. 1 3600 600 86400 30"

def answer(wire, proto, port=None):
    q = dns.message.from_wire(wire)
    name = q.question[0].name.to_text().lower()
    rdtype = dns.rdatatype.to_text(q.question[0].rdtype)
    out.write(json.dumps({"name": name, "type": rdtype, "proto": proto,
                          "edns": q.edns, "id": q.id, "port": port}) + "\n")
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    if name.endswith(".fwd.test."):
        if name.startswith("nx"):
            r.set_rcode(dns.rcode.NXDOMAIN)
            r.authority.append(dns.rrset.from_text("fwd.test.", 60, "IN", "SOA", SOA))
        elif name == "big.fwd.test." and rdtype == "TXT":
            if proto == "udp":
                r.flags |= dns.flags.TC
            else:
                r.answer.append(dns.rrset.from_text(name, 300, "IN", "TXT",
                                *['"%s"' % (chr(97 + i % 26) * 200) for i in range(12)]))
        elif rdtype == "A":
            ttl = 0 if name.startswith("zero") else 30
            r.answer.append(dns.rrset.from_text(name, ttl, "IN", "A", "192.0.2.7"))
        else:
            r.authority.append(dns.rrset.from_text("fwd.test.", 60, "IN", "SOA", SOA))
    else:
        r.set_rcode(dns.rcode.NXDOMAIN)
    return r.to_wire(max_size=65535)

def forgeries(data):
    """For spoof*.fwd.test: answers that must be ignored, sent before the real one."""
    q = dns.message.from_wire(data)
    if not q.question[0].name.to_text().lower().startswith("spoof"):
        return []
    out = []
    wrong_id = dns.message.make_response(q)
    wrong_id.id = (q.id + 1) % 65536
    other_q = dns.message.make_query("other.fwd.test", "A")
    other_q.id = q.id
    other_q = dns.message.make_response(other_q)
    for r in (wrong_id, other_q):
        r.answer.append(dns.rrset.from_text(r.question[0].name, 30, "IN", "A", "198.51.100.66"))
        out.append(r.to_wire())
    not_response = dns.message.from_wire(data)  # a query (QR clear) with the right ID
    out.append(not_response.to_wire())
    return out

print("ready", flush=True)
while True:
    ready, _, _ = select.select([u, t], [], [])
    if u in ready:
        data, peer = u.recvfrom(65535)
        for forged in forgeries(data):
            u.sendto(forged, peer)
        u.sendto(answer(data, "udp", peer[1]), peer)
    if t in ready:
        c, _ = t.accept()
        c.settimeout(2)
        try:
            while True:
                hdr = c.recv(2)
                if len(hdr) < 2:
                    break
                (n,) = struct.unpack(">H", hdr)
                data = b""
                while len(data) < n:
                    chunk = c.recv(n - len(data))
                    if not chunk:
                        break
                    data += chunk
                a = answer(data, "tcp")
                c.sendall(struct.pack(">H", len(a)) + a)
        except OSError:
            pass
        c.close()
'''


class Upstream:
    """The fake upstream in its namespace; .queries() is everything it was asked."""

    def __init__(self, ns, tmp, addr=UP, name="up"):
        self.script = tmp / "upstream.py"
        self.script.write_text(UPSTREAM)
        self.log = tmp / f"{name}.queries"
        self.log.write_text("")
        self.out = tmp / f"{name}.out"
        self.proc = ns.popen("/usr/bin/python3", self.script, addr, "53", self.log,
                             log=self.out)
        wait_for(lambda: "ready" in self.out.read_text() or self.proc.poll() is not None,
                 timeout=15, what="fake upstream")
        assert self.proc.poll() is None, self.out.read_text()

    def queries(self):
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def names(self):
        return [x["name"] for x in self.queries()]


class Lab:
    """Namespaces cli, srv, up, out wired as in the module docstring."""

    def __init__(self, netns):
        self.srv, self.cli, self.up, self.out = netns("srv"), netns("cli"), netns("up"), \
            netns("out")
        veth(self.cli, "eth0", self.srv, "cli0")
        veth(self.up, "eth0", self.srv, "up0")
        veth(self.out, "eth0", self.srv, "out0")
        self.cli.addr("eth0", CLI + "/24")
        self.srv.addr("cli0", SRV + "/24")
        self.up.addr("eth0", UP + "/24")
        self.srv.addr("up0", UP_SRV + "/24")
        self.srv.addr("out0", OUT_SRV + "/32")
        self.out.addr("eth0", OUT + "/32")
        self.srv.run("ip", "route", "add", OUT + "/32", "dev", "out0")
        self.out.run("ip", "route", "add", OUT_SRV + "/32", "dev", "eth0")


def conf(upstream=UP, extra="", dns_extra=""):
    return f"""[server]
name = gw
data-dir = @DATA@
[dhcp]
mode = off
[http]
enable = no
[api]
socket = @SOCK@
{extra}
[dns]
domain = lan
{"upstream = " + upstream if upstream else ""}
local-ttl = 120
record = _vlmcs._tcp SRV 0 0 1688 kms.lan
record = kms A 10.77.0.5
record = kms TXT "key management"
record = www CNAME kms
{dns_extra}
"""


def header(wire):
    """(id, flags, qdcount, ancount, nscount, arcount) of a message."""
    return struct.unpack(">HHHHHH", wire[:12])


def timed(fn, *a, **kw):
    t0 = time.monotonic()
    r = fn(*a, **kw)
    return r, time.monotonic() - t0


# ---- fixtures

import pytest  # noqa: E402


@pytest.fixture
def lab(netns, netbay, tmp_path):
    """A started lab: namespaces, fake upstream, netbay on srv. lab.start(conf) (re)starts."""
    class Started(Lab):
        def start(self, text=None, **kw):
            self.nb = netbay(self.srv, text or conf(**kw))
            self.nb.start()
            return self.nb
    lb = Started(netns)
    lb.upstream = Upstream(lb.up, tmp_path)
    return lb


# ---- the local zone

def test_local_records_answer_with_aa(lab):
    lab.start()
    soa = udp(lab.cli, q("lan", "SOA"))
    assert soa.flags & dns.flags.AA and soa.rcode() == dns.rcode.NOERROR
    assert soa.answer[0][0].mname.to_text() == "gw.lan."
    ns = udp(lab.cli, q("lan", "NS"))
    assert ns.flags & dns.flags.AA
    assert ns.answer[0][0].target.to_text() == "gw.lan."
    srv = udp(lab.cli, q("_vlmcs._tcp.lan", "SRV"))
    assert srv.flags & dns.flags.AA
    rr = srv.answer[0][0]
    assert (rr.priority, rr.weight, rr.port, rr.target.to_text()) == (0, 0, 1688, "kms.lan.")
    assert srv.additional[0][0].address == "10.77.0.5"  # the target's address as glue
    a = udp(lab.cli, q("kms.lan", "A"))
    assert a.flags & dns.flags.AA and a.answer[0][0].address == "10.77.0.5"
    assert a.answer[0].ttl == 120
    txt = udp(lab.cli, q("kms.lan", "TXT"))
    assert txt.answer[0][0].strings == (b"key management",)
    cname = udp(lab.cli, q("www.lan", "A"))
    assert section_types(cname.answer) == ["A", "CNAME"]
    # the server's own name: the address the query was sent to
    assert udp(lab.cli, q("gw.lan")).answer[0][0].address == SRV
    # dig agrees, over UDP and TCP
    for mode in ("+notcp", "+tcp"):
        out = lab.cli.run("dig", mode, "+norec", f"@{SRV}", "_vlmcs._tcp.lan", "SRV").stdout
        assert "flags: qr aa" in out and "0 0 1688 kms.lan." in out, out
    assert lab.upstream.queries() == []


def test_negative_answers_carry_the_soa(lab):
    lab.start()
    nx = udp(lab.cli, q("nothing.lan", "A"))
    assert nx.rcode() == dns.rcode.NXDOMAIN and nx.flags & dns.flags.AA
    assert not nx.answer
    assert nx.authority[0].name.to_text() == "lan." and section_types(nx.authority) == ["SOA"]
    assert nx.authority[0][0].minimum == 120
    nodata = udp(lab.cli, q("kms.lan", "AAAA"))
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert section_types(nodata.authority) == ["SOA"] and nodata.flags & dns.flags.AA
    # every type gets an answer, DNSSEC ones with DO set included
    for t in ("DS", "DNSKEY", "RRSIG", "NSEC", "HINFO", "TYPE65280"):
        r = udp(lab.cli, q("kms.lan", t, want_dnssec=True))
        assert r.rcode() == dns.rcode.NOERROR and section_types(r.authority) == ["SOA"], t
        assert r.ednsflags & dns.flags.DO


def test_static_name_and_reverse_from_host_reservation(lab):
    lab.start(extra="[host pc1]\nmac = 52:54:00:00:00:01\naddress = 10.77.0.42\n")
    assert udp(lab.cli, q("pc1.lan")).answer[0][0].address == "10.77.0.42"
    assert udp(lab.cli, q("PC1")).answer[0][0].address == "10.77.0.42"
    ptr = udp(lab.cli, q("42.0.77.10.in-addr.arpa", "PTR"))
    assert ptr.flags & dns.flags.AA and ptr.answer[0][0].target.to_text() == "pc1.lan."


def test_edns_badvers_and_unknown_opcode(lab):
    lab.start()
    v1 = q("kms.lan")
    v1.use_edns(1)
    r = udp(lab.cli, v1)
    assert r.rcode() == dns.rcode.BADVERS and r.edns == 0 and not r.answer
    r = udp(lab.cli, q("kms.lan", use_edns=0, payload=4096))
    assert r.edns == 0 and r.payload == 1232
    assert udp(lab.cli, q("kms.lan", use_edns=False)).edns == -1
    # opcode 3 is unassigned: NOTIMP, the question repeated
    wire = bytearray(q("kms.lan").to_wire())
    wire[2] = (wire[2] & 0x87) | (3 << 3)
    ans = raw_udp(lab.cli, bytes(wire))
    hid, flags, qd, an, ns, ar = header(ans)
    assert flags & 0xf == dns.rcode.NOTIMP and (flags >> 11) & 0xf == 3 and qd == 1 and an == 0
    # the Z bit changes nothing
    wire = bytearray(q("kms.lan").to_wire())
    wire[3] |= 0x40
    z = dns.message.from_wire(raw_udp(lab.cli, bytes(wire)))
    assert z.answer[0][0].address == "10.77.0.5"


def test_oversized_answer_truncates_over_udp_and_arrives_over_tcp(lab):
    big = "\n".join(f'record = big TXT "{chr(97 + i) * 150}"' for i in range(10))
    lab.start(dns_extra=big)
    r = udp(lab.cli, q("big.lan", "TXT", use_edns=False))
    assert r.flags & dns.flags.TC and not r.answer
    r = udp(lab.cli, q("big.lan", "TXT", use_edns=0, payload=1232))
    assert r.flags & dns.flags.TC
    r = tcp(lab.cli, q("big.lan", "TXT"))
    assert not r.flags & dns.flags.TC and len(r.answer[0]) == 10
    out = lab.cli.run("dig", f"@{SRV}", "big.lan", "TXT", "+noedns", "+ignore").stdout
    assert "tc" in out.split("flags:")[1].split(";")[0]
    out = lab.cli.run("dig", f"@{SRV}", "big.lan", "TXT", "+noedns").stdout  # dig retries on TCP
    assert out.count("\tTXT\t") == 10, out


def test_single_label_and_private_reverse_never_go_upstream(lab):
    lab.start()
    asked = ["nas", "wpad", "printer", "5.7.77.10.in-addr.arpa", "1.1.168.192.in-addr.arpa",
             "9.9.20.172.in-addr.arpa", "4.3.2.1.in-addr.arpa.in-addr.arpa"]
    for name in asked[:6]:
        r = udp(lab.cli, q(name, "PTR" if "arpa" in name else "A"))
        assert r.rcode() == dns.rcode.NXDOMAIN and r.flags & dns.flags.AA, name
        assert section_types(r.authority) == ["SOA"], name
    # control: a public name does reach the upstream, so the log is working
    udp(lab.cli, q("public.fwd.test"))
    names = lab.upstream.names()
    assert names == ["public.fwd.test."], names


# ---- forwarding

def test_forwarding_and_cache_ttl_counts_down(lab):
    lab.start()
    r1 = udp(lab.cli, q("Host1.Fwd.Test"))
    assert r1.answer[0][0].address == "192.0.2.7" and r1.answer[0].ttl == 30
    assert not r1.flags & dns.flags.AA and r1.flags & dns.flags.RA
    assert r1.question[0].name.to_text() == "Host1.Fwd.Test."
    time.sleep(2.2)
    r2 = udp(lab.cli, q("host1.fwd.test"))
    assert r2.answer[0][0].address == "192.0.2.7"
    assert 25 <= r2.answer[0].ttl <= 28, r2.answer[0].ttl
    ups = lab.upstream.queries()
    assert [u["name"] for u in ups] == ["host1.fwd.test."]
    assert ups[0]["edns"] == 0  # we ask with EDNS
    # ids and ports vary between upstream queries
    for i in range(6):
        udp(lab.cli, q(f"h{i}.fwd.test"))
    ids = [u["id"] for u in lab.upstream.queries()]
    assert len(set(ids)) == len(ids)


def test_forged_answers_are_ignored(lab):
    lab.start()
    # before the real answer the upstream sends one with another ID, one for another
    # question with the right ID, and a query with the right ID: none of them counts
    r = udp(lab.cli, q("spoof1.fwd.test"))
    assert [rr.address for rr in r.answer[0]] == ["192.0.2.7"]
    r = udp(lab.cli, q("spoof1.fwd.test"))  # and the cache holds the real one
    assert [rr.address for rr in r.answer[0]] == ["192.0.2.7"]


def test_identical_questions_in_flight_share_one_upstream_query(lab):
    lab.start()
    # TTL 0: never cached, so only sharing the query in flight saves upstream queries
    with inside(lab.cli):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    for i in range(8):
        m = q("zero1.fwd.test")
        m.id = 1000 + i
        s.sendto(m.to_wire(), (SRV, 53))
    got = {dns.message.from_wire(s.recv(4096)).id for _ in range(8)}
    s.close()
    assert got == set(range(1000, 1008))
    assert lab.upstream.names().count("zero1.fwd.test.") <= 2  # 8 without sharing
    udp(lab.cli, q("zero1.fwd.test"))  # later: asked again (not cached)
    assert lab.upstream.names().count("zero1.fwd.test.") >= 2


def test_negative_caching(lab):
    lab.start()
    for _ in range(3):
        r = udp(lab.cli, q("nx1.fwd.test"))
        assert r.rcode() == dns.rcode.NXDOMAIN
        assert section_types(r.authority) == ["SOA"] and r.authority[0].ttl <= 30
    nodata = udp(lab.cli, q("host.fwd.test", "MX"))
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    udp(lab.cli, q("host.fwd.test", "MX"))
    assert lab.upstream.names() == ["nx1.fwd.test.", "host.fwd.test."]


def test_tcp_fallback_on_truncation(lab):
    lab.start()
    r = udp(lab.cli, q("big.fwd.test", "TXT", use_edns=0, payload=4096))
    assert r.flags & dns.flags.TC  # larger than our 1232: the client goes to TCP ...
    r = tcp(lab.cli, q("big.fwd.test", "TXT"))
    assert len(r.answer[0]) == 12  # ... and gets it whole
    protos = [(u["name"], u["proto"]) for u in lab.upstream.queries()]
    # the upstream truncated over UDP; netbay asked again over TCP, then served from cache
    assert protos == [("big.fwd.test.", "udp"), ("big.fwd.test.", "tcp")], protos


def test_upstreams_from_resolv_conf(lab, tmp_path):
    rc = tmp_path / "resolv.conf"
    # the server's own address would be a loop: skipped; the upstream after it is used
    rc.write_text(f"# test\nsearch lan\nnameserver {SRV}\nnameserver 127.0.0.1\n"
                  f"nameserver {UP}\noptions edns0\n")
    lab.start(upstream="", dns_extra=f"resolv-conf = {rc}")
    assert udp(lab.cli, q("r.fwd.test")).answer[0][0].address == "192.0.2.7"
    assert lab.upstream.names() == ["r.fwd.test."]
    assert f"skipping nameserver {SRV} (this server)" in lab.nb.log()
    assert f"forwarding to {UP}:53" in lab.nb.log()


def test_dead_upstream_is_skipped_then_retried(lab, tmp_path):
    lab.start(upstream="10.78.0.9, " + UP,
              dns_extra="upstream-timeout = 1s\nupstream-retry = 3s")
    r, took = timed(udp, lab.cli, q("a.fwd.test"), timeout=5)
    assert r.answer[0][0].address == "192.0.2.7" and took >= 0.9
    r, took = timed(udp, lab.cli, q("b.fwd.test"), timeout=5)
    assert r.answer and took < 0.5  # the dead one is skipped
    assert "10.78.0.9:53 did not answer in time" in lab.nb.log()
    # it comes back: after upstream-retry it is asked first again
    lab.up.addr("eth0", "10.78.0.9/24")
    (tmp_path / "second").mkdir()
    second = Upstream(lab.up, tmp_path / "second", addr="10.78.0.9", name="second")
    time.sleep(3.2)
    r = udp(lab.cli, q("c.fwd.test"), timeout=5)
    assert r.answer
    # (the very first query may turn up there too: the kernel held it while resolving ARP)
    assert "c.fwd.test." in second.names()
    assert "c.fwd.test." not in lab.upstream.names()
    assert "answers again" in lab.nb.log()


# ---- access and abuse

def test_client_outside_local_subnets_is_refused(lab):
    lab.start()
    r = udp(lab.out, q("x.fwd.test"), where=OUT_SRV)
    assert r.rcode() == dns.rcode.REFUSED
    r = udp(lab.out, q("kms.lan"), where=OUT_SRV)
    assert r.rcode() == dns.rcode.REFUSED
    assert lab.upstream.queries() == []
    # the same from inside the LAN works
    assert udp(lab.cli, q("kms.lan")).rcode() == dns.rcode.NOERROR


def test_allow_opens_recursion_to_another_network(lab):
    lab.start(dns_extra=f"allow = {OUT}")
    assert udp(lab.out, q("x.fwd.test"), where=OUT_SRV).answer[0][0].address == "192.0.2.7"


def test_any_is_answered_minimally(lab):
    lab.start()
    r = udp(lab.cli, q("kms.lan", "ANY"))
    assert len(r.answer) == 1
    r = udp(lab.cli, q("x.fwd.test", "ANY"))
    assert section_types(r.answer) == ["HINFO"] and r.answer[0][0].cpu == b"RFC8482"
    assert lab.upstream.queries() == []


def test_rate_limit_per_client(lab):
    lab.start(dns_extra="rate-limit = 10\nrate-burst = 10")
    with inside(lab.cli):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    for i in range(60):
        m = q("kms.lan")
        m.id = i
        s.sendto(m.to_wire(), (SRV, 53))
    answers = []
    try:
        while True:
            answers.append(dns.message.from_wire(s.recv(4096)))
    except socket.timeout:
        pass
    s.close()
    full = [a for a in answers if a.answer]
    tc = [a for a in answers if a.flags & dns.flags.TC]
    assert 8 <= len(full) <= 14, len(full)
    assert tc and len(answers) < 60


# ---- TCP

def test_tcp_pipelining_idle_timeout_and_cap(lab):
    lab.start(dns_extra="tcp-idle-timeout = 2s\ntcp-connections = 2")
    with inside(lab.cli):
        c1 = socket.create_connection((SRV, 53), timeout=3)
        c2 = socket.create_connection((SRV, 53), timeout=3)
    wires = []
    for i, name in enumerate(["kms.lan", "x9.fwd.test", "www.lan"]):
        m = q(name)
        m.id = 100 + i
        w = m.to_wire()
        wires.append(struct.pack(">H", len(w)) + w)
    c1.sendall(b"".join(wires))  # three queries in one segment
    ids = set()
    buf = b""
    while len(ids) < 3:
        chunk = c1.recv(65535)
        assert chunk, "closed before all answers"
        buf += chunk
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
            n = struct.unpack(">H", buf[:2])[0]
            ids.add(dns.message.from_wire(buf[2:2 + n]).id)
            buf = buf[2 + n:]
    assert ids == {100, 101, 102}
    # a third connection is over the cap: it takes the place of the oldest idle one (c2,
    # idle since it was opened) and is served
    with inside(lab.cli):
        c3 = socket.create_connection((SRV, 53), timeout=3)
    assert c2.recv(10) == b""
    m = q("kms.lan")
    m.id = 103
    w = m.to_wire()
    c3.sendall(struct.pack(">H", len(w)) + w)
    n = struct.unpack(">H", c3.recv(2))[0]
    assert dns.message.from_wire(c3.recv(n)).id == 103
    # idle connections are closed after tcp-idle-timeout
    t0 = time.monotonic()
    assert c1.recv(10) == b""
    assert c3.recv(10) == b""
    assert time.monotonic() - t0 < 4
    for c in (c1, c2, c3):
        c.close()


def test_reload_applies_new_records(lab):
    nb = lab.start()
    assert udp(lab.cli, q("new.lan")).rcode() == dns.rcode.NXDOMAIN
    nb.write_conf(conf(dns_extra="record = new A 10.77.0.9"))
    nb.signal(1)  # SIGHUP
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="reload")
    assert udp(lab.cli, q("new.lan")).answer[0][0].address == "10.77.0.9"


# ---- names from DHCP

def test_dhcp_client_hostname_resolves_forward_and_reverse_at_once(netns, netbay, tmp_path):
    from lan import Lan, events, if_addrs, lease_of, server_conf, wait_event
    subnet = {"10.77.0.0/24": "range = 10.77.0.100-10.77.0.199\nrouter = 10.77.0.1\n"
                              "dns = 10.77.0.1\ndomain = lan\nlease-time = 10m\n"}
    lan = Lan(netns, netbay, tmp_path, conf=server_conf(
        subnet, extra="[http]\nenable = no\n[dns]\ndomain = lan\nupstream = 10.78.0.1\n"))
    lan.nb.start()
    env, log = lan.hook_env("udhcpc")
    p = lan.cli.popen("udhcpc", "-i", "cli0", "-f", "-t", "10", "-T", "1",
                      "-x", "hostname:Delta", "-s", lan.hook, env=env)
    wait_event(log, "bound")
    ip = next(e.split()[1] for e in events(log) if e.startswith("bound "))
    wait_for(lambda: ip in if_addrs(lan.cli, "cli0"), what="the hook to set the address")
    # asked by the client itself, from its new address, right after the ACK
    r = udp(lan.cli, q("delta.lan"), where="10.77.0.1")
    assert r.flags & dns.flags.AA and r.answer[0][0].address == ip
    assert udp(lan.cli, q("DELTA"), where="10.77.0.1").answer[0][0].address == ip
    rev = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
    r = udp(lan.cli, q(rev, "PTR"), where="10.77.0.1")
    assert r.flags & dns.flags.AA and r.answer[0][0].target.to_text() == "delta.lan."
    out = lan.cli.run("dig", "+short", "@10.77.0.1", "-x", ip).stdout.strip()
    assert out == "delta.lan.", out
    # released: the name is gone at once (asked on the server's loopback: the client has
    # dropped its address)
    mac = lan.cli.run("cat", "/sys/class/net/cli0/address").stdout.strip()
    p.send_signal(12)  # SIGUSR2: release
    wait_for(lambda: lease_of(lan.nb, mac)["state"] == "released", what="lease released")
    r = udp(lan.srv, q("delta.lan"), where="127.0.0.1")
    assert r.rcode() == dns.rcode.NXDOMAIN
