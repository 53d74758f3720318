"""`netbay doctor` against real broken setups built in namespaces: each
test breaks one thing and asserts the finding that names it, and a
healthy LAN passes."""
import re
import shutil
import subprocess
import time

import pytest

from conftest import stop_process
from doctor_env import CLI, NETBAY_DNS, SRV, DoctorLan, netbay_conf, show


@pytest.fixture
def lan(netns, tmp_path):
    lan = DoctorLan(netns, tmp_path)
    yield lan
    lan.close()


def healthy(lan, netbay, extra=""):
    shutil.copy("/usr/lib/ipxe/undionly.kpxe", lan.boot / "undionly.kpxe")
    nb = netbay(lan.srv, netbay_conf(lan.boot, dns=NETBAY_DNS, extra=extra))  # the LAN's DNS is netbay's
    nb.start()
    return nb


def test_healthy_lan_passes(lan, netbay):
    healthy(lan, netbay)
    t0 = time.monotonic()
    rc, rep, c = lan.doctor("--srv", "_vlmcs._tcp")
    took = time.monotonic() - t0
    assert rc == 0, show(c)
    assert rep["address"] == SRV and rep["interface"] == "eth0"
    for name in ("names", "addressing", "reach", "http", "proxy", "clock", "dhcp", "bootfile",
                 "records"):
        assert c[name]["status"] == "pass", show(c)
    assert c["names"]["finding"] == f"netbay resolves to {SRV} on every resolver"
    assert "netbay 'netbay' 0.1.0 answers" in c["http"]["finding"]
    assert c["dhcp"]["finding"].startswith(f"one DHCP server: {SRV} offers 10.77.0.1")
    assert "undionly.kpxe" in c["bootfile"]["finding"] and "TFTP" in c["bootfile"]["finding"]
    assert "1 SRV record found" in c["records"]["finding"]
    assert "reverse name netbay.lan" in c["records"]["finding"]
    # reach: HTTP open, DNS and TFTP answer; netbay in full mode has no proxyDHCP (closed),
    # which its health answer's DHCP mode says is no fault
    ev = "\n".join(c["reach"]["evidence"])
    assert "HTTP 80/tcp: open" in ev and "DNS 53/udp: answers" in ev
    assert "TFTP 69/udp: answers" in ev
    # auto (the default) keeps the proxyDHCP port open for interfaces it may serve as a proxy
    assert "proxyDHCP 4011/udp: answers" in ev, show(c)
    # the health identity behind the names check
    assert any(re.fullmatch(rf"health at {SRV} port 80: netbay 'netbay' 0\.1\.0 "
                            r"\(instance [0-9a-f]{16}\)", e) for e in c["names"]["evidence"]), show(c)
    assert took < 20
    # the text report: one line per check
    r = lan.cli.run(lan_bin(), "doctor", "--timeout", "1", "--dhcp-wait", "2", check=False)
    lines = [l for l in r.stdout.splitlines() if not l.startswith(" ")]
    assert len(lines) == 9 and lines[0].startswith("PASS names: ")


def lan_bin():
    from conftest import NETBAY
    return NETBAY


def test_name_not_resolvable(lan, netbay):
    # the LAN's DNS server knows nothing of netbay
    lan.dnsmasq(lan.srv, SRV, "--host-record=other.lan,10.77.0.9", "--local=/lan/",
                "--domain-needed")
    rc, rep, c = lan.doctor("--only", "names,reach")
    assert rc == 1
    assert c["names"]["status"] == "fail"
    assert c["names"]["finding"] == "netbay does not resolve (2 resolvers asked)"
    assert "DNS server 10.77.0.1: NXDOMAIN (netbay.lan)" in c["names"]["evidence"], show(c)
    assert c["reach"]["status"] == "skip"


def test_resolver_returns_a_wrong_address(lan, netbay):
    # a second resolver (the router's, forwarding to the ISP) answers with a public host
    lan.srv.addr("eth0", "10.77.0.3/24")
    lan.server_dns()
    lan.dnsmasq(lan.srv, "10.77.0.3", "--address=/netbay.lan/203.0.113.7", tag="isp")
    lan.resolvers(SRV, "10.77.0.3")
    rc, rep, c = lan.doctor("--only", "names")
    assert rc == 1
    assert c["names"]["finding"] == (f"resolvers disagree on netbay: the system resolver says "
                                     f"{SRV}, DNS server 10.77.0.3 says 203.0.113.7"), show(c)
    # the ISP's resolver alone: a public address for a local name
    lan.resolvers("10.77.0.3")
    rc, rep, c = lan.doctor("--only", "names")
    assert rc == 1
    assert c["names"]["finding"].startswith(
        "netbay resolves to 203.0.113.7, a public address outside every local subnet"), show(c)


