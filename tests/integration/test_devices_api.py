"""The device routes of the REST API over real sockets: token refusal on
TCP, bad JSON, unknown devices, and concurrent compare-and-set updates."""
import http.client
import json
import socket
import threading

import pytest

from conftest import NETBAY, veth
from test_api import req

SRV, CLI = "10.78.0.1", "10.78.0.2"
TOKEN = "tok-devices-0123456789"
MAC = "52:54:00:e0:00:01"
CONF = f"""
[server]
data-dir = @DATA@
[dhcp]
mode = off
[tftp]
root = @DATA@
[http]
port = 8080
[api]
socket = @SOCK@
token = {TOKEN}
listen = {SRV}:8443
[group lab]
bios = lab.kpxe
[group kiosk]
bios = kiosk.kpxe
"""


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("netbay", timeout=timeout)
        self.unix_path = str(path)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def api(nb, method, path, body=None, raw=None, headers=None):
    """One request over the API socket: (status, headers, JSON or None)."""
    c = UnixHTTP(nb.sock)
    try:
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        h = dict(headers or {})
        if data is not None:
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        return r.status, dict(r.getheaders()), (json.loads(text) if text.strip() else None)
    finally:
        c.close()


@pytest.fixture
def pair(netns):
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "eth0", cli, "eth0")
    srv.addr("eth0", f"{SRV}/24")
    cli.addr("eth0", f"{CLI}/24")
    return srv, cli


def test_tcp_needs_the_token(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, CONF).start()
    st, _, d = api(nb, "POST", "/api/v1/devices", {"macs": [MAC], "name": "pc1"})
    assert st == 201
    base = f"https://{SRV}:8443/api/v1"
    cert = nb.data / "tls" / "cert.pem"
    for method, path in [("GET", "/devices"), ("GET", "/devices/pc1"), ("GET", "/groups"),
                         ("DELETE", "/devices/pc1"), ("POST", "/devices/pc1/approve"),
                         ("PATCH", "/devices/pc1"), ("POST", "/devices/import")]:
        st, head, body = req(cli, base + path, method=method, cacert=cert)
        assert st == 401 and "Bearer" in body["error"], (method, path)
        assert 'WWW-Authenticate: Bearer realm="netbay"' in head
        st, _, body = req(cli, base + path, method=method, token=TOKEN + "x", cacert=cert)
        assert (st, body) == (401, {"error": "wrong token"}), (method, path)
    # none of that changed anything
    st, _, now = api(nb, "GET", "/api/v1/devices/pc1")
    assert st == 200 and now == d
    # with the token
    st, head, body = req(cli, base + "/devices/pc1", token=TOKEN, cacert=cert)
    assert st == 200 and body["macs"] == [MAC] and 'ETag: "1"' in head
    st, _, body = req(cli, base + "/devices/pc1/approve", method="POST", token=TOKEN,
                      cacert=cert)
    assert st == 200 and body["state"] == "approved"
    # the CLI over TCP with a token file
    tok = nb.dir / "token"
    tok.write_text(TOKEN + "\n")
    r = cli.run(NETBAY, "device", "list", "--json", "--server", f"{SRV}:8443",
                "--token-file", tok, "--cacert", cert)
    assert [d["name"] for d in json.loads(r.stdout)] == ["pc1"]
    r = cli.run(NETBAY, "device", "list", "--server", f"{SRV}:8443", "--cacert", cert,
                check=False, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 1 and "needs Authorization: Bearer" in r.stderr


def test_bad_json_and_unknown_devices(pair, netbay):
    srv, _ = pair
    nb = netbay(srv, CONF).start()
    assert api(nb, "POST", "/api/v1/devices", {"macs": [MAC], "name": "pc1"})[0] == 201
    for raw in ["{bad", '{"name": "a", "name": "b"}', '{"name": "x"', "\xff"]:
        st, _, body = api(nb, "PATCH", "/api/v1/devices/pc1", raw=raw.encode("latin-1"))
        assert st == 400 and body["error"].startswith("bad JSON"), raw
    st, _, body = api(nb, "PATCH", "/api/v1/devices/pc1", {"name": "pc2", "colour": "red"})
    assert st == 400 and "unknown or read-only field 'colour'" in body["error"]
    st, _, body = api(nb, "POST", "/api/v1/devices", {"macs": ["52:54:00:zz:00:01"]})
    assert st == 400 and "macs[0]" in body["error"]
    # a reserved name ([dns] reserved-names) is no device's, by POST or PATCH
    st, _, body = api(nb, "POST", "/api/v1/devices", {"macs": ["52:54:00:e0:00:42"], "name": "wpad"})
    assert st == 400 and "name 'wpad' is reserved" in body["error"], body
    st, _, body = api(nb, "PATCH", "/api/v1/devices/pc1", {"name": "ISATAP"})
    assert st == 400 and "is reserved" in body["error"], body
    assert api(nb, "GET", "/api/v1/devices/pc1")[2]["name"] == "pc1"  # unchanged

    for method, path in [("GET", "/api/v1/devices/nosuch"),
                         ("GET", "/api/v1/devices/52:54:00:e0:00:99"),
                         ("GET", "/api/v1/devices/%23999"),
                         ("PATCH", "/api/v1/devices/nosuch"),
                         ("DELETE", "/api/v1/devices/nosuch"),
                         ("POST", "/api/v1/devices/nosuch/approve"),
                         ("GET", "/api/v1/devices/nosuch/journal"),
                         ("GET", "/api/v1/groups/nosuch")]:
        st, _, body = api(nb, method, path, {} if method == "PATCH" else None)
        assert st == 404 and "no " in body["error"], (method, path, body)
    r = nb.cli("device", "show", "nosuch", check=False)
    assert r.returncode == 1 and "no device 'nosuch'" in r.stderr
    r = nb.cli("device", "approve", "#999", check=False)
    assert r.returncode == 1 and "no device '#999'" in r.stderr
    # a body over 64 KiB is refused before it is read; an import may be larger
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(nb.sock))
        s.sendall(b"POST /api/v1/devices HTTP/1.1\r\nHost: netbay\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 65537\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 413 ")
    rows = [{"macs": [f"52:54:00:f{i >> 16:x}:{(i >> 8) & 255:02x}:{i & 255:02x}"]}
            for i in range(3000)]
    st, _, body = api(nb, "POST", "/api/v1/devices/import", {"devices": rows, "dry_run": True})
    assert st == 200 and body["added"] == 3000 and body["dry_run"] is True
    assert len(api(nb, "GET", "/api/v1/devices")[2]["devices"]) == 1


