"""HTTP boot: curl in one namespace fetches from netbay in another.

Boot files whole and by range, paths that try to leave the boot root,
missing files, per-device iPXE scripts, and the journal events each leaves.
"""
import hashlib
import json
import os
import signal
import subprocess

import pytest

from conftest import veth, wait_for

SRV, CLI = "10.77.0.1", "10.77.0.2"
MAC = "52:54:00:12:34:56"


@pytest.fixture
def site(netns, netbay, tmp_path):
    """netbay (HTTP on its default port 80) and a client namespace with curl;
    the client's address is reserved for pc1 so the journal knows who it is."""
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "eth0", cli, "eth0")
    srv.addr("eth0", f"{SRV}/24")
    cli.addr("eth0", f"{CLI}/24")
    root = tmp_path / "boot"
    (root / "efi").mkdir(parents=True)
    big = os.urandom(3 * 1024 * 1024 + 17)
    (root / "efi" / "ipxe.efi").write_bytes(big)
    (root / "undionly.kpxe").write_bytes(b"pxe" * 100)
    (tmp_path / "secret").write_text("secret")
    (root / "escape").symlink_to(tmp_path / "secret")
    nb = netbay(srv, f"""
[server]
data-dir = @DATA@
[dhcp]
mode = off
[tftp]
root = {root}
[api]
socket = @SOCK@
[host pc1]
mac = {MAC}
address = {CLI}
""").start()

    class Site:
        pass
    s = Site()
    s.srv, s.cli, s.nb, s.root, s.big = srv, cli, nb, root, big
    return s


def curl(site, *args, check=True):
    """curl in the client namespace; returns (status, headers, body bytes)."""
    r = subprocess.run(site.cli.cmd("curl", "-s", "-S", "-D", "/dev/stderr", "-o", "/dev/stdout",
                                    "--max-time", "20", *args), capture_output=True, timeout=30)
    head = r.stderr.decode(errors="replace")
    lines = [ln for ln in head.split("\r\n") if ln]
    assert lines and lines[0].startswith("HTTP/1.1 "), head
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, r.stdout


def api_unix(nb, path, method="GET", data=None):
    """The API over the daemon's Unix socket, from the host: (status, JSON or None)."""
    args = ["curl", "-s", "--max-time", "10", "--unix-socket", str(nb.sock),
            "-X", method, "-w", "\n%{http_code}"]
    if data is not None:
        args += ["--data-binary", data, "-H", "Content-Type: application/json"]
    r = subprocess.run(args + ["http://netbay" + path], capture_output=True, text=True,
                       timeout=15)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), (json.loads(body) if body else None)


def journal(site, mac=MAC):
    """pc1's journal as "name detail" lines."""
    code, body = api_unix(site.nb, f"/api/v1/devices/{mac}/journal")
    assert code == 200, (code, body)
    return [e["name"] + " " + e["detail"] for e in body["events"]]


def test_file_whole_and_by_range(site):
    url = f"http://{SRV}/efi/ipxe.efi"
    st, h, body = curl(site, url)
    assert st == 200
    assert hashlib.sha256(body).digest() == hashlib.sha256(site.big).digest()
    assert h["accept-ranges"] == "bytes"
    assert h["content-length"] == str(len(site.big))
    assert "last-modified" in h

    st, h, body = curl(site, "-r", "1000-1999", url)
    assert st == 206
    assert body == site.big[1000:2000]
    assert h["content-range"] == f"bytes 1000-1999/{len(site.big)}"

    st, h, body = curl(site, "-H", "Range: bytes=-10", url)
    assert st == 206 and body == site.big[-10:]

    st, h, body = curl(site, "-r", f"{len(site.big)}-", url)
    assert st == 416
    assert h["content-range"] == f"bytes */{len(site.big)}"

    st, h, body = curl(site, "-I", url)  # curl -I writes the headers as its output
    assert st == 200 and h["content-length"] == str(len(site.big))
    assert body.startswith(b"HTTP/1.1 200") and body.endswith(b"\r\n\r\n") and len(body) < 500

    # resuming a download (curl -C -) gives back the same file
    part = site.big[:12345]
    out = site.nb.dir / "partial.efi"
    out.write_bytes(part)
    site.cli.run("curl", "-s", "-S", "--max-time", "20", "-C", "-", "-o", out, url)
    assert out.read_bytes() == site.big

    events = journal(site)
    assert f"http.fetch GET efi/ipxe.efi: 200, bytes 0-{len(site.big) - 1} of {len(site.big)}" \
        in events
    assert f"http.fetch GET efi/ipxe.efi: 206, bytes 1000-1999 of {len(site.big)}" in events


