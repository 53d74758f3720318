"""DNS protocol compliance as ISC's EDNS compliance tests (genreport / ednscomp, and
RFC 8906 section 8) check it, with dnspython against a running netbay: the local zone
(`lan`, netbay authoritative) and a forwarded zone (`fwd.test`, a small authoritative
test upstream on the WAN side), one case per check and zone, each one assertion that
lists every fault a strict tester would find in the answer.

    cli [10.77.0.2/24] ---- [10.77.0.1/24] srv [10.78.0.2/24] ---- [10.78.0.1/24] up

Addresses are private and exist only inside these namespaces.
"""
import json
import socket
import struct

import dns.edns
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

import conftest
from conftest import Netbay, Netns, veth, wait_for
import test_dns
from test_dns import CLI, SRV, UP, UP_SRV, inside

ZONES = ["lan", "fwd.test"]

# A small authoritative server for fwd.test: SOA and NS at the apex, six DNSKEYs (more
# than 512 bytes with DO), an A record; NODATA for other types, NXDOMAIN elsewhere.
UPSTREAM = r'''
import json, socket, sys
import dns.flags, dns.message, dns.rcode, dns.rdatatype, dns.rrset
addr, log = sys.argv[1], sys.argv[2]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((addr, 53))
out = open(log, "a", buffering=1)
SOA = "ns.fwd.test. hostmaster.fwd.test. 7 3600 600 86400 60"
KEY = "257 3 13 " + "A" * 86 + "=="
print("ready", flush=True)
while True:
    data, peer = u.recvfrom(65535)
    q = dns.message.from_wire(data)
    name, rdtype = q.question[0].name.to_text().lower(), q.question[0].rdtype
    out.write(json.dumps({"name": name, "type": rdtype, "edns": q.edns,
                          "options": [o.otype for o in q.options]}) + "\n")
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    zone = dns.rrset.from_text("fwd.test.", 60, "IN", "SOA", SOA)
    if name == "fwd.test." and rdtype == dns.rdatatype.SOA:
        r.answer.append(zone)
    elif name == "fwd.test." and rdtype == dns.rdatatype.NS:
        r.answer.append(dns.rrset.from_text(name, 60, "IN", "NS", "ns.fwd.test."))
    elif name == "fwd.test." and rdtype == dns.rdatatype.DNSKEY:
        r.answer.append(dns.rrset.from_text(name, 60, "IN", "DNSKEY",
                                            *[KEY.replace("A", "AB"[i % 2], i + 1)
                                              for i in range(6)]))
    elif name == "www.fwd.test." and rdtype == dns.rdatatype.A:
        r.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "192.0.2.7"))
    elif name in ("fwd.test.", "www.fwd.test."):
        r.authority.append(zone)
    else:
        r.set_rcode(dns.rcode.NXDOMAIN)
        r.authority.append(zone)
    u.sendto(r.to_wire(max_size=65535), peer)
'''


def conf(mode="full"):
    return test_dns.conf(dns_extra=f"mode = {mode}\nrate-limit = 0")


class Lab:
    def __init__(self, tmp):
        self.ns = []
        self.srv, self.cli, self.up = self.netns("srv"), self.netns("cli"), self.netns("up")
        veth(self.cli, "eth0", self.srv, "cli0")
        veth(self.up, "eth0", self.srv, "up0")
        self.cli.addr("eth0", CLI + "/24")
        self.srv.addr("cli0", SRV + "/24")
        self.up.addr("eth0", UP + "/24")
        self.srv.addr("up0", UP_SRV + "/24")
        script = tmp / "auth.py"
        script.write_text(UPSTREAM)
        self.up_log, up_out = tmp / "auth.queries", tmp / "auth.out"
        self.up_log.write_text("")
        p = self.up.popen("/usr/bin/python3", script, UP, self.up_log, log=up_out)
        wait_for(lambda: "ready" in up_out.read_text() or p.poll() is not None,
                 timeout=15, what="the test upstream")
        assert p.poll() is None, up_out.read_text()
        self.nb = None
        self.tmp = tmp

    def netns(self, tag):
        n = Netns(tag)
        self.ns.append(n)
        return n

    def start(self, mode="full"):
        if self.nb:
            self.nb.stop()
            conftest._daemons.remove(self.nb)
        self.nb = Netbay(self.srv, self.tmp / f"nb-{mode}", conf(mode))
        conftest._daemons.append(self.nb)
        self.nb.start()

    def close(self):
        if self.nb:
            self.nb.stop()
            conftest._daemons.remove(self.nb)
        for n in reversed(self.ns):
            n.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lb = Lab(tmp_path_factory.mktemp("dnscomp"))
    try:
        lb.start()
        yield lb
    finally:
        lb.close()