def test_name_hijacked_to_another_private_host(lan, netbay):
    # the LAN's resolver answers netbay's name with another host of the LAN: private and
    # on-link, so the address class says nothing; what answers there does
    nb = netbay(lan.srv, netbay_conf(lan.boot))  # DHCP in full mode, HTTP on 80
    nb.start()
    lan.dnsmasq(lan.srv, SRV, "--address=/netbay.lan/10.77.0.9", "--address=/netbay/10.77.0.9")
    other = lan.netns("other")
    lan.seg.attach(other, "eth0", "10.77.0.9/24")
    web = fake_server(lan, 0, "<html><body>Welcome to nginx!</body></html>", "text/html",
                      host=other, addr="10.77.0.9")
    rc, rep, c = lan.doctor("--only", "names,http")
    assert rc == 1
    n = c["names"]
    assert n["status"] == "fail", show(c)
    assert n["finding"].startswith("netbay resolves to 10.77.0.9, but what answers there is "
                                   "not netbay: an HTML page (HTTP 200, Server: BaseHTTP"), show(c)
    assert "DNS server 10.77.0.1: netbay.lan -> 10.77.0.9" in n["evidence"]
    # netbay's own DHCP offer says where the server is; the checks after use it
    assert any(e.startswith(f"the DHCP offers on eth0 lead to {SRV}: netbay 'netbay' 0.1.0 "
                            "(instance ") for e in n["evidence"]), show(c)
    assert f"netbay is at {SRV}" in n["fix"]
    assert rep["address"] == SRV and c["http"]["status"] == "pass", show(c)
    # nothing listens there any more: still not netbay, since the offers lead elsewhere
    stop_process(web)
    rc, rep, c = lan.doctor("--only", "names")
    assert rc == 1
    assert c["names"]["finding"] == ("netbay resolves to 10.77.0.9, where nothing answers as "
                                     "netbay, but the netbay server the DHCP offers on eth0 "
                                     f"lead to is {SRV}"), show(c)
    assert ("health at 10.77.0.9 port 80: no answer (Connection refused)"
            in c["names"]["evidence"]), show(c)
    # and the same name answered with netbay's own address passes
    lan.srv.addr("eth0", "10.77.0.3/24")
    lan.dnsmasq(lan.srv, "10.77.0.3", f"--address=/netbay.lan/{SRV}", tag="right")
    lan.resolvers("10.77.0.3")
    rc, rep, c = lan.doctor("--only", "names")
    assert rc == 0 and c["names"]["status"] == "pass", show(c)


def test_name_unresolvable_still_finds_the_mask_mismatch(netns, netbay, tmp_path):
    # the client's mask is wrong and the LAN's DNS does not know netbay: the server's own
    # DHCP offer gives the address (and the mask) the addressing check compares
    lan = DoctorLan(netns, tmp_path, cli_cidr="10.77.0.50/16")
    try:
        nb = netbay(lan.srv, netbay_conf(lan.boot))
        nb.start()
        lan.dnsmasq(lan.srv, SRV, "--local=/lan/", "--domain-needed")
        rc, rep, c = lan.doctor("--only", "names,addressing")
        assert rc == 1
        assert c["names"]["finding"] == "netbay does not resolve (2 resolvers asked)", show(c)
        assert any(e.startswith(f"the DHCP offers on eth0 lead to {SRV}: netbay 'netbay'")
                   for e in c["names"]["evidence"]), show(c)
        assert rep["address"] == SRV
        a = c["addressing"]
        assert a["status"] == "warn", show(c)
        assert a["finding"] == ("mask mismatch: eth0 has /16 here but the server's DHCP offer "
                                "says /24"), show(c)
        # a mask too narrow: the server is off-link for us, its health out of reach, and
        # its offer the only one: the address is used, not confirmed
        lan.cli.run("ip", "addr", "flush", "dev", "eth0")
        lan.cli.addr("eth0", "10.77.0.50/28")
        rc, rep, c = lan.doctor("--only", "names,addressing")
        assert rc == 1
        assert any(e.startswith(f"the DHCP offers on eth0 lead to {SRV}: not confirmed as "
                                "netbay") for e in c["names"]["evidence"]), show(c)
        assert c["addressing"]["finding"] == (
            f"mask mismatch: {SRV} answers ARP on eth0's link, but 10.77.0.50/28 does not "
            "contain it (a /26 would; the server's DHCP offer says /24); no route leads "
            "there"), show(c)
    finally:
        lan.close()