def test_parallel_downloads(site):
    """Several large sends at once share the one loop; each arrives whole."""
    procs = [site.cli.popen("curl", "-s", "--max-time", "30", "-o",
                            site.nb.dir / f"dl{i}", f"http://{SRV}/efi/ipxe.efi")
             for i in range(4)]
    for p in procs:
        assert p.wait(timeout=40) == 0
    for i in range(4):
        assert (site.nb.dir / f"dl{i}").read_bytes() == site.big


def test_escapes_refused(site):
    for path in ["/../../../../etc/passwd", "/efi/../../secret", "/%2e%2e/%2e%2e/etc/passwd",
                 "/escape", "/efi/..%5c..%5csecret"]:
        st, h, body = curl(site, "--path-as-is", f"http://{SRV}{path}")
        assert st == 403, path
        assert body == b"the path leaves the boot root: refused\n"
    log = site.nb.log()
    assert f"http: {CLI}:" in log
    assert "GET /../../../../etc/passwd: 403 the path leaves the boot root" in log
    assert any(e.startswith("http.refused GET /efi/../../secret") for e in journal(site))


def test_missing_file(site):
    st, h, body = curl(site, f"http://{SRV}/nothere.efi")
    assert st == 404
    assert b"no such file" in body
    assert f"{CLI}:" in site.nb.log() and "GET /nothere.efi: 404" in site.nb.log()
    assert "http.file_missing GET /nothere.efi: no such file" in journal(site)
    st, _, _ = curl(site, "-X", "DELETE", f"http://{SRV}/undionly.kpxe")
    assert st == 405


def test_ipxe_script(site):
    for spelling in ["52-54-00-12-34-56", "525400123456", "52:54:00:12:34:56"]:
        st, h, body = curl(site, f"http://{SRV}/boot/{spelling}.ipxe")
        assert st == 200
        text = body.decode()
        assert text.startswith("#!ipxe\n")
        assert f"echo netbay: {MAC} pc1 {CLI}\n" in text
        assert f"chain --autofree http://{SRV}:80/default.ipxe" in text
        assert h["cache-control"] == "no-store"
    assert any(e.startswith("http.ipxe_script GET for pc1") for e in journal(site))


def test_ipxe_template_file(site):
    (site.root / "t.ipxe").write_text("#!ipxe\nset n {{name}}\necho ${n} {{mac}} {{ip}}\n")
    text = site.nb.conf_path.read_text().replace("[api]", "[http]\nipxe-template = t.ipxe\n[api]")
    site.nb.conf_path.write_text(text)
    site.nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in site.nb.log(), what="reload")
    st, _, body = curl(site, f"http://{SRV}/boot/52:54:00:12:34:56.ipxe")
    assert st == 200
    assert body.decode() == f"#!ipxe\nset n pc1\necho ${{n}} {MAC} {CLI}\n"


def test_health_on_unix_socket(site):
    r = subprocess.run(["curl", "-s", "-i", "--unix-socket", str(site.nb.sock),
                        "http://netbay/api/v1/health"], capture_output=True, timeout=10)
    head, _, body = r.stdout.decode().partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 200")
    assert "\r\nDate: " in head
    h = json.loads(body)
    assert h["name"] == "netbay" and h["version"] and h["uptime"] >= 0 and h["time"] > 1.6e9
    mode = os.stat(site.nb.sock).st_mode & 0o777
    assert mode == 0o660


def test_api_on_unix_socket_errors(site):
    nb = site.nb
    assert api_unix(nb, "/api/v1/nope") == (404, {"error": "no such route"})
    code, body = api_unix(nb, "/api/v1/leases/10.77.0.9/release", "POST", "{broken")
    assert code == 400 and body["error"].startswith("bad JSON")
    code, body = api_unix(nb, "/api/v1/leases/not-an-ip/release", "POST")
    assert code == 400
    code, body = api_unix(nb, "/api/v1/health", "DELETE")
    assert code == 405
    code, body = api_unix(nb, "/api/v1/leases")
    assert code == 503  # no DHCP module registered lease.list in this config
    # boot files are not served on the API socket
    code, body = api_unix(nb, "/undionly.kpxe")
    assert code == 404
