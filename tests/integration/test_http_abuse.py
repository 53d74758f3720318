"""HTTP boot and the API over TCP against a hostile LAN (and what lies outside it).

- Templates: a [http], [group] or device (API) ipxe-template that is a symlink
  out of the boot root is refused, at start, on a reload, and when the file
  is swapped while running; the client never gets the outside file.
- Slow clients: a slowloris from 8 addresses (plain sockets) does not stop
  curl fetching a boot file and the API health route (plain, and HTTPS on
  [api] listen); a request trickling a
  byte at a time is closed at its deadline; a full table makes room by
  closing the oldest connection without a complete request.
- One boundary: with [server] interfaces = lan, connections arriving on the
  other link, or from a source outside the served networks, are reset at
  once (counted, logged), on every server address, for boot files and the
  TCP API; the LAN client is served.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import veth, wait_for

HERE = Path(__file__).resolve().parent
SRV, CLI = "10.79.0.1", "10.79.0.2"
ATTACKERS = [f"10.79.0.{i}" for i in range(10, 18)]
TOKEN = "tok-0123456789-abcdef"
MAC = "52:54:00:12:34:56"
GMAC = "52:54:00:00:00:77"
SECRET = "#!ipxe\necho TOP-SECRET-LINE\n"  # a valid template: reading it would serve it


def curl(ns, url, *args, max_time=5):
    """curl in ns: (exit code, HTTP status (0: none), body)."""
    r = subprocess.run(ns.cmd("curl", "-s", "-o", "/dev/stdout", "-w", "\n%{http_code}",
                              "--max-time", str(max_time), *args, url),
                       capture_output=True, text=True, timeout=max_time + 10)
    body, _, code = r.stdout.rpartition("\n")
    return r.returncode, int(code or 0), body


def api_unix(nb, path, method="GET", data=None):
    args = ["curl", "-s", "--max-time", "10", "--unix-socket", str(nb.sock), "-X", method,
            "-w", "\n%{http_code}"]
    if data is not None:
        args += ["--data-binary", json.dumps(data), "-H", "Content-Type: application/json"]
    r = subprocess.run(args + ["http://netbay" + path], capture_output=True, text=True,
                       timeout=15)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), (json.loads(body) if body else None)


def base_conf(root, http="", extra="", server="", api_listen=f"{SRV}:8081"):
    return f"""
[server]
data-dir = @DATA@
{server}
[dhcp]
mode = off
[dns]
mode = off
[tftp]
enable = no
root = {root}
[http]
{http}
[api]
socket = @SOCK@
listen = {api_listen}
token = {TOKEN}
{extra}
"""


@pytest.fixture
def pair(netns, tmp_path):
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "eth0", cli, "eth0")
    srv.addr("eth0", f"{SRV}/24")
    for a in [CLI] + ATTACKERS:
        cli.addr("eth0", f"{a}/24")
    root = tmp_path / "boot"
    root.mkdir()
    (root / "undionly.kpxe").write_bytes(b"pxe" * 100)
    secret = tmp_path / "secret.ipxe"
    secret.write_text(SECRET)
    return srv, cli, root, secret


# ---- templates through the jail

def script(cli, mac=MAC):
    return curl(cli, f"http://{SRV}/boot/{mac}.ipxe", "--interface", CLI)


def test_http_template_symlink_refused_at_start(pair, netbay):
    srv, cli, root, secret = pair
    (root / "evil.ipxe").symlink_to(secret)
    nb = netbay(srv, base_conf(root, "ipxe-template = evil.ipxe")).start(wait=False)
    wait_for(lambda: nb.proc.poll() is not None, timeout=10, what="netbay to refuse")
    assert nb.proc.returncode != 0
    assert "evil.ipxe: refused: it resolves outside the boot root" in nb.log()
    assert "TOP-SECRET" not in nb.log()


def test_http_template_swapped_for_a_symlink(pair, netbay):
    """Swapped while running, then reloaded: the last good script stays."""
    srv, cli, root, secret = pair
    (root / "t.ipxe").write_text("#!ipxe\necho good {{mac}}\n")
    nb = netbay(srv, base_conf(root, f"ipxe-template = {root}/t.ipxe")).start()
    assert script(cli)[1:] == (200, f"#!ipxe\necho good {MAC}\n")
    tmp = root / "t.tmp"
    tmp.symlink_to(secret)
    os.rename(tmp, root / "t.ipxe")
    rc, st, body = script(cli)
    assert st == 200 and "TOP-SECRET" not in body and "echo good" in body
    wait_for(lambda: "t.ipxe: refused: it resolves outside the boot root" in nb.log(),
             what="the refusal in the log")
    nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: http refused the new configuration" in nb.log(),
             what="the reload refused")
    rc, st, body = script(cli)
    assert st == 200 and "TOP-SECRET" not in body and "echo good" in body
    assert nb.proc.poll() is None


def test_group_and_device_templates_symlinked_out(pair, netbay):
    srv, cli, root, secret = pair
    (root / "group.ipxe").symlink_to(secret)
    (root / "dev.ipxe").symlink_to(secret)
    (root / "fine.ipxe").write_text("#!ipxe\necho fine {{mac}}\n")
    nb = netbay(srv, base_conf(root, extra=f"""
