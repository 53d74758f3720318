"""The REST API's listeners and their authentication: the Unix socket (no
token), the [http] port and an [api] listen port (bearer token), and what
the daemon does with its socket file across restarts."""
import json
import os
import signal
import subprocess

import pytest

from conftest import veth, wait_for

SRV, CLI = "10.78.0.1", "10.78.0.2"
TOKEN = "tok-0123456789-abcdef"
MAC = "52:54:00:00:00:42"


def conf(extra_api="", token=TOKEN):
    tok = f"token = {token}\n" if token else ""
    return f"""
[server]
data-dir = @DATA@
name = bay
[dhcp]
mode = off
[tftp]
root = @DATA@
[http]
port = 8080
[api]
socket = @SOCK@
{tok}{extra_api}
[host pc42]
mac = {MAC}
address = {CLI}
"""


@pytest.fixture
def pair(netns):
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "eth0", cli, "eth0")
    srv.addr("eth0", f"{SRV}/24")
    cli.addr("eth0", f"{CLI}/24")
    return srv, cli


def req(ns, url, token=None, method="GET", raw_auth=None):
    """curl from namespace ns: (status, headers text, JSON body or None)."""
    args = ["curl", "-s", "-S", "--max-time", "10", "-X", method, "-D", "/dev/stderr", url]
    if token is not None:
        args += ["-H", f"Authorization: Bearer {token}"]
    if raw_auth is not None:
        args += ["-H", f"Authorization: {raw_auth}"]
    r = subprocess.run(ns.cmd(*args), capture_output=True, text=True, timeout=15)
    status = int(r.stderr.split()[1])
    return status, r.stderr, (json.loads(r.stdout) if r.stdout.strip() else None)


def unix(nb, path):
    r = subprocess.run(["curl", "-s", "--max-time", "10", "--unix-socket", str(nb.sock),
                        "-w", "\n%{http_code}", "http://netbay" + path],
                       capture_output=True, text=True, timeout=15)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), (json.loads(body) if body else None)


def test_token_on_http_port(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, conf()).start()
    url = f"http://{SRV}:8080/api/v1/devices/{MAC}/journal"

    st, head, body = req(cli, url)
    assert st == 401 and "needs Authorization: Bearer" in body["error"]
    assert 'WWW-Authenticate: Bearer realm="netbay"' in head
    st, _, body = req(cli, url, token="tok-0123456789-abcdeX")
    assert st == 401 and body == {"error": "wrong token"}
    st, _, body = req(cli, url, raw_auth=f"Basic {TOKEN}")
    assert st == 401
    # unknown routes are not revealed to a caller without the token
    st, _, _ = req(cli, f"http://{SRV}:8080/api/v1/nothing")
    assert st == 401

    st, _, body = req(cli, url, token=TOKEN)
    assert st == 200 and body == {"mac": MAC, "events": []}
    st, _, body = req(cli, f"http://{SRV}:8080/api/v1/nothing", token=TOKEN)
    assert st == 404
    # health needs no token: the doctor's probe
    st, head, body = req(cli, f"http://{SRV}:8080/api/v1/health")
    assert st == 200 and body["name"] == "bay" and "Date: " in head
    assert f"http: {CLI}:" in nb.log() and "401 wrong token" in nb.log()


def test_api_listen_port(pair, netbay):
    srv, cli = pair
    netbay(srv, conf(f"listen = {SRV}:9443\n")).start()
    st, _, _ = req(cli, f"http://{SRV}:9443/api/v1/leases")
    assert st == 401
    st, _, body = req(cli, f"http://{SRV}:9443/api/v1/leases", token=TOKEN)
    assert st == 503 and "lease.list" in body["error"]  # no DHCP in this config
    st, _, body = req(cli, f"http://{SRV}:9443/api/v1/health")
    assert st == 200
    # the API port serves the API and nothing else
    st, _, _ = req(cli, f"http://{SRV}:9443/netbay.db", token=TOKEN)
    assert st == 404


def test_no_token_closes_the_api_on_tcp(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, conf(token=None)).start()
    st, _, body = req(cli, f"http://{SRV}:8080/api/v1/leases", token=TOKEN)
    assert st == 403 and "[api] token" in body["error"]
    st, _, _ = req(cli, f"http://{SRV}:8080/api/v1/health")
    assert st == 200
    # the Unix socket needs none
    assert unix(nb, "/api/v1/health")[0] == 200
    assert unix(nb, f"/api/v1/devices/{MAC}/journal") == (200, {"mac": MAC, "events": []})


def test_listen_without_token_is_a_config_error(pair, netbay):
    srv, _ = pair
    nb = netbay(srv, conf(f"listen = {SRV}:9443\n", token=None))
    nb.start(wait=False)
    assert nb.proc.wait(timeout=10) == 1
    line = [i for i, t in enumerate(nb.conf_path.read_text().split("\n"), 1)
            if t.startswith("listen =")][0]
    assert f"{nb.conf_path}:{line}: listen: the API over TCP needs [api] token" in nb.log()


def test_reload_changes_the_token(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, conf())
    nb.start()
    nb.write_conf(conf(token="another-token-0123456789"))
    nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="reload")
    url = f"http://{SRV}:8080/api/v1/devices/{MAC}/journal"
    assert req(cli, url, token=TOKEN)[0] == 401
    assert req(cli, url, token="another-token-0123456789")[0] == 200


def test_socket_file_lifecycle(pair, netbay, tmp_path):
    srv, _ = pair
    nb = netbay(srv, conf())
    sockdir = tmp_path / "run" / "netbay"
    text = conf().replace("socket = @SOCK@", f"socket = {sockdir}/api.sock")
    nb.write_conf(text)
    nb.sock = sockdir / "api.sock"
    nb.start()
    assert os.stat(sockdir).st_mode & 0o777 == 0o750
    assert os.stat(nb.sock).st_mode & 0o777 == 0o660
    # a second daemon does not steal a live socket
    other = netbay(srv, text.replace("port = 8080", "port = 8081"), name="nb2")
    other.start(wait=False)
    assert other.proc.wait(timeout=10) == 1
    assert "another netbay is serving it" in other.log()
    assert unix(nb, "/api/v1/health")[0] == 200
    # a socket left by a killed daemon is replaced at the next start
    nb.kill9()
    assert nb.sock.exists()
    nb.start()
    assert unix(nb, "/api/v1/health")[0] == 200
    # a clean stop removes it
    nb.stop()
    assert not nb.sock.exists()
