"""DNS under abuse, with plain sockets in the namespaces of test_dns.py: slow TCP clients
(slowloris) from a refused address, from one LAN address and from many, against a
legitimate `dig +tcp`; the source ports and IDs of forwarded queries; and settings a
SIGHUP must apply (or say it cannot). Every attack is bounded in count and time.
"""
import errno
import select
import socket
import time

import dns.message
import dns.rcode

from conftest import NETBAY, sh, wait_for
from test_dns import CLI, OUT, OUT_SRV, SRV, conf, inside, lab, q, udp  # noqa: F401

SLOW = "tcp-connections = 16\ntcp-connections-per-client = 4\n" \
       "tcp-request-timeout = 2s\ntcp-idle-timeout = 30s"
ATTACKERS = [f"10.77.0.{20 + i}" for i in range(8)]


def slow_open(ns, n, src=None, where=SRV):
    """n connections that each send the first byte of a length prefix, and nothing else."""
    socks = []
    with inside(ns):
        for _ in range(n):
            s = socket.socket()
            if src:
                s.bind((src, 0))
            s.setblocking(False)
            try:
                s.connect((where, 53))
            except BlockingIOError:
                pass
            socks.append(s)
    _, writable, _ = select.select([], socks, [], 3)
    for s in writable:
        try:
            s.send(b"\x00")
        except OSError:
            pass
    return socks


def trickle(socks):
    """One more byte on each connection still open: the length says 64 (0x0040), and the
    64 bytes never all arrive."""
    for s in socks:
        try:
            s.send(b"\x40")
        except OSError:
            pass


def still_open(socks):
    """How many of the connections the server has not closed."""
    n = 0
    for s in socks:
        try:
            data = s.recv(10, socket.MSG_DONTWAIT)
            n += data != b""  # b"": closed by the server
        except (BlockingIOError, TimeoutError):
            n += 1
        except OSError as e:
            if e.errno not in (errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN,
                               errno.ECONNREFUSED):
                raise
    return n


def dig_tcp(lab, src=CLI):
    out = lab.cli.run("dig", "+tcp", "+tries=1", "+time=2", "-b", src, f"@{SRV}", "kms.lan",
                      check=False).stdout
    return "status: NOERROR" in out and "10.77.0.5" in out


def test_slowloris_does_not_lock_out_tcp_clients(lab):
    for a in ATTACKERS:
        lab.cli.addr("eth0", a + "/24")
    nb = lab.start(dns_extra=SLOW)
    all_socks = []
    try:
        # 1. from a refused address: every connection is closed at once, and holds nothing
        refused = slow_open(lab.out, 64, where=OUT_SRV)
        all_socks += refused
        time.sleep(0.5)
        assert still_open(refused) == 0
        assert dig_tcp(lab)
        # 2. 64 from one LAN address: 4 stay (tcp-connections-per-client), the rest go
        one = slow_open(lab.cli, 64, src=ATTACKERS[0])
        all_socks += one
        time.sleep(0.5)
        assert still_open(one) == 4
        assert dig_tcp(lab)
        # ... even from that address itself, at the cost of its own slowest connection
        assert dig_tcp(lab, src=ATTACKERS[0])
        # 3. from 8 addresses at once, 32 trickling connections fill all 16 places: a
        # new client still gets in (the connection waiting longest for its request goes)
        many = [s for a in ATTACKERS[1:] for s in slow_open(lab.cli, 4, src=a)]
        all_socks += many
        time.sleep(0.3)
        trickle(one + many)
        assert still_open(one + many) <= 16
        t0 = time.monotonic()
        assert dig_tcp(lab)
        # 4. a byte a second does not keep a request alive: tcp-request-timeout (2 s)
        # closes them, though tcp-idle-timeout is 30 s
        while time.monotonic() - t0 < 4.5 and still_open(one + many):
            trickle(one + many)
            time.sleep(0.5)
        assert still_open(one + many) == 0
        assert dig_tcp(lab)
        # 5. empty messages (a length of 0) are no requests: closed at once
        empty = slow_open(lab.cli, 4, src=ATTACKERS[0])
        all_socks += empty
        for s in empty:
            s.send(b"\x00\x00\x00")
        time.sleep(0.5)
        assert still_open(empty) == 0
    finally:
        for s in all_socks:
            s.close()
    log = nb.log()
    assert "its request did not arrive in time (tcp-request-timeout)" in log, log
    assert f"dns: connection from {OUT} on out0 refused" in log, log
    # rate-limited: far fewer lines than connections closed
    assert log.count("dns: tcp connection from") + log.count("dns: connection from") < 40, log


