"""TFTP under attack, carried out for real in namespaces with plain sockets:
requests from outside the served LAN get no answer at any server address,
a request whose source never answers draws only a few packets, a flood of
transfers with large windows stays within [tftp] memory and the per-client
limit while a legitimate tftp-hpa client still gets its file, and the log
lines the flood triggers are rate-limited.

    out   [eth0 10.70.0.2] ---- [out0 10.70.0.1] srv   (outside: not served)
    cli   [eth0 10.69.0.2-6] -- [eth0 10.69.0.1] srv   (the LAN; the attacker)
    cli2  [eth0 10.69.1.2] ---- [eth1 10.69.1.1] srv   (the LAN; a legitimate client)
"""
import json
import os
import subprocess
import time

import pytest

from conftest import veth, wait_for

SRV, SRV2, SRV_OUT = "10.69.0.1", "10.69.1.1", "10.70.0.1"
CLI, CLI2, OUT = "10.69.0.2", "10.69.1.2", "10.70.0.2"
ALIASES = ["10.69.0.3", "10.69.0.4", "10.69.0.5"]
OFFNET = "10.71.0.5"  # a source on the LAN wire from a network that is not served
MIB = 1 << 20

# The flood: N requests with large blksize/windowsize, one socket (one
# transfer) each, from the given source addresses; each OACK is acknowledged
# once (ACK 0), nothing after. Prints {"oack": n, "busy": n}, then holds the
# transfers until a line on stdin, aborts them all (ERROR) and prints "done".
FLOOD = r"""
import json, resource, select, socket, sys, time
srv, n, blk, win = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
files, srcs = sys.argv[5].split(","), sys.argv[6].split(",")
resource.setrlimit(resource.RLIMIT_NOFILE, (n + 64, n + 64))
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((srcs[i % len(srcs)], 0))
    s.setblocking(False)
    socks.append(s)
byfd = {s.fileno(): s for s in socks}
ep = select.epoll()
for s in socks:
    ep.register(s.fileno(), select.EPOLLIN)
oack = busy = 0
tid = {}
def drain(timeout):
    global oack, busy
    for fd, _ in ep.poll(timeout):
        while True:
            try:
                data, addr = byfd[fd].recvfrom(70000)
            except BlockingIOError:
                break
            if fd in tid or len(data) < 2:
                continue  # the window after the OACK: never acknowledged
            if data[1] == 6:
                oack += 1
                tid[fd] = addr
                byfd[fd].sendto(b"\0\4\0\0", addr)
            elif data[1] == 5:
                busy += b"busy" in data
                tid[fd] = None
def rrq(i):
    socks[i].sendto(b"\0\1" + files[i % len(files)].encode() + b"\0octet\0blksize\0"
                    + blk.encode() + b"\0windowsize\0" + win.encode() + b"\0", (srv, 69))
for i in range(n):
    rrq(i)
    if i % 25 == 24:
        drain(0.005)
# a request lost in a full queue is repeated, as a client would
end = time.monotonic() + 10
while time.monotonic() < end and len(tid) < n:
    drain(0.5)
    for i in range(n):
        if socks[i].fileno() not in tid:
            rrq(i)
print(json.dumps({"oack": oack, "busy": busy}), flush=True)
sys.stdin.readline()
for fd, addr in tid.items():
    if addr:
        byfd[fd].sendto(b"\0\5\0\0bye\0", addr)
print("done", flush=True)
"""

# A probe: sends one datagram to each address given, prints how many
# datagrams came back (from anyone) within the wait, and their sizes.
PROBE = r"""
import json, socket, sys, time
src, wait, payload = sys.argv[1], float(sys.argv[2]), bytes.fromhex(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
for a in sys.argv[4:]:
    s.sendto(payload, (a, 69))
s.settimeout(0.2)
got = []
end = time.monotonic() + wait
while time.monotonic() < end:
    try:
        got.append(len(s.recv(70000)))
    except socket.timeout:
        pass
print(json.dumps(got))
"""

RRQ = b"\0\1f4m\0octet\0"  # 17 bytes, no options: the answer is DATA 1 (516 bytes)


def rss_kb(pid):
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            out[k] = int(v.split()[0])
    return out