def patch_all(nb, bodies, headers=None):
    """Sends the PATCHes at once (one thread each, started together)."""
    results = [None] * len(bodies)
    go = threading.Barrier(len(bodies))

    def one(i):
        go.wait(timeout=10)
        results[i] = api(nb, "PATCH", "/api/v1/devices/pc1", bodies[i], headers=headers)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert all(r is not None for r in results)
    return results


def state_of(d):
    return (d["name"], d["notes"], d["group"], d["state"])


def test_concurrent_updates_apply_whole_or_not_at_all(pair, netbay):
    srv, _ = pair
    nb = netbay(srv, CONF).start()
    st, _, d = api(nb, "POST", "/api/v1/devices", {"macs": [MAC], "name": "pc1"})
    st, _, d = api(nb, "PATCH", "/api/v1/devices/pc1", {"notes": "v2"})
    assert d["version"] == 2

    # 20 at once: half with the current version, half with a stale one
    bodies = [{"name": "pc1", "notes": f"writer {i}", "group": ["lab", "kiosk"][i % 2],
               "state": ["pending", "approved", "rejected"][i % 3],
               "version": 2 if i % 2 == 0 else 1} for i in range(20)]
    res = patch_all(nb, bodies)
    won = [i for i, r in enumerate(res) if r[0] == 200]
    assert len(won) == 1 and won[0] % 2 == 0, [r[0] for r in res]
    assert all(r[0] == 409 and "changed meanwhile" in r[2]["error"]
               for i, r in enumerate(res) if i not in won)
    w = bodies[won[0]]
    want = (w["name"], w["notes"], w["group"], w["state"])
    final = api(nb, "GET", "/api/v1/devices/pc1")[2]
    assert state_of(res[won[0]][2]) == want and state_of(final) == want
    assert final["version"] == 3

    # 20 writers that retry: each reads, then writes its whole state with
    # If-Match; every write lands exactly once, none mixed with another
    successes, errors, lock = [], [], threading.Lock()
    go = threading.Barrier(20)

    def writer(i):
        try:
            write(i)
        except Exception as e:  # reported by the test, not lost in the thread
            errors.append(repr(e))

    def write(i):
        go.wait(timeout=10)
        for _ in range(60):  # bounded
            _, h, cur = api(nb, "GET", f"/api/v1/devices/{MAC}")
            body = {"name": f"w{i}", "notes": f"writer {i}", "group": ["lab", "kiosk"][i % 2]}
            st, _, got = api(nb, "PATCH", f"/api/v1/devices/{MAC}", body,
                             headers={"If-Match": h["ETag"]})
            if st == 200:
                assert (got["name"], got["notes"], got["group"]) == \
                    (body["name"], body["notes"], body["group"])
                with lock:
                    successes.append((got["version"], i))
                return
            assert st == 409, (st, got)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(i for _, i in successes) == list(range(20))
    versions = sorted(v for v, _ in successes)
    assert versions == list(range(4, 24))  # each write its own version, none lost
    final = api(nb, "GET", f"/api/v1/devices/{MAC}")[2]
    last = max(successes)[1]
    assert (final["name"], final["notes"], final["group"]) == \
        (f"w{last}", f"writer {last}", ["lab", "kiosk"][last % 2])
    assert final["version"] == 23