# ---- sending and reading

def wire_exchange(ns, wire, tcp=False, timeout=3.0):
    with inside(ns):
        if tcp:
            s = socket.create_connection((SRV, 53), timeout=timeout)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(timeout)
    try:
        if tcp:
            s.sendall(struct.pack(">H", len(wire)) + wire)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                chunk = s.recv(65535)
                assert chunk, "the connection closed before the answer"
                buf += chunk
            return buf[2:]
        s.sendto(wire, (SRV, 53))
        return s.recv(65535)
    finally:
        s.close()


def ask(lab, m, tcp=False, zflag=False, opcode=0):
    """Sends m (Z bit, opcode patched into its header as asked); returns (reply bytes,
    the reply as dnspython reads it with its opcode set back to 0, the reply's opcode)."""
    wire = bytearray(m.to_wire())
    if zflag:
        wire[3] |= 0x40
    wire[2] = (wire[2] & 0x87) | (opcode << 3)
    raw = wire_exchange(lab.cli, bytes(wire), tcp=tcp)
    op = (raw[2] >> 3) & 0xf
    plain = bytearray(raw)
    plain[2] &= 0x87  # dnspython refuses opcodes it does not know
    return raw, dns.message.from_wire(bytes(plain)), op


def query(zone, rdtype="SOA", edns=0, rd=True, **kw):
    m = dns.message.make_query(zone, rdtype, use_edns=edns if edns is False else 0, **kw)
    if edns:  # make_query() writes version 0 whatever it is asked
        m.use_edns(edns, ednsflags=m.ednsflags, payload=m.payload, options=m.options)
    if not rd:
        m.flags &= ~dns.flags.RD
    return m


def faults(raw, r, zone, rcode=dns.rcode.NOERROR, soa=True, opt=True, do=False,
           rd=True, ra=True, aa=None, question=True, max_size=None, tc_ok=False):
    """What a strict tester faults in the answer r (raw: its bytes) to a query for zone.
    soa: True, the answer section holds the SOA; False, it is empty; None, not looked at."""
    out = []
    local = zone == "lan"
    if aa is None:
        aa = local and rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)
    truncated = bool(r.flags & dns.flags.TC)
    if r.rcode() != rcode:
        out.append(f"rcode {dns.rcode.to_text(r.rcode())}, expected {dns.rcode.to_text(rcode)}")
    has_soa = any(rr.rdtype == dns.rdatatype.SOA for rr in r.answer)
    if soa and not has_soa and not (tc_ok and truncated):
        out.append("no SOA in the answer section")
    if soa is False and r.answer:
        out.append(f"answer section not empty: {r.answer}")
    if opt and r.edns < 0:
        out.append("no OPT record")
    if not opt and r.edns >= 0:
        out.append("an OPT record in answer to a query without one")
    if r.edns > 0:
        out.append(f"OPT version {r.edns}, expected 0")
    if r.edns >= 0 and r.options:
        out.append(f"options echoed: {[o.otype for o in r.options]}")
    if r.edns >= 0 and (r.ednsflags & ~dns.flags.DO) & 0xffff:
        out.append(f"unknown EDNS flags set in the answer: {r.ednsflags:#06x}")
    if do and not r.ednsflags & dns.flags.DO:
        out.append("DO not echoed")
    if not do and r.ednsflags & dns.flags.DO:
        out.append("DO set without being asked")
    flags = struct.unpack(">H", raw[2:4])[0]
    for name, bit, want in (("QR", 0x8000, True), ("AA", 0x0400, aa), ("RD", 0x0100, rd),
                            ("RA", 0x0080, ra), ("Z", 0x0040, False), ("AD", 0x0020, False)):
        if bool(flags & bit) != want:
            out.append(f"{name} {'clear' if want else 'set'}")
    if truncated and not tc_ok:
        out.append("TC set")
    qd = struct.unpack(">H", raw[4:6])[0]
    if question and (qd != 1 or r.question[0].name != dns.name.from_text(zone)):
        out.append(f"question not repeated (QDCOUNT {qd})")
    if max_size and len(raw) > max_size:
        out.append(f"{len(raw)} bytes, more than the {max_size} the client takes")
    return out


