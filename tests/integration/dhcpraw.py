#!/usr/bin/python3
"""DHCP at the Ethernet level with scapy, inside a test namespace: a sniffer
that records every DHCP reply it sees, and the hostile clients of the abuse
tests (forged MACs and source addresses). Every loop is bounded in count
and time.

usage:
  dhcpraw.py sniff IFACE OUT                 JSON line per reply seen; "ready" line first
  dhcpraw.py decline-pairs IFACE N OUT       N DISCOVER/DECLINE pairs, new MAC each
  dhcpraw.py dora-decline IFACE N OUT        N DORAs, each followed by a DECLINE
  dhcpraw.py release IFACE MAC CIADDR SRC SERVER_ID DST   one forged RELEASE
  dhcpraw.py nak-flood IFACE N ADDR OUT      N INIT-REBOOT REQUESTs for ADDR
"""
import json
import os
import random
import select
import socket
import sys
import time

from scapy.all import BOOTP, DHCP, IP, UDP, Ether, raw
from scapy.layers.dhcp import DHCPRevOptions

ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003  # outgoing frames too
TYPES = {1: "DISCOVER", 2: "OFFER", 3: "REQUEST", 4: "DECLINE", 5: "ACK", 6: "NAK",
         7: "RELEASE", 8: "INFORM"}


def open_sock(iface, proto=ETH_P_IP):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.bind((iface, proto))
    return s


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def rand_mac():
    return "02:" + ":".join(f"{random.randrange(256):02x}" for _ in range(5))


def options(pkt):
    """DHCP options of a scapy packet as {name: value}."""
    out = {}
    for o in pkt[DHCP].options:
        if isinstance(o, tuple):
            v = [x.decode("latin-1") if isinstance(x, bytes) else x for x in o[1:]]
            out[o[0]] = v[0] if len(v) == 1 else v
    return out


def reply_of(frame, requests=False):
    """A DHCP reply (UDP 67 -> 68, BOOTREPLY) as a dict, else None; with
    requests, a request (68 -> 67) too."""
    try:
        p = Ether(frame)
    except Exception:
        return None
    if not (p.haslayer(UDP) and p.haslayer(BOOTP) and p.haslayer(DHCP)):
        return None
    b = p[BOOTP]
    ports = (p[UDP].sport, p[UDP].dport)
    if not (ports == (67, 68) and b.op == 2 or requests and ports == (68, 67) and b.op == 1):
        return None
    opts = options(p)
    return {"type": TYPES.get(opts.get("message-type"), "?"), "xid": b.xid, "op": b.op,
            "src": p[IP].src, "dst": p[IP].dst,
            "ciaddr": b.ciaddr, "yiaddr": b.yiaddr, "siaddr": b.siaddr, "giaddr": b.giaddr,
            "hops": b.hops, "secs": b.secs, "flags": int(b.flags),
            "chaddr": ":".join(f"{x:02x}" for x in bytes(b.chaddr)[:6]),
            "server_id": opts.get("server_id"), "lease_time": opts.get("lease_time"),
            "dns": opts.get("name_server"), "domain": opts.get("domain"),
            "codes": sorted(code_of(o[0]) for o in p[DHCP].options if isinstance(o, tuple)),
            "len": len(p[UDP].payload)}


def code_of(name):
    """scapy names the options it knows; their numbers."""
    return name if isinstance(name, int) else DHCPRevOptions[name][0]


def request(mac, xid, mtype, opts=(), ciaddr="0.0.0.0", src="0.0.0.0",
            dst="255.255.255.255", flags=0x8000):
    o = [("message-type", mtype)] + list(opts) + ["end"]
    # a broadcast frame reaches the server whatever the IP destination
    return raw(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src=src, dst=dst) / UDP(sport=68, dport=67) /
               BOOTP(op=1, chaddr=mac_bytes(mac) + bytes(10), xid=xid, flags=flags,
                     ciaddr=ciaddr) / DHCP(options=o))


def wait_reply(s, xid, timeout=2.0):
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([s], [], [], left)[0]:
            break
        r = reply_of(s.recv(2048))
        if r and r["xid"] == xid:
            return r
    return None


def dora(s, mac):
    """DISCOVER, OFFER, REQUEST, ACK; returns (ack, offer) or (None, offer)."""
    xid = random.getrandbits(32)
    s.send(request(mac, xid, "discover"))
    offer = wait_reply(s, xid)
    if not offer or offer["type"] != "OFFER":
        return None, offer
    s.send(request(mac, xid, "request", [("requested_addr", offer["yiaddr"]),
                                          ("server_id", offer["server_id"])]))
    ack = wait_reply(s, xid)
    return (ack if ack and ack["type"] == "ACK" else None), offer


def decline(s, mac, addr, server_id):
    s.send(request(mac, random.getrandbits(32), "decline",
                   [("requested_addr", addr), ("server_id", server_id)]))


def main():
    cmd, iface = sys.argv[1], sys.argv[2]
    random.seed(os.getpid() ^ int(time.time()))
    s = open_sock(iface, ETH_P_ALL if cmd == "sniff" else ETH_P_IP)
    deadline = time.monotonic() + 60  # no run outlives a minute
    if cmd == "sniff":
        with open(sys.argv[3], "a", buffering=1) as out:
            out.write("ready\n")
            while time.monotonic() < deadline + 60:
                if select.select([s], [], [], 1.0)[0]:
                    r = reply_of(s.recv(2048), requests=True)
                    if r:
                        out.write(json.dumps(r) + "\n")
    elif cmd in ("decline-pairs", "dora-decline"):
        done = []
        for _ in range(int(sys.argv[3])):
            if time.monotonic() > deadline:
                break
            mac = rand_mac()
            if cmd == "decline-pairs":
                xid = random.getrandbits(32)
                s.send(request(mac, xid, "discover"))
                offer = wait_reply(s, xid)
                if offer and offer["type"] == "OFFER":
                    decline(s, mac, offer["yiaddr"], offer["server_id"])
                    done.append({"mac": mac, "ip": offer["yiaddr"]})
            else:
                ack, _ = dora(s, mac)
                if ack:
                    decline(s, mac, ack["yiaddr"], ack["server_id"])
                    done.append({"mac": mac, "ip": ack["yiaddr"]})
        with open(sys.argv[4], "w") as out:
            json.dump(done, out)
    elif cmd == "release":
        mac, ciaddr, src, sid, dst = sys.argv[3:8]
        s.send(request(mac, random.getrandbits(32), "release",
                       [("server_id", sid)] if sid != "-" else [], ciaddr=ciaddr, src=src,
                       dst=dst, flags=0))
    elif cmd == "nak-flood":
        n, addr = int(sys.argv[3]), sys.argv[4]
        mac, naks = rand_mac(), 0
        xids = set()
        for i in range(n):
            if time.monotonic() > deadline:
                break
            xid = random.getrandbits(32)
            xids.add(xid)
            s.send(request(mac, xid, "request", [("requested_addr", addr)]))
            while select.select([s], [], [], 0)[0]:
                r = reply_of(s.recv(2048))
                naks += bool(r and r["type"] == "NAK" and r["xid"] in xids)
        end = time.monotonic() + 1.0
        while (left := end - time.monotonic()) > 0 and select.select([s], [], [], left)[0]:
            r = reply_of(s.recv(2048))
            naks += bool(r and r["type"] == "NAK" and r["xid"] in xids)
        with open(sys.argv[5], "w") as out:
            json.dump({"naks": naks}, out)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