def test_forwarded_queries_use_many_ports_and_random_ids(lab):
    lab.start()
    with inside(lab.cli):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    answered = set()
    try:
        for base in range(0, 200, 50):  # in bursts: many in flight at once, too
            for i in range(base, base + 50):
                m = q(f"port{i}.fwd.test")
                m.id = i
                s.sendto(m.to_wire(), (SRV, 53))
            for _ in range(50):
                r = dns.message.from_wire(s.recv(4096))
                assert r.answer[0][0].address == "192.0.2.7"
                answered.add(r.id)
    finally:
        s.close()
    assert answered == set(range(200))
    seen = [x for x in lab.upstream.queries() if x["name"].startswith("port")]
    assert len(seen) == 200
    ports = [x["port"] for x in seen]
    ids = [x["id"] for x in seen]
    assert len(set(ports)) > 150, sorted(ports)
    assert max(ports) - min(ports) > 5000, sorted(ports)
    assert len(set(ids)) >= 195
    assert max(ids) - min(ids) > 40000
    # neither counts up: successive values are not a sequence
    assert sum(1 for a, b in zip(ids, ids[1:]) if 0 < b - a < 8) < 10, ids
    assert sum(1 for a, b in zip(ports, ports[1:]) if 0 < b - a < 8) < 10, ports


def open_idle(lab, n):
    socks = []
    with inside(lab.cli):
        for _ in range(n):
            socks.append(socket.create_connection((SRV, 53), timeout=3))
            socks[-1].setblocking(False)
            time.sleep(0.02)  # in order: the oldest idle one is the first
    time.sleep(0.3)
    return socks


def fast_servfails(lab, n, tag):
    """n distinct forwarded questions at once; how many come back within 0.5 s (the
    upstream is a black hole: only answers over forward-max are that quick)."""
    with inside(lab.cli):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for i in range(n):
            m = q(f"{tag}{i}.fwd.test")
            m.id = i
            s.sendto(m.to_wire(), (SRV, 53))
        got, deadline = 0, time.monotonic() + 0.5
        s.settimeout(0.1)
        while time.monotonic() < deadline:
            try:
                r = dns.message.from_wire(s.recv(4096))
                got += r.rcode() == dns.rcode.SERVFAIL
            except socket.timeout:
                pass
        return got
    finally:
        s.close()


def test_reload_applies_tcp_connections_and_forward_max(lab):
    hole = "upstream = 10.78.0.9\nupstream-timeout = 2s\n"
    text = conf(upstream="", dns_extra=hole + "tcp-connections = 2\nforward-max = 16")
    nb = lab.start(text)
    socks = open_idle(lab, 6)
    assert still_open(socks) == 2  # each new one took the place of the oldest idle one
    assert fast_servfails(lab, 40, "a") == 24  # 16 in flight, 24 over forward-max
    for s in socks:
        s.close()
    nb.write_conf(conf(upstream="", dns_extra=hole + "tcp-connections = 5\nforward-max = 64"))
    nb.signal(1)  # SIGHUP
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="reload")
    socks = open_idle(lab, 6)
    assert still_open(socks) == 5
    assert fast_servfails(lab, 40, "b") == 0  # all 40 in flight now
    for s in socks:
        s.close()


def test_reload_reports_keys_that_need_a_restart(lab, tmp_path):
    nb = lab.start()
    other = tmp_path / "elsewhere"
    other.mkdir()
    text = conf(dns_extra="record = new A 10.77.0.9").replace("@DATA@", str(other))
    nb.write_conf(text)
    nb.signal(1)
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="reload")
    log = nb.log()
    assert "reload: [server] data-dir changed: needs a restart, not applied" in log, log
    assert "reload: configuration applied, except 1 key that needs a restart" in log, log
    # the rest did apply; the database stayed where it was
    assert udp(lab.cli, q("new.lan")).answer[0][0].address == "10.77.0.9"
    assert not list(other.iterdir())
    # [dns] mode = off by SIGHUP: said, not done
    nb.write_conf(text.replace("[dns]", "[dns]\nmode = off"))
    nb.signal(1)
    wait_for(lambda: "[dns] mode changed: needs a restart" in nb.log(), what="reload")
    assert udp(lab.cli, q("new.lan")).answer[0][0].address == "10.77.0.9"
    keys = sh(NETBAY, "check", "--keys").stdout
    assert "[server] data-dir = /var/lib/netbay\n\twhere the lease and device database lives " \
           "(needs a restart)" in keys, keys
    assert "(needs a restart to change to or from off)" in keys.split("[dns] mode =")[1] \
        .split("\n[")[0], keys