# ---- the checks (RFC 8906 section 8 names in brackets)

@pytest.mark.parametrize("zone", ZONES)
def test_plain_dns(lab, zone):  # [dns] no EDNS
    raw, r, _ = ask(lab, query(zone, edns=False))
    assert faults(raw, r, zone, opt=False) == []


@pytest.mark.parametrize("zone", ZONES)
def test_norecurse(lab, zone):  # [aa] RD clear: copied clear, RA still announced
    raw, r, _ = ask(lab, query(zone, edns=False, rd=False))
    assert faults(raw, r, zone, opt=False, rd=False) == []


@pytest.mark.parametrize("zone", ZONES)
def test_edns(lab, zone):  # [edns]
    raw, r, _ = ask(lab, query(zone))
    assert faults(raw, r, zone) == []


@pytest.mark.parametrize("zone", ZONES)
def test_edns1_badvers(lab, zone):  # [edns1] version 1: BADVERS with OPT version 0
    raw, r, _ = ask(lab, query(zone, edns=1))
    assert faults(raw, r, zone, rcode=dns.rcode.BADVERS, soa=False) == []


@pytest.mark.parametrize("zone", ZONES)
def test_edns_at_512(lab, zone):  # [edns@512] DO, bufsize 512, DNSKEY: fits or TC
    raw, r, _ = ask(lab, query(zone, "DNSKEY", want_dnssec=True, payload=512))
    # the local zone has no DNSKEY (NODATA); the forwarded one has 600 bytes of them
    want = [] if zone == "lan" or r.flags & dns.flags.TC else [dns.rdatatype.DNSKEY]
    extra = [] if [rr.rdtype for rr in r.answer] == want else [f"answer {r.answer}"]
    assert faults(raw, r, zone, soa=None, do=True, max_size=512, tc_ok=True) + extra == []


@pytest.mark.parametrize("zone", ZONES)
def test_ednsopt_unknown_option_ignored(lab, zone):  # [ednsopt] option 100 not echoed
    raw, r, _ = ask(lab, query(zone, options=[dns.edns.GenericOption(100, b"")]))
    assert faults(raw, r, zone) == []


@pytest.mark.parametrize("zone", ZONES)
def test_edns1opt(lab, zone):  # [edns1opt] version 1 and option 100
    raw, r, _ = ask(lab, query(zone, edns=1, options=[dns.edns.GenericOption(100, b"")]))
    assert faults(raw, r, zone, rcode=dns.rcode.BADVERS, soa=False) == []


@pytest.mark.parametrize("zone", ZONES)
def test_do_echoed(lab, zone):  # [do]
    raw, r, _ = ask(lab, query(zone, want_dnssec=True))
    assert faults(raw, r, zone, do=True) == []


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("flag", [0x0080, 0x4000])
def test_ednsflags_zeroed(lab, zone, flag):  # [ednsflags] unknown EDNS flags: not echoed
    raw, r, _ = ask(lab, query(zone, ednsflags=flag))
    assert faults(raw, r, zone) == []


@pytest.mark.parametrize("zone", ZONES)
def test_edns1_with_unknown_flag(lab, zone):  # [edns1 + ednsflags]
    raw, r, _ = ask(lab, query(zone, edns=1, ednsflags=0x0080))
    assert faults(raw, r, zone, rcode=dns.rcode.BADVERS, soa=False) == []