[group lab]
ipxe-template = group.ipxe
""")).start()
    # a device in [group lab], added and approved through the API
    code, body = api_unix(nb, "/api/v1/devices", "POST",
                          {"macs": [GMAC], "group": "lab", "state": "approved"})
    assert code in (200, 201), body
    rc, st, body = script(cli, GMAC)
    assert st == 500 and "TOP-SECRET" not in body, body
    assert "group.ipxe: refused: it resolves outside the boot root" in body
    # a device's own template, set through the API
    code, body = api_unix(nb, "/api/v1/devices", "POST",
                          {"macs": [MAC], "state": "approved",
                           "profile": {"ipxe-template": "dev.ipxe"}})
    assert code in (200, 201), body
    rc, st, body = script(cli)
    assert st == 500 and "TOP-SECRET" not in body
    log = nb.log()
    assert f"http: {CLI}:" in log and "dev.ipxe: refused" in log  # names the client
    assert "TOP-SECRET" not in log
    # pointed at a real file in the root, the device boots
    code, body = api_unix(nb, f"/api/v1/devices/{MAC}", "PATCH",
                          {"profile": {"ipxe-template": "fine.ipxe"}})
    assert code == 200, body
    assert script(cli)[1:] == (200, f"#!ipxe\necho fine {MAC}\n")


# ---- slow clients

def established(srv, port, pid=None):
    """Established connections on port; with pid, only those that process
    holds (not those still waiting in the listen queue for accept)."""
    args = ["ss", "-Htn"] + (["-p"] if pid else [])
    out = srv.run(*args, "state", "established", f"( sport = :{port} )").stdout
    return sum(1 for l in out.splitlines() if not pid or f"pid={pid}," in l)


def test_slowloris_does_not_stop_boot_or_api(pair, netbay):
    """512 slow connections from 8 addresses (64 each, a byte every 0.5 s)."""
    srv, cli, root, _ = pair
    nb = netbay(srv, base_conf(root, "request-timeout = 2s")).start()
    p = cli.popen(sys.executable, HERE / "slowhttp.py", "--dst", SRV, "--port", "80",
                  "--src", ",".join(ATTACKERS), "--per-src", "64", "--seconds", "10",
                  "--interval", "0.5", log=nb.dir / "slow.json")
    time.sleep(1.5)
    held = []
    for _ in range(3):
        held.append(established(srv, 80, nb.proc.pid))
        rc, st, body = curl(cli, f"http://{SRV}/undionly.kpxe", "--interface", CLI)
        assert (rc, st) == (0, 200) and body == "pxe" * 100
        for url in [f"http://{SRV}/api/v1/health", f"https://{SRV}:8081/api/v1/health"]:
            rc, st, body = curl(cli, url, "--interface", CLI, "-k")
            assert (rc, st) == (0, 200), (url, rc, st)
            assert json.loads(body)["version"]
        time.sleep(1)
    assert p.poll() is None  # every fetch above ran while the attack went on
    assert p.wait(timeout=30) == 0
    stats = json.loads((nb.dir / "slow.json").read_text().splitlines()[-1])
    # 16 per source (the default) x 8 sources; a few more may be being reset
    assert 0 < min(held) and max(held) <= 8 * 16 + 16, held
    assert stats["closed_by_server"] > 8 * 16
    log = nb.log()
    assert "([http] connections-per-source); refused" in log
    assert "no complete request within 2 s ([http] request-timeout)" in log
    assert any(f"http: {a}:" in log for a in ATTACKERS)  # the client is named
    # rate-limited: far fewer lines than refusals
    assert len(log.splitlines()) < 200, len(log.splitlines())


def test_request_deadline_is_not_reset_by_bytes(pair, netbay):
    srv, cli, root, _ = pair
    netbay(srv, base_conf(root, "request-timeout = 2s")).start()
    p = cli.popen(sys.executable, HERE / "slowhttp.py", "--dst", SRV, "--src", ATTACKERS[0],
                  "--per-src", "1", "--seconds", "8", "--interval", "0.2",
                  "--max-connects", "1", log=pair[2].parent / "one.json")
    assert p.wait(timeout=30) == 0
    stats = json.loads((pair[2].parent / "one.json").read_text().splitlines()[-1])
    # a byte every 0.2 s, never a whole request: closed at the 2 s deadline
    assert stats["closed_by_server"] == 1, stats
    assert 1.5 <= stats["lifetimes"][0] <= 5.0, stats


def test_tls_handshake_has_the_request_deadline(pair, netbay):
    """On the HTTPS port a connection that never finishes its TLS handshake
    (no byte, or half a ClientHello) is closed at the request deadline."""
    srv, cli, root, _ = pair
    nb = netbay(srv, base_conf(root, "request-timeout = 2s")).start()
    r = cli.run(sys.executable, "-c", f"""