def test_proxy_port_matters_in_proxy_mode_only(lan, netbay):
    # full mode: 4011 is closed and no fault (the healthy LAN test); proxy mode needs it
    nb = netbay(lan.srv, netbay_conf(lan.boot, dns=NETBAY_DNS, extra="[dhcp]\nmode = proxy\n"))
    nb.start()
    rc, rep, c = lan.doctor(SRV, "--only", "reach")
    ev = "\n".join(c["reach"]["evidence"])
    assert c["reach"]["status"] == "pass" and "proxyDHCP 4011/udp: answers" in ev, show(c)
    lan.nft(lan.srv, """table inet doctortest {
        chain input { type filter hook input priority 0;
            udp dport 4011 drop
        }
    }""")
    rc, rep, c = lan.doctor(SRV, "--only", "reach")
    r = c["reach"]
    assert r["status"] == "warn", show(c)
    assert r["finding"] == (f"proxyDHCP port 4011/udp on {SRV} is silently dropped (no answer "
                            "in 1000 ms): a firewall drops it"), show(c)
    assert "not used" not in "\n".join(r["evidence"])


def test_server_on_another_subnet_with_a_mismatched_mask(netns, tmp_path):
    # the server thinks 10.77.0.0/16 is one subnet; the client has a /24 without it
    lan = DoctorLan(netns, tmp_path, srv_cidr="10.77.1.1/16")
    try:
        rc, rep, c = lan.doctor("10.77.1.1", "--only", "addressing")
        assert rc == 1
        a = c["addressing"]
        assert a["finding"] == ("mask mismatch: 10.77.1.1 answers ARP on eth0's link, but "
                                "10.77.0.50/24 does not contain it (a /23 would); no route "
                                "leads there"), show(c)
        assert "eth0: 10.77.0.50/24" in a["evidence"]
        assert any(e.startswith("ARP probe on eth0: 10.77.1.1 is at ") for e in a["evidence"])
        # a far-off subnet on the same link is not a mask problem
        lan.srv.run("ip", "addr", "flush", "dev", "eth0")
        lan.srv.addr("eth0", "10.200.0.1/24")
        rc, rep, c = lan.doctor("10.200.0.1", "--only", "addressing")
        assert c["addressing"]["finding"].startswith(
            "10.200.0.1 answers ARP on eth0's link but is in another subnet"), show(c)
        # the server gone from the link: no route at all
        lan.srv.run("ip", "link", "set", "eth0", "down")
        rc, rep, c = lan.doctor("10.200.0.1", "--only", "addressing")
        assert c["addressing"]["finding"].startswith("no route to 10.200.0.1"), show(c)
    finally:
        lan.close()


def test_port_dropped_by_firewall_versus_closed(lan, netbay):
    # full mode has no proxyDHCP port: the closed UDP port this test needs
    # (auto, the default, keeps 4011 open for the interfaces it may serve as a proxy)
    healthy(lan, netbay, extra="[dhcp]\nmode = full\n")
    lan.nft(lan.srv, """table inet doctortest {
        chain input { type filter hook input priority 0;
            tcp dport 80 drop
            udp dport 69 drop
        }
    }""")
    rc, rep, c = lan.doctor(SRV, "--only", "reach", "--api-port", "8080")
    assert rc == 1
    r = c["reach"]
    assert r["finding"] == (f"HTTP port 80/tcp on {SRV} is silently dropped (no answer in "
                            f"1000 ms): a firewall drops it"), show(c)
    ev = "\n".join(r["evidence"])
    assert "HTTP 80/tcp: no answer within 1000 ms" in ev
    assert "API 8080/tcp: refused (RST)" in ev
    assert "TFTP 69/udp: no answer within 1000 ms" in ev
    assert "DNS 53/udp: answers" in ev
    assert "proxyDHCP 4011/udp: closed (ICMP port unreachable)" in ev
    # the firewall gone: the closed API port is what remains
    lan.srv.run("nft", "delete", "table", "inet", "doctortest")
    rc, rep, c = lan.doctor(SRV, "--only", "reach", "--api-port", "8080")
    assert c["reach"]["finding"].startswith(f"API port 8080/tcp on {SRV} is closed "
                                            "(connection refused)"), show(c)


def test_proxy_without_no_proxy(lan, netbay):
    lan.server_dns()
    env = {"HTTP_PROXY": "http://user:secret@proxy.example:3128", "https_proxy":
           "http://proxy.example:3128"}
    rc, rep, c = lan.doctor("--only", "proxy", env=env)
    p = c["proxy"]
    assert rc == 0 and p["status"] == "warn"
    assert p["finding"] == ("HTTP_PROXY,https_proxy set, but NO_PROXY does not cover "
                            f"netbay,{SRV},.lan: that traffic goes to the proxy"), show(c)
    assert p["fix"] == f"export no_proxy=netbay,{SRV},.lan NO_PROXY=netbay,{SRV},.lan"
    assert "HTTP_PROXY=http://***@proxy.example:3128" in p["evidence"]
    env["NO_PROXY"] = f".lan,netbay,10.77.0.0/24"
    rc, rep, c = lan.doctor("--only", "proxy", env=env)
    assert c["proxy"]["status"] == "pass", show(c)