@pytest.mark.parametrize("zone", ZONES)
def test_optlist(lab, zone):  # [optlist] NSID, ECS, EXPIRE, COOKIE: none implemented, none echoed
    opts = [dns.edns.GenericOption(3, b""), dns.edns.ECSOption("0.0.0.0", 0),
            dns.edns.GenericOption(9, b""), dns.edns.GenericOption(10, bytes(range(8)))]
    raw, r, _ = ask(lab, query(zone, options=opts))
    assert faults(raw, r, zone) == []


@pytest.mark.parametrize("zone", ZONES)
def test_zflag_cleared(lab, zone):  # [zflag] Z set in the query, clear in the answer
    raw, r, _ = ask(lab, query(zone), zflag=True)
    assert faults(raw, r, zone) == []


@pytest.mark.parametrize("zone", ZONES)
def test_cd_copied_ad_cleared(lab, zone):  # [cd] [ad]
    m = query(zone)
    m.flags |= dns.flags.CD | dns.flags.AD
    raw, r, _ = ask(lab, m)
    assert faults(raw, r, zone) + ([] if r.flags & dns.flags.CD else ["CD not copied"]) == []


@pytest.mark.parametrize("zone", ZONES)
def test_unknown_type_is_nodata(lab, zone):  # [type666] NOERROR, no data, SOA in authority
    raw, r, _ = ask(lab, query(zone, 666))
    extra = [] if any(rr.rdtype == dns.rdatatype.SOA for rr in r.authority) else \
        ["no SOA in the authority section"]
    assert faults(raw, r, zone, soa=False) + extra == []


@pytest.mark.parametrize("zone", ZONES)
def test_tcp(lab, zone):  # [ednstcp]
    raw, r, _ = ask(lab, query(zone), tcp=True)
    assert faults(raw, r, zone) == []


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("opcode", [1, 2, 3, 4, 5, 15])
def test_other_opcode_notimp(lab, zone, opcode):  # [opcode] NOTIMP, no RA, opcode repeated
    raw, r, op = ask(lab, query(zone), opcode=opcode)
    extra = [] if op == opcode else [f"opcode {op} in the answer"]
    assert faults(raw, r, zone, rcode=dns.rcode.NOTIMP, soa=False, ra=False) + extra == []


def test_opcode_header_only(lab):  # [opcode] dig +noedns +opcode=15 +header-only
    raw = wire_exchange(lab.cli, struct.pack(">HHHHHH", 0x1234, 15 << 11, 0, 0, 0, 0))
    rid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", raw[:12])
    got = (rid, flags >> 15, (flags >> 11) & 0xf, flags & 0xf, flags & 0x0480, qd, an, ns, ar)
    # id, QR, opcode, NOTIMP, neither AA nor RA, nothing but the header
    assert got == (0x1234, 1, 15, dns.rcode.NOTIMP, 0, 0, 0, 0, 0)


def test_upstream_queries_are_netbays_own(lab):
    """The forwarded zone's questions went upstream as netbay's own queries: EDNS 0 and
    none of the client's options (so nothing the client put in its OPT leaks)."""
    seen = [json.loads(x) for x in lab.up_log.read_text().splitlines()]
    assert seen and {(x["name"], x["edns"], tuple(x["options"])) for x in seen} == \
        {("fwd.test.", 0, ())}


# ---- where recursion is not available: RA clear

@pytest.mark.parametrize("zone", ZONES)
def test_mode_local_never_sets_ra(lab, zone):
    lab.start(mode="local")
    try:
        raw, r, _ = ask(lab, query(zone))
        if zone == "lan":
            problems = faults(raw, r, zone, ra=False)
        else:  # not ours, and no forwarding: REFUSED, without RA
            problems = faults(raw, r, zone, rcode=dns.rcode.REFUSED, soa=False, ra=False)
        assert problems == []
    finally:
        lab.start()
