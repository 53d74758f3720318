#!/usr/bin/python3
"""DHCP churn: dhcpload.py's relayed DORA clients, and every second one
releases its address as soon as it is ACKed, the way a client does it
(RFC 2131 4.4.6: unicast from its own address and port 68, with ciaddr
and our server identifier), sent with IP_TRANSPARENT from the leased
address. Bounded in count and time. Writes each ACK as a JSON line
{"mac", "ip", "released"} to OUT.

usage: dhcpchurn.py SERVER GIADDR FIRST_MAC_INDEX COUNT RATE SECONDS OUT
"""
import socket
import struct
import sys

from dhcpload import ip, run

IP_TRANSPARENT = getattr(socket, "IP_TRANSPARENT", 19)


def release(server, xid, mac, addr, sid):
    """A RELEASE from addr:68, as the client itself sends it."""
    h = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, xid, 0, 0, addr, 0, 0, 0)
    h += mac + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63"
    o = bytes([53, 1, 7, 54, 4]) + struct.pack("!I", sid) + b"\xff"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_IP, IP_TRANSPARENT, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip(addr), 68))
        s.sendto((h + o).ljust(300, b"\0"), (server, 67))
        return True
    except OSError as e:
        print(f"release from {ip(addr)}: {e}", file=sys.stderr)
        return False
    finally:
        s.close()


def main():
    server, gi, first, count, rate, secs, out = sys.argv[1:8]
    released = []

    def on_ack(xid, mac, yiaddr, sid):
        rel = xid % 2 == 1 and release(server, xid, mac, yiaddr, sid)
        released.append(rel)
        return {"released": bool(rel)}
    sent, acks = run(server, gi, int(first), int(count), float(rate), float(secs), out, on_ack)
    print(f"sent {sent} discovers, {acks} acks, {sum(released)} releases", file=sys.stderr)


if __name__ == "__main__":
    main()