@pytest.fixture
def lab(netns, netbay, tmp_path):
    srv, cli, cli2, out = netns("srv"), netns("cli"), netns("cl2"), netns("out")
    veth(srv, "eth0", cli, "eth0")
    veth(srv, "eth1", cli2, "eth0")
    veth(srv, "out0", out, "eth0")
    srv.addr("eth0", SRV + "/24")
    srv.addr("eth1", SRV2 + "/24")
    srv.addr("out0", SRV_OUT + "/24")
    cli.addr("eth0", CLI + "/24")
    for a in ALIASES:
        cli.addr("eth0", a + "/24")
    cli.addr("eth0", OFFNET + "/32")
    srv.run("ip", "route", "add", OFFNET + "/32", "dev", "eth0")
    cli2.addr("eth0", CLI2 + "/24")
    out.addr("eth0", OUT + "/24")
    # the outside host can reach every address of the server
    out.run("ip", "route", "add", "10.69.0.0/16", "via", SRV_OUT)
    root = tmp_path / "root"
    root.mkdir()
    files = {f"f{i}": os.urandom(4 * MIB) for i in range(8)}
    files["f4m"] = files["f0"]
    for name, body in files.items():
        (root / name).write_bytes(body)
    (tmp_path / "cli2").mkdir()

    class Lab:
        pass

    lb = Lab()
    lb.srv, lb.cli, lb.cli2, lb.out, lb.root, lb.files, lb.tmp = (
        srv, cli, cli2, out, root, files, tmp_path)

    def start(extra=""):
        conf = (f"[server]\ndata-dir = @DATA@\ninterfaces = eth0, eth1\n[api]\nsocket = @SOCK@\n"
                f"[dhcp]\nmode = off\n[tftp]\nroot = {root}\n{extra}")
        lb.nb = netbay(srv, conf).start()
        return lb.nb
    lb.start = start

    def probe(ns, src, *addrs, wait=2.0, payload=RRQ):
        r = ns.run("python3", "-c", PROBE, src, str(wait), payload.hex(), *addrs,
                   timeout=wait + 20)
        return json.loads(r.stdout)
    lb.probe = probe

    def hpa_get(name):
        dest = tmp_path / "cli2" / name
        r = cli2.run("tftp", "-m", "binary", SRV2, "-c", "get", name, str(dest),
                     check=False, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        return dest.read_bytes()
    lb.hpa_get = hpa_get
    return lb


def test_outside_gets_no_answer(lab):
    nb = lab.start()
    # the LAN is answered: DATA 1 of f4m
    assert lab.probe(lab.cli, CLI, SRV, wait=0.5)[:1] == [516]
    # from the outside link, at every address of the server: silence, not even an
    # error for a missing file or a bad opcode
    for payload in (RRQ, b"\0\1nosuch\0octet\0", b"\0\11x\0"):
        assert lab.probe(lab.out, OUT, SRV_OUT, SRV, SRV2, payload=payload) == []
    # a sender on the LAN wire whose source is in no served network: silence too
    assert lab.probe(lab.cli, OFFNET, SRV, wait=1.0) == []
    log = nb.log()
    assert f"tftp: {OUT} on out0: ignored, arrived on an interface that is not served" in log
    assert f"tftp: {OFFNET} on eth0: ignored, the source is in no served network" in log
    assert f'tftp: {OUT}' not in log.replace(f"tftp: {OUT} on out0: ignored", "")
    # and the LAN still works for a real client on the other served interface
    assert lab.hpa_get("f1") == lab.files["f1"]


def test_unanswered_request_draws_few_packets(lab):
    nb = lab.start()  # retries = 5, first-retries = 2: defaults
    # a 17-byte request whose source never acknowledges (as a spoofed one):
    # DATA 1 and two repeats (1 s, 2 s later), then the transfer is given up
    got = lab.probe(lab.cli, CLI, SRV, wait=9.0)
    assert got == [516, 516, 516], got
    wait_for(lambda: "client stopped answering after block 0" in nb.log(), timeout=15,
             what="the transfer to be given up")
    # a client that does answer keeps every retry (tftp-hpa's normal fetch)
    assert lab.hpa_get("f2") == lab.files["f2"]


def flood(lab, n, files, srcs, blksize=65464, window=64):
    log = lab.tmp / f"flood{n}.log"
    p = lab.cli.popen("python3", "-c", FLOOD, SRV, str(n), str(blksize), str(window),
                      ",".join(files), ",".join(srcs), log=log, stdin=subprocess.PIPE)
    line = wait_for(lambda: log.read_text().strip().splitlines()[:1], timeout=60,
                    what="the flood to be answered")
    return p, log, json.loads(line[0])


def end_flood(p, log):
    p.stdin.write(b"\n")
    p.stdin.flush()
    wait_for(lambda: "done" in log.read_text(), timeout=10, what="the flood to end")
    p.wait(timeout=10)


def test_flood_from_one_address(lab):
    """1000 requests from one address: 32 transfers (max-transfers-per-client),
    the rest 'server busy'; another client is served at once; memory stays
    small (one 4 MiB file shared) and is given back when the transfers end."""
    nb = lab.start()
    pid = nb.proc.pid
    idle = rss_kb(pid)["VmRSS"]
    p, log, got = flood(lab, 1000, ["f4m"], [CLI])
    assert got == {"oack": 32, "busy": 968}, got
    assert lab.hpa_get("f5") == lab.files["f5"]  # not "server busy"
    t_end = time.monotonic() + 2  # the windows are resent (1 s, 2 s)
    while time.monotonic() < t_end:
        time.sleep(0.1)
    hwm = rss_kb(pid)["VmHWM"]
    end_flood(p, log)
    wait_for(lambda: nb.log().count("the client aborted") >= 1, timeout=5, what="aborts")
    time.sleep(2)  # a second after the last transfer, the heap is trimmed
    after = rss_kb(pid)["VmRSS"]
    print(f"RSS idle {idle} kB, peak {hwm} kB, after {after} kB")
    assert hwm - idle < 24 * 1024, (idle, hwm)
    assert after - idle < 8 * 1024, (idle, after)
    assert "max-transfers-per-client = 32 from this address" in nb.log()


def test_flood_within_memory_budget(lab):
    """128 transfers from four addresses over eight files, each asking for 1 MiB
    windows (128 MiB in flight): what netbay holds stays within memory = 8M
    (plus its idle size and slack), and a legitimate client is served."""
    nb = lab.start("memory = 8M\n")
    pid = nb.proc.pid
    idle = rss_kb(pid)["VmRSS"]
    files = [f"f{i}" for i in range(8)]
    p, log, got = flood(lab, 128, files, [CLI] + ALIASES)
    assert got == {"oack": 128, "busy": 0}, got
    assert lab.hpa_get("f6") == lab.files["f6"]
    t_end = time.monotonic() + 2.5
    while time.monotonic() < t_end:
        time.sleep(0.1)
    hwm = rss_kb(pid)["VmHWM"]
    end_flood(p, log)
    time.sleep(2)
    after = rss_kb(pid)["VmRSS"]
    print(f"RSS idle {idle} kB, peak {hwm} kB, after {after} kB")
    assert hwm - idle < (8 + 12) * 1024, (idle, hwm)
    assert after - idle < 8 * 1024, (idle, after)


def test_flood_log_lines_are_rate_limited(lab):
    nb = lab.start()
    # 3000 requests for a missing file in about a second, each one a log line
    script = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b"\0\1nosuch\0octet\0", (sys.argv[1], 69))
    if i % 100 == 99:
        time.sleep(0.03)
"""
    lab.cli.run("python3", "-c", script, SRV, timeout=30)
    time.sleep(0.5)
    log = nb.log()
    lines = [x for x in log.splitlines() if '"nosuch": no such file' in x]
    assert lines and all(f"tftp: {CLI}: " in x for x in lines)
    assert len(lines) < 400, len(lines)  # burst 100, then 20 a second
    # the next line that passes says how many were dropped
    lab.cli.run("python3", "-c", script.replace("range(3000)", "range(1)"), SRV)
    wait_for(lambda: "similar messages suppressed" in nb.log(), timeout=5,
             what="the suppressed count")
