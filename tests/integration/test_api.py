"""The REST API's listeners and their authentication: the Unix socket (no
token), the [http] port (plain HTTP: the token is refused unless [api]
allow-plain-token), the [api] listen port over HTTPS (bearer token; the
certificate self-signed or configured, pinned by the CLI), and what the
daemon does with its socket file across restarts."""
import json
import os
import signal
import subprocess

import pytest

import tlscerts
from conftest import NETBAY, veth, wait_for

SRV, CLI = "10.78.0.1", "10.78.0.2"
TOKEN = "tok-0123456789-abcdef"
MAC = "52:54:00:00:00:42"
HTTPS = f"https://{SRV}:9443"


def conf(extra_api="", token=TOKEN, domain="lan"):
    tok = f"token = {token}\n" if token else ""
    return f"""
[server]
data-dir = @DATA@
name = bay
[dhcp]
mode = off
[dns]
mode = off
domain = {domain}
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


def req(ns, url, token=None, method="GET", raw_auth=None, cacert=None, extra=()):
    """curl from namespace ns: (status, headers text, JSON body or None)."""
    args = ["curl", "-s", "-S", "--max-time", "10", "-X", method, "-D", "/dev/stderr", url]
    if token is not None:
        args += ["-H", f"Authorization: Bearer {token}"]
    if raw_auth is not None:
        args += ["-H", f"Authorization: {raw_auth}"]
    if cacert is not None:
        args += ["--cacert", str(cacert)]
    r = subprocess.run(ns.cmd(*args, *extra), capture_output=True, text=True, timeout=15)
    assert r.stderr.startswith("HTTP/"), r.stderr
    status = int(r.stderr.split()[1])
    return status, r.stderr, (json.loads(r.stdout) if r.stdout.strip() else None)


def unix(nb, path):
    r = subprocess.run(["curl", "-s", "--max-time", "10", "--unix-socket", str(nb.sock),
                        "-w", "\n%{http_code}", "http://netbay" + path],
                       capture_output=True, text=True, timeout=15)
    body, _, code = r.stdout.rpartition("\n")
    return int(code), (json.loads(body) if body else None)


def test_token_on_http_port_refused(pair, netbay):
    """Plain HTTP: the token is refused whether right or wrong; health answers."""
    srv, cli = pair
    nb = netbay(srv, conf(f"listen = {SRV}:9443\n")).start()
    url = f"http://{SRV}:8080/api/v1/devices/{MAC}/journal"
    for token in [TOKEN, "tok-0123456789-abcdeX", None]:
        st, head, body = req(cli, url, token=token)
        assert st == 403, (token, st, body)
        assert body["error"] == ("the API token is not accepted over plain HTTP: use HTTPS on "
                                 "port 9443 ([api] listen), or set [api] allow-plain-token = yes")
    st, head, body = req(cli, f"http://{SRV}:8080/api/v1/health")
    assert st == 200 and body["name"] == "bay" and "Date: " in head
    assert body["tls"]["port"] == 9443 and body["tls"]["fingerprint"]
    log = nb.log()
    # the right token in clear is worth a warning naming the client
    assert f"http: {CLI}:" in log and "sent the API token over plain HTTP" in log
    assert log.count("sent the API token over plain HTTP") == 1
    # the CLI will not even send it over http://
    tok = nb.dir / "token"
    tok.write_text(TOKEN + "\n")
    r = cli.run(NETBAY, "device", "list", "--server", f"http://{SRV}:8080", "--token-file", tok,
                check=False)
    assert r.returncode == 1 and "not sending the API token" in r.stderr, r.stderr


def test_token_on_http_port_when_allowed(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, conf("allow-plain-token = yes\n")).start()
    assert "[api] allow-plain-token = yes: the HTTP listener on 0.0.0.0:8080 takes the API " \
           "token over plain HTTP" in nb.log()
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
    st, _, body = req(cli, f"http://{SRV}:8080/api/v1/health")
    assert st == 200 and body["tls"] is None  # no HTTPS listener here
    assert f"http: {CLI}:" in nb.log() and "401 wrong token" in nb.log()


def test_api_listen_is_https(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, conf(f"listen = {SRV}:9443\n")).start()
    cert = nb.data / "tls" / "cert.pem"
    key = nb.data / "tls" / "key.pem"
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert os.stat(cert.parent).st_mode & 0o777 == 0o700
    fp = tlscerts.fingerprint(cert)
    log = nb.log()
    assert f"made a self-signed TLS certificate {cert}" in log
    assert f"http: API listening on {SRV}:9443 (HTTPS)" in log
    assert f"SHA-256 fingerprint {fp}" in log
    # the names: [server] name, name.domain, the served address, 127.0.0.1
    assert tlscerts.names(cert) == f"DNS:bay, DNS:bay.lan, IP Address:{SRV}, IP Address:127.0.0.1"

    # curl trusts it with --cacert, by address and by name
    st, _, body = req(cli, f"{HTTPS}/api/v1/health", cacert=cert)
    assert st == 200 and body["tls"]["fingerprint"] == fp and body["tls"]["port"] == 9443
    st, _, _ = req(cli, "https://bay.lan:9443/api/v1/health", cacert=cert,
                   extra=("--resolve", f"bay.lan:9443:{SRV}"))
    assert st == 200
    # and refuses it without (self-signed), or under another name
    r = subprocess.run(cli.cmd("curl", "-sS", "--max-time", "10", f"{HTTPS}/api/v1/health"),
                       capture_output=True, text=True, timeout=15)
    assert r.returncode == 60, r.stderr  # peer certificate cannot be authenticated
    r = subprocess.run(cli.cmd("curl", "-sS", "--max-time", "10", "--cacert", cert,
                               "--resolve", f"other:9443:{SRV}", "https://other:9443/"),
                       capture_output=True, text=True, timeout=15)
    assert r.returncode == 60 and "other" in r.stderr, r.stderr

    st, _, _ = req(cli, f"{HTTPS}/api/v1/leases", cacert=cert)
    assert st == 401
    st, _, body = req(cli, f"{HTTPS}/api/v1/leases", token=TOKEN, cacert=cert)
    assert st == 503 and "lease.list" in body["error"]  # no DHCP in this config
    # the API port serves the API and nothing else
    st, _, _ = req(cli, f"{HTTPS}/netbay.db", token=TOKEN, cacert=cert)
    assert st == 404
    # plain HTTP on the HTTPS port gets nothing
    r = subprocess.run(cli.cmd("curl", "-sS", "--max-time", "10", f"http://{SRV}:9443/"),
                       capture_output=True, text=True, timeout=15)
    assert r.returncode in (52, 56), r

    # a restart keeps the certificate (and its fingerprint)
    nb.stop()
    nb.start()
    assert tlscerts.fingerprint(cert) == fp and "made a self-signed" not in nb.log()
    assert f"SHA-256 fingerprint {fp}" in nb.log()


def test_cli_pins_the_fingerprint(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, conf(f"listen = {SRV}:9443\n")).start()
    cert = nb.data / "tls" / "cert.pem"
    fp = tlscerts.fingerprint(cert)
    assert unix(nb, "/api/v1/devices")[0] == 200
    tok = nb.dir / "token"
    tok.write_text(TOKEN + "\n")

    def cli_list(*args, env=None):
        return cli.run(NETBAY, "device", "list", "--json", "--token-file", tok, *args,
                       check=False, env=env)

    r = cli_list("--server", HTTPS, "--fingerprint", fp)
    assert r.returncode == 0 and json.loads(r.stdout) == [], r.stderr
    # the fingerprint as people paste it: openssl's line, lower case without colons
    r = cli_list("--server", f"{SRV}:9443", "--fingerprint", f"sha256 Fingerprint={fp}")
    assert r.returncode == 0, r.stderr
    r = cli_list("--server", f"{SRV}:9443", env={"NETBAY_FINGERPRINT": fp.replace(":", "").lower(),
                                                 "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    # the certificate as the CA file
    r = cli_list("--server", HTTPS, "--cacert", cert)
    assert r.returncode == 0, r.stderr
    # a wrong fingerprint: refused, both named
    wrong = ("00" if fp[:2] != "00" else "11") + fp[2:]
    r = cli_list("--server", HTTPS, "--fingerprint", wrong)
    assert r.returncode == 1 and f"fingerprint {fp}, not the pinned {wrong}" in r.stderr, r.stderr
    # nothing to trust it by: refused, with what to do
    r = cli_list("--server", HTTPS)
    assert r.returncode == 1 and "not trusted" in r.stderr and "--fingerprint" in r.stderr
    # the token never reached the server in those refusals
    assert "401" not in nb.log() and "wrong token" not in nb.log()
    # HTTPS to the plain port
    r = cli_list("--server", f"https://{SRV}:8080", "--fingerprint", fp)
    assert r.returncode == 1 and "a plain HTTP port" in r.stderr, r.stderr


def test_configured_certificate(pair, netbay, tmp_path):
    srv, cli = pair
    crt, key = tlscerts.pair(tmp_path, "one", sans=f"DNS:bay,IP:{SRV}", days=20, rsa=True)
    nb = netbay(srv, conf(f"listen = {SRV}:9443\ntls-cert = {crt}\ntls-key = {key}\n")).start()
    fp = tlscerts.fingerprint(crt)
    log = nb.log()
    assert f"API TLS certificate {crt} (RSA 2048" in log and f"fingerprint {fp}" in log
    assert not (nb.data / "tls").exists()  # nothing generated
    # 20 days: expiring soon is a warning at start (and in `netbay check`)
    assert f"tls-cert: {crt} expires on" in log
    st, _, body = req(cli, f"{HTTPS}/api/v1/health", cacert=crt)
    assert st == 200 and body["tls"]["fingerprint"] == fp
    # a reload with a renewed pair serves the new one
    crt2, key2 = tlscerts.pair(tmp_path, "two", sans=f"DNS:bay,IP:{SRV}", days=400)
    nb.write_conf(conf(f"listen = {SRV}:9443\ntls-cert = {crt2}\ntls-key = {key2}\n"))
    nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="reload")
    st, _, body = req(cli, f"{HTTPS}/api/v1/health", cacert=crt2)
    assert st == 200 and body["tls"]["fingerprint"] == tlscerts.fingerprint(crt2)
    # a pair that does not match is refused by the reload, and by check
    nb.write_conf(conf(f"listen = {SRV}:9443\ntls-cert = {crt}\ntls-key = {key2}\n"))
    r = srv.run(NETBAY, "check", "-c", nb.conf_path, check=False)
    line = [i for i, t in enumerate(nb.conf_path.read_text().split("\n"), 1)
            if t.startswith("tls-key =")][0]
    assert r.returncode == 1
    assert f"{nb.conf_path}:{line}: tls-key: key {key2} is not the key of certificate {crt}" \
        in r.stdout + r.stderr
    nb.signal(signal.SIGHUP)
    wait_for(lambda: "is not the key of certificate" in nb.log(), what="the reload refused")
    st, _, body = req(cli, f"{HTTPS}/api/v1/health", cacert=crt2)
    assert st == 200 and body["tls"]["fingerprint"] == tlscerts.fingerprint(crt2)


def test_bad_certificates_stop_the_start(pair, netbay, tmp_path):
    srv, _ = pair
    expired_c, expired_k = tlscerts.expired_pair(tmp_path, "old")
    cases = [
        (f"tls-cert = {expired_c}\ntls-key = {expired_k}\n", "tls-cert =",
         f"tls-cert: certificate {expired_c} expired on 2020-01-02 00:00:00 UTC"),
        (f"tls-cert = {tmp_path}/none.crt\ntls-key = {expired_k}\n", "tls-cert =",
         f"tls-cert: certificate {tmp_path}/none.crt: cannot read: No such file"),
        (f"tls-cert = {expired_c}\n", "tls-cert =", "tls-cert: needs tls-key as well"),
        (f"listen = {SRV}:9443\ntls = no\n", "listen =",
         "listen: with [api] tls = no the token would cross the network in clear"),
    ]
    for i, (extra, key, msg) in enumerate(cases):
        nb = netbay(srv, conf(extra), name=f"bad{i}")
        nb.start(wait=False)
        assert nb.proc.wait(timeout=10) == 1
        line = [n for n, t in enumerate(nb.conf_path.read_text().split("\n"), 1)
                if t.startswith(key)][0]
        assert f"{nb.conf_path}:{line}: {msg}" in nb.log(), nb.log()


def test_plain_api_listen_when_allowed(pair, netbay):
    srv, cli = pair
    nb = netbay(srv, conf(f"listen = {SRV}:9443\ntls = no\nallow-plain-token = yes\n")).start()
    assert "the API listener on 10.78.0.1:9443 takes the API token over plain HTTP" in nb.log()
    st, _, body = req(cli, f"http://{SRV}:9443/api/v1/leases", token=TOKEN)
    assert st == 503
    assert not (nb.data / "tls").exists()


def test_new_address_is_named_in_a_warning(pair, netbay):
    """The self-signed certificate is kept when the server gets a new address:
    the fingerprint clients pinned stays; a warning names the address it lacks."""
    srv, cli = pair
    nb = netbay(srv, conf(f"listen = 0.0.0.0:9443\n")).start()
    fp = tlscerts.fingerprint(nb.data / "tls" / "cert.pem")
    nb.stop()
    srv.addr("eth0", "10.78.0.9/24")
    nb.start()
    assert tlscerts.fingerprint(nb.data / "tls" / "cert.pem") == fp
    assert "does not name 10.78.0.9: clients that check names" in nb.log(), nb.log()
    # removed and reloaded: a new one, with the new address
    os.unlink(nb.data / "tls" / "cert.pem")
    os.unlink(nb.data / "tls" / "key.pem")
    nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="reload")
    fp2 = tlscerts.fingerprint(nb.data / "tls" / "cert.pem")
    assert fp2 != fp
    st, _, body = req(cli, "https://10.78.0.9:9443/api/v1/health",
                      cacert=nb.data / "tls" / "cert.pem")
    assert st == 200 and body["tls"]["fingerprint"] == fp2


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
    nb = netbay(srv, conf(f"listen = {SRV}:9443\n"))
    nb.start()
    cert = nb.data / "tls" / "cert.pem"
    nb.write_conf(conf(f"listen = {SRV}:9443\n", token="another-token-0123456789"))
    nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in nb.log(), what="reload")
    url = f"{HTTPS}/api/v1/devices/{MAC}/journal"
    assert req(cli, url, token=TOKEN, cacert=cert)[0] == 401
    assert req(cli, url, token="another-token-0123456789", cacert=cert)[0] == 200


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
