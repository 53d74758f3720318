#!/usr/bin/python3
"""A small DHCP load generator acting as a relay (giaddr = our address,
from port 67), as perfdhcp does: many clients, full DISCOVER/OFFER/
REQUEST/ACK exchanges, paced and bounded in count and time. Writes every
ACK it received as JSON lines {"mac": ..., "ip": ...} to OUT.

usage: dhcpload.py SERVER GIADDR FIRST_MAC_INDEX COUNT RATE SECONDS OUT
"""
import json
import select
import socket
import struct
import sys
import time


def mac_of(i):
    return bytes([0x02, 0x4e, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255])


def fmt_mac(b):
    return ":".join(f"{x:02x}" for x in b)


def packet(kind, xid, mac, giaddr, requested=None, server_id=None):
    h = struct.pack("!BBBBIHHIIII", 1, 1, 6, 1, xid, 0, 0, 0, 0, 0, giaddr)
    h += mac + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63"
    o = bytes([53, 1, kind])
    if requested is not None:
        o += bytes([50, 4]) + struct.pack("!I", requested)
    if server_id is not None:
        o += bytes([54, 4]) + struct.pack("!I", server_id)
    return (h + o + b"\xff").ljust(300, b"\0")


def parse(b):
    if len(b) < 240:
        return None
    xid, = struct.unpack("!I", b[4:8])
    yiaddr, = struct.unpack("!I", b[16:20])
    mac = b[28:34]
    i, kind, sid = 240, None, None
    while i + 1 < len(b) and b[i] != 255:
        if b[i] == 0:
            i += 1
            continue
        code, n = b[i], b[i + 1]
        v = b[i + 2:i + 2 + n]
        if code == 53 and n == 1:
            kind = v[0]
        elif code == 54 and n == 4:
            sid, = struct.unpack("!I", v)
        i += 2 + n
    return xid, yiaddr, mac, kind, sid


def ip(n):
    return socket.inet_ntoa(struct.pack("!I", n))


def run(server, gi, first, count, rate, secs, out, on_ack=None):
    """The load; on_ack(xid, mac, yiaddr, sid), when given, is called at each
    client's first ACK and returns more fields for its JSON line."""
    giaddr, = struct.unpack("!I", socket.inet_aton(gi))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((gi, 67))
    s.setblocking(False)
    dst = (server, 67)
    t0 = time.monotonic()
    sent = 0
    acked = {}
    with open(out, "w") as f:
        while time.monotonic() - t0 < secs:
            due = min(count, int((time.monotonic() - t0) * rate) + 1)
            while sent < due:
                i = first + sent
                try:
                    s.sendto(packet(1, i, mac_of(i), giaddr), dst)
                except OSError:
                    pass  # the server may be gone (killed): keep the clock running
                sent += 1
            r, _, _ = select.select([s], [], [], 0.005)
            if not r:
                continue
            while True:
                try:
                    b = s.recv(2048)
                except BlockingIOError:
                    break
                p = parse(b)
                if not p:
                    continue
                xid, yiaddr, mac, kind, sid = p
                if kind == 2:  # OFFER -> REQUEST (SELECTING)
                    try:
                        s.sendto(packet(3, xid, mac, giaddr, yiaddr, sid), dst)
                    except OSError:
                        pass
                elif kind == 5 and mac not in acked:  # ACK
                    acked[mac] = yiaddr
                    line = {"mac": fmt_mac(mac), "ip": ip(yiaddr)}
                    if on_ack:
                        line.update(on_ack(xid, mac, yiaddr, sid))
                    f.write(json.dumps(line) + "\n")
                    f.flush()  # what we saw survives our own kill too
    return sent, len(acked)


def main():
    server, gi, first, count, rate, secs, out = sys.argv[1:8]
    sent, acks = run(server, gi, int(first), int(count), float(rate), float(secs), out)
    print(f"sent {sent} discovers, {acks} acks", file=sys.stderr)


if __name__ == "__main__":
    main()
