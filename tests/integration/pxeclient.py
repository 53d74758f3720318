#!/usr/bin/python3
"""A scripted network-boot client for tests: what a PXE ROM or iPXE does,
one step at a time, with the identity a test gives it.

Runs inside a client namespace (on an interface with no address): a full
DHCP exchange (DISCOVER/OFFER/REQUEST/ACK) with PXE options (vendor class,
architecture, SMBIOS UUID, iPXE user class), then optionally fetches the
boot file it was given over TFTP (or HTTP for a URL), repeatedly if asked
(to reproduce a boot loop). Prints one JSON object with what happened.

usage: pxeclient.py IFACE MAC [--arch N] [--uuid UUID] [--ipxe] [--http]
                    [--fetch] [--repeat N] [--blksize B] [--timeout S]
                    [--tftp-stop-after BLOCKS]
"""
import argparse
import json
import random
import select
import socket
import struct
import sys
import time
import urllib.request

ETH_P_IP = 0x0800


def dhcp_packet(kind, xid, mac, opts):
    h = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, xid, 0, 0x8000, 0, 0, 0, 0)  # broadcast flag
    h += mac + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63"
    o = bytes([53, 1, kind])
    for code, val in opts:
        o += bytes([code, len(val)]) + val
    return (h + o + b"\xff").ljust(300, b"\0")


def parse_reply(b):
    if len(b) < 240 or b[236:240] != b"\x63\x82\x53\x63":
        return None
    r = {"xid": struct.unpack("!I", b[4:8])[0],
         "yiaddr": socket.inet_ntoa(b[16:20]), "siaddr": socket.inet_ntoa(b[20:24]),
         "file": b[108:236].split(b"\0")[0].decode(errors="replace"), "options": {}}
    i = 240
    while i + 1 < len(b) and b[i] != 255:
        if b[i] == 0:
            i += 1
            continue
        code, n = b[i], b[i + 1]
        r["options"][code] = b[i + 2:i + 2 + n]
        i += 2 + n
    opt = r["options"]
    r["type"] = opt[53][0] if 53 in opt else None
    r["server_id"] = socket.inet_ntoa(opt[54]) if 54 in opt and len(opt[54]) == 4 else None
    if not r["file"] and 67 in opt:
        r["file"] = opt[67].split(b"\0")[0].decode(errors="replace")
    r["vendor_class"] = opt.get(60, b"").decode(errors="replace")
    return r


class Dhcp:
    """UDP on port 68, bound to the interface: the client has no address yet."""

    def __init__(self, iface):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        self.s.bind(("0.0.0.0", 68))

    def exchange(self, pkt, want, xid, timeout):
        deadline = time.monotonic() + timeout
        replies = []
        self.s.sendto(pkt, ("255.255.255.255", 67))
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.s], [], [], max(0, deadline - time.monotonic()))
            if not r:
                break
            b, _ = self.s.recvfrom(2048)
            p = parse_reply(b)
            if p and p["xid"] == xid and p["type"] in want:
                replies.append(p)
                if want == (5, 6):  # an ACK or NAK ends it
                    break
        return replies