SKEWED = r'''
import email.utils, http.server, json, sys, time
skew, body, ctype, addr = float(sys.argv[1]), sys.argv[2].encode(), sys.argv[3], sys.argv[4]
class H(http.server.BaseHTTPRequestHandler):
    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(time.time() + skew, usegmt=True)
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer((addr, 80), H).serve_forever()
'''


def fake_server(lan, skew, body, ctype, host=None, addr=SRV):
    script = lan.tmp / "fake_http.py"
    script.write_text(SKEWED)
    p = (host or lan.srv).popen("python3", script, str(skew), body, ctype, addr)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = lan.cli.run("curl", "-s", "-o", "/dev/null", f"http://{addr}/", check=False)
        if r.returncode == 0:
            return p
        time.sleep(0.1)
    raise AssertionError("fake HTTP server did not start")


def test_server_clock_skewed(lan):
    fake_server(lan, 3600 + 125, '{"name": "netbay", "version": "0.1.0"}', "application/json")
    rc, rep, c = lan.doctor(SRV, "--only", "http,clock")
    assert rc == 1
    assert c["http"]["status"] == "pass", show(c)
    assert c["clock"]["status"] == "fail"
    assert c["clock"]["finding"].startswith("the server's clock is 1h02m ahead of ours (+372"), show(c)
    # within the threshold: a warning, then nothing
    rc, rep, c = lan.doctor(SRV, "--only", "clock", "--clock-threshold", "1000")
    assert c["clock"]["status"] == "warn", show(c)
    rc, rep, c = lan.doctor(SRV, "--only", "clock", "--clock-threshold", "5000")
    assert c["clock"]["status"] == "pass", show(c)


def test_another_web_server_is_not_netbay(lan):
    fake_server(lan, 0, "<html><body>Welcome to nginx!</body></html>", "text/html")
    rc, rep, c = lan.doctor(SRV, "--only", "http,clock")
    assert rc == 1
    assert c["http"]["finding"].startswith(f"http://{SRV}:80/api/v1/health answers with an HTML "
                                           "page (HTTP 200, Server: BaseHTTP"), show(c)
    assert c["clock"]["status"] == "skip"  # not netbay's clock


def test_two_dhcp_servers(lan, netbay):
    healthy(lan, netbay)
    rogue = lan.netns("rogue")
    lan.seg.attach(rogue, "eth0", "10.77.0.2/24")
    lan.dnsmasq(rogue, "10.77.0.2", "--port=0", "--dhcp-range=10.77.0.50,10.77.0.60,1h",
                f"--dhcp-leasefile={lan.tmp / 'rogue.leases'}", "--no-ping", tag="rogue")
    # the client needs no address for a DISCOVER
    lan.cli.run("ip", "addr", "flush", "dev", "eth0")
    rc, rep, c = lan.doctor(SRV, "--only", "dhcp", "--interface", "eth0", "--dhcp-wait", "3")
    d = c["dhcp"]
    assert rc == 1
    assert d["finding"].startswith("2 DHCP servers answer on eth0: "), show(c)
    assert f"{SRV} offers 10.77.0.1" in d["finding"]
    # dnsmasq picks from its range 10.77.0.50-60 by a hash of the MAC
    assert re.search(r"10\.77\.0\.2 offers 10\.77\.0\.(5\d|60)\b", d["finding"]), show(c)
    assert any("file undionly.kpxe" in e for e in d["evidence"])
    # the client's address was not touched, and netbay leased nothing
    assert lan.cli.run("ip", "-4", "-o", "addr", "show", "dev", "eth0").stdout == ""


def test_boot_file_missing(lan, netbay):
    lan.server_dns()  # netbay's TFTP root is empty
    nb = netbay(lan.srv, netbay_conf(lan.boot, bios="missing.kpxe"))
    nb.start()
    rc, rep, c = lan.doctor(SRV, "--only", "bootfile")
    assert rc == 1
    assert c["bootfile"]["finding"].startswith(
        f"boot file missing.kpxe is missing on TFTP server {SRV} (TFTP error 1"), show(c)
    assert "[tftp] root" in c["bootfile"]["fix"]


def test_usage_errors(lan):
    r = lan.cli.run(lan_bin(), "doctor", "--only", "nosuch", check=False)
    assert r.returncode == 2 and "no check named 'nosuch'" in r.stderr
    r = lan.cli.run(lan_bin(), "doctor", "a", "b", check=False)
    assert r.returncode == 2