import socket, time, json
out = []
for first in [b"", bytes([22, 3, 1, 0, 200, 1, 0])]:  # nothing; a record header and 2 bytes
    s = socket.create_connection(("{SRV}", 8081), source_address=("{ATTACKERS[0]}", 0))
    s.settimeout(10)
    t0 = time.monotonic()
    s.sendall(first)
    try:
        while s.recv(100):
            pass
    except ConnectionResetError:
        pass
    out.append(time.monotonic() - t0)
print(json.dumps(out))
""", timeout=40)
    lives = json.loads(r.stdout)
    assert all(1.5 <= t <= 6.0 for t in lives), lives
    assert "no complete request within 2 s ([http] request-timeout); API connection closed" \
        in nb.log()
    # and the port still serves
    rc, st, _ = curl(cli, f"https://{SRV}:8081/api/v1/health", "--interface", CLI, "-k")
    assert (rc, st) == (0, 200)


def test_full_table_closes_the_oldest_idle(pair, netbay):
    """max-connections = 16, all held idle by one address: a newcomer still gets in."""
    srv, cli, root, _ = pair
    nb = netbay(srv, base_conf(root, "max-connections = 16\nconnections-per-source = 16\n"
                                     "request-timeout = 60s")).start()
    socks = []
    try:
        for _ in range(16):
            s = subprocess.Popen(cli.cmd(sys.executable, "-c", f"""
import socket, time
s = socket.create_connection(("{SRV}", 80), source_address=("{ATTACKERS[0]}", 0))
time.sleep(20)
"""))
            socks.append(s)
        wait_for(lambda: established(srv, 80) >= 16, what="16 idle connections")
        time.sleep(0.3)
        for _ in range(3):
            rc, st, body = curl(cli, f"http://{SRV}/undionly.kpxe", "--interface", CLI)
            assert (rc, st) == (0, 200)
        assert established(srv, 80) <= 16
        assert "16 HTTP connections ([http] max-connections): closed the oldest without a " \
               f"complete request, {ATTACKERS[0]}:" in nb.log()
    finally:
        for s in socks:
            s.kill()
            s.wait(timeout=5)


# ---- one boundary: [server] interfaces and the served networks

@pytest.fixture
def two_links(netns, tmp_path):
    """srv: lan 10.81.0.1/24 -- lanc 10.81.0.2 (and 10.83.0.5, a source in no
    served network); side 10.82.0.1/24 -- out 10.82.0.2. Each client has a
    route to the server's other address."""
    srv, lanc, out = netns("srv"), netns("lan"), netns("out")
    veth(srv, "lan", lanc, "eth0")
    veth(srv, "side", out, "eth0")
    srv.addr("lan", "10.81.0.1/24")
    srv.addr("side", "10.82.0.1/24")
    srv.run("ip", "route", "add", "10.83.0.0/24", "dev", "lan")
    lanc.addr("eth0", "10.81.0.2/24")
    lanc.addr("eth0", "10.83.0.5/24")
    lanc.run("ip", "route", "add", "10.82.0.0/24", "via", "10.81.0.1")
    out.addr("eth0", "10.82.0.2/24")
    out.run("ip", "route", "add", "10.81.0.0/24", "via", "10.82.0.1")
    root = tmp_path / "boot"
    root.mkdir()
    (root / "undionly.kpxe").write_bytes(b"pxe" * 100)
    return srv, lanc, out, root


def test_outside_link_gets_nothing(two_links, netbay):
    srv, lanc, out, root = two_links
    nb = netbay(srv, base_conf(root, server="interfaces = lan", api_listen="0.0.0.0:8081")).start()
    urls = []
    for addr in ["10.81.0.1", "10.82.0.1"]:
        urls += [f"http://{addr}/undionly.kpxe", f"http://{addr}/api/v1/health",
                 f"https://{addr}:8081/api/v1/health"]
    for url in urls:
        rc, st, body = curl(out, url, "-k", max_time=3)
        # reset, no reply (over TLS: before the handshake, 35)
        assert st == 0 and rc in (7, 35, 52, 56) and body == "", (url, rc, st)
        rc, st, body = curl(lanc, url, "--interface", "10.81.0.2", "-k")
        assert (rc, st) == (0, 200), (url, rc, st)
    # the LAN link, but a source in no served network
    rc, st, _ = curl(lanc, "http://10.81.0.1/undionly.kpxe", "--interface", "10.83.0.5",
                     max_time=3)
    assert st == 0 and rc in (7, 52, 56)
    log = nb.log()
    assert "http: 10.82.0.2:" in log and \
        "on side: arrived on an interface that is not served; HTTP connection closed" in log
    assert "API connection closed" in log
    assert "http: 10.83.0.5:" in log and "the source is in no served network" in log
    # the Unix socket is not on any link: unaffected
    assert api_unix(nb, "/api/v1/health")[0] == 200
    # counted: each line carries the listener's running count
    assert "HTTP connection closed (5 so far)" in log
    assert "API connection closed (2 so far)" in log