def tftp_fetch(server, name, blksize, timeout, stop_after):
    """RRQ with blksize and tsize; returns dict(ok, size, error, blocks)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    rrq = b"\0\1" + name.encode() + b"\0octet\0blksize\0" + str(blksize).encode() + b"\0tsize\x000\0"
    s.sendto(rrq, (server, 69))
    size, want, bs, blocks = 0, 1, 512, 0
    while True:
        try:
            b, peer = s.recvfrom(70000)
        except socket.timeout:
            return {"ok": False, "error": "timeout", "size": size, "blocks": blocks}
        op = struct.unpack("!H", b[:2])[0]
        if op == 5:
            code = struct.unpack("!H", b[2:4])[0]
            msg = b[4:].split(b"\0")[0].decode(errors="replace")
            return {"ok": False, "error": f"{code} {msg}", "size": size, "blocks": blocks}
        if op == 6:  # OACK
            parts = b[2:].split(b"\0")
            o = dict(zip(parts[0::2], parts[1::2]))
            bs = int(o.get(b"blksize", b"512"))
            s.sendto(b"\0\4\0\0", peer)
            continue
        if op == 3:
            blk = struct.unpack("!H", b[2:4])[0]
            if blk == (want & 0xffff):
                size += len(b) - 4
                blocks += 1
                want += 1
                if stop_after and blocks >= stop_after:
                    # vanish mid-transfer (a stalling client): no ACK, no error
                    return {"ok": False, "error": "stopped", "size": size, "blocks": blocks}
            s.sendto(b"\0\4" + b[2:4], peer)
            if len(b) - 4 < bs:
                return {"ok": True, "size": size, "blocks": blocks}


def http_fetch(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            return {"ok": True, "status": r.status, "size": len(body),
                    "body": body.decode(errors="replace")[:2000]}
    except urllib.error.HTTPError as e:
        return {"ok": False, "status": e.code, "error": str(e)}
    except (OSError, ValueError) as e:
        return {"ok": False, "error": str(e)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iface")
    ap.add_argument("mac")
    ap.add_argument("--arch", type=int, default=None)
    ap.add_argument("--uuid", default=None)
    ap.add_argument("--ipxe", action="store_true", help="identify as iPXE (user class)")
    ap.add_argument("--http", action="store_true", help="UEFI HTTP boot (HTTPClient)")
    ap.add_argument("--fetch", action="store_true", help="fetch the boot file")
    ap.add_argument("--repeat", type=int, default=1, help="boot this many times")
    ap.add_argument("--blksize", type=int, default=1468)
    ap.add_argument("--timeout", type=float, default=4)
    ap.add_argument("--tftp-stop-after", type=int, default=0)
    a = ap.parse_args()

    mac = bytes.fromhex(a.mac.replace(":", "").replace("-", ""))
    arch = a.arch if a.arch is not None else 0
    vc = ("HTTPClient" if a.http else "PXEClient") + f":Arch:{arch:05d}:UNDI:003016"
    opts = [(60, vc.encode()), (93, struct.pack("!H", arch)), (94, b"\x01\x03\x10"),
            (55, bytes([1, 3, 6, 43, 60, 66, 67, 97]))]
    if a.uuid:
        opts.append((97, b"\0" + bytes.fromhex(a.uuid.replace("-", ""))))
    if a.ipxe:
        opts.append((77, b"iPXE"))
    d = Dhcp(a.iface)
    runs = []
    for _ in range(a.repeat):
        xid = random.getrandbits(32)
        run = {}
        offers = d.exchange(dhcp_packet(1, xid, mac, opts), (2,), xid, a.timeout)
        run["offers"] = [{k: o[k] for k in ("yiaddr", "siaddr", "file", "server_id", "vendor_class")}
                         for o in offers]
        lease = next((o for o in offers if o["yiaddr"] != "0.0.0.0"), None)
        proxy = next((o for o in offers if o["yiaddr"] == "0.0.0.0"), None)
        if lease:
            req = opts + [(50, socket.inet_aton(lease["yiaddr"])),
                          (54, socket.inet_aton(lease["server_id"]))]
            acks = d.exchange(dhcp_packet(3, xid, mac, req), (5, 6), xid, a.timeout)
            if acks:
                run["ack"] = {k: acks[0][k] for k in ("type", "yiaddr", "siaddr", "file")}
        boot = (run.get("ack") or {}).get("file") or (proxy or {}).get("file")
        siaddr = (run.get("ack") or {}).get("siaddr")
        if siaddr in (None, "0.0.0.0") and proxy:
            siaddr = proxy["siaddr"]
        run["boot_file"] = boot or ""
        if a.fetch and boot and run.get("ack"):
            # the address is needed for the transfer
            import subprocess
            subprocess.run(["ip", "addr", "replace", run["ack"]["yiaddr"] + "/24", "dev", a.iface],
                           check=False)
            if boot.startswith("http://"):
                run["fetch"] = http_fetch(boot, a.timeout)
            else:
                run["fetch"] = tftp_fetch(siaddr, boot, a.blksize, a.timeout, a.tftp_stop_after)
        runs.append(run)
    print(json.dumps({"runs": runs}))


if __name__ == "__main__":
    main()
