"""What netbay answers and records when clients are careless or hostile:
netbay's DNS as the default of options 6 and 15, names no client may take,
DECLINE and RELEASE that only the lease's own client can send, and log
lines a flood cannot multiply. Real clients (dhclient, udhcpc, dig) and
forged packets (scapy, dhcpraw.py) in namespaces."""
import json
import re
import time

from conftest import veth, wait_for
from lan import RAW, Lan, if_mac, lease_of, leases, server_conf, wait_event

# a dhclient script that records the DNS options it was given, then does what the shared hook does
DNS_HOOK = """#!/bin/sh
[ -n "$new_domain_name_servers" ] && echo "dns $new_domain_name_servers $new_domain_name" >>"$NB_HOOK_LOG"
exec {hook} "$@"
"""


def dhclient(lan, name, hostname, script=None):
    """Runs dhclient on cli0 until it is bound; returns (base command, events log)."""
    env, log = lan.hook_env(name)
    lf, pf, cf = (lan.tmp / f"{name}.{x}" for x in ("leases", "pid", "conf"))
    cf.write_text(f'send host-name "{hostname}";\n'
                  "request subnet-mask, routers, domain-name-servers, domain-name;\n")
    base = ["dhclient", "-4", "-v", "-cf", cf, "-lf", lf, "-pf", pf, "-sf", script or lan.hook,
            "-e", f"NB_HOOK_LOG={log}"]
    lan.cli.run(*base, "cli0", env=env, timeout=60)
    wait_event(log, "BOUND")
    return base, env, log


def test_only_range_gets_netbays_dns(netns, netbay, tmp_path):
    """An admin who writes only `range =`: clients use netbay's DNS, and
    their own name resolves through it."""
    lan = Lan(netns, netbay, tmp_path,
              conf=server_conf({"10.77.0.0/24": "range = 10.77.0.100-10.77.0.150"}))
    lan.nb.start()
    hook = lan.tmp / "dns-hook.sh"
    hook.write_text(DNS_HOOK.format(hook=lan.hook))
    hook.chmod(0o755)
    base, env, log = dhclient(lan, "dns", "echo", script=hook)
    got = [l.split() for l in log.read_text().splitlines() if l.startswith("dns ")]
    assert got and got[-1][1:] == ["10.77.0.1", "lan"], got
    ip = lease_of(lan.nb, if_mac(lan.cli, "cli0"))["ip"]
    out = lan.cli.run("dig", "+short", "+time=2", "@10.77.0.1", "echo.lan", "A").stdout.split()
    assert out == [ip], out
    lan.cli.run(*base, "-r", "cli0", env=env, timeout=30)


def test_reserved_hostname_is_not_published(netns, netbay, tmp_path):
    """A client calling itself wpad does not become wpad.lan (WPAD hijack)."""
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    mac = if_mac(lan.cli, "cli0")
    base, env, _ = dhclient(lan, "wpad", "wpad")
    l = wait_for(lambda: (l := lease_of(lan.nb, mac)) and l["state"] == "bound" and l,
                 what="a bound lease")
    assert not l["hostname"], l
    for name in ("wpad.lan", "wpad"):
        r = lan.cli.run("dig", "+time=2", "@10.77.0.1", name, "A").stdout
        assert "status: NXDOMAIN" in r and l["ip"] not in r.split("AUTHORITY")[0], r
    ptr = lan.cli.run("dig", "+short", "+time=2", "@10.77.0.1", "-x", l["ip"]).stdout
    assert "wpad" not in ptr, ptr
    assert re.search(rf"{mac}: asks for the reserved name 'wpad' at {l['ip']}; not published",
                     lan.nb.log())
    why = json.loads(lan.nb.cli("why", mac, "--json").stdout)
    assert "dhcp.name_refused" in [e["name"] for e in why["events"]], why
    lan.cli.run(*base, "-r", "cli0", env=env, timeout=30)


def raw(lan, ns, *args, timeout=60):
    return ns.run("/usr/bin/python3", RAW, *args, timeout=timeout)


def test_decline_of_an_offer_takes_nothing(netns, netbay, tmp_path):
    """30 DISCOVER/DECLINE pairs against a 31-address pool used to take it all
    out for an hour; DECLINEs of bound leases are rate-limited."""
    conf = server_conf({"10.77.0.0/24": "range = 10.77.0.100-10.77.0.130"},
                       extra="[dhcp]\nnew-client-rate = 0\ndecline-rate = 3\noffer-hold = 2s\n")
    lan = Lan(netns, netbay, tmp_path, conf=conf)
    lan.nb.start()
    out = tmp_path / "pairs.json"
    raw(lan, lan.cli, "decline-pairs", "cli0", "30", out)
    assert len(json.loads(out.read_text())) == 30
    wait_for(lambda: lan.nb.log().count("refused: not bound to it") >= 20,
             what="the DECLINEs to be refused")
    assert not [l for l in leases(lan.nb) if l["state"] == "declined"]
    time.sleep(2.5)  # the 30 offers' hold is over: the whole pool is free again
    # six clients DORA then DECLINE their bound lease: three a minute are honoured
    raw(lan, lan.cli, "dora-decline", "cli0", "6", out)
    assert len(json.loads(out.read_text())) == 6
    wait_for(lambda: "refused: DECLINEs arrive faster than decline-rate" in lan.nb.log(),
             what="the rate to refuse DECLINEs")
    declined = [l for l in leases(lan.nb) if l["state"] == "declined"]
    assert len(declined) == 3, declined
    # a real client still gets an address
    env, ev = lan.hook_env("after")
    lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", lan.hook,
                env=env, timeout=30)
    wait_event(ev, "bound")


def test_release_spoofing_is_refused(netns, netbay, tmp_path):
    """A RELEASE naming the victim's MAC and address, sent from another
    address, without our server id, or from another interface, leaves the
    lease alone; the victim's own RELEASE ends it."""
    lan = Lan(netns, netbay, tmp_path)
    att = netns("att")  # a host on another link of the server
    veth(lan.srv, "srv1", att, "att0")
    lan.srv.addr("srv1", "10.78.0.1/24")
    att.addr("att0", "10.78.0.2/24")
    # the server must see packets whose source is not on that link (no reverse-path filter)
    for key in ("all", "default", "srv1"):
        lan.srv.run("sysctl", "-qw", f"net.ipv4.conf.{key}.rp_filter=0")
    lan.nb.start()
    env, ev = lan.hook_env("victim")
    mac = if_mac(lan.cli, "cli0")
    p = lan.cli.popen("udhcpc", "-i", "cli0", "-f", "-t", "10", "-T", "1", "-s", lan.hook,
                      env=env)
    wait_event(ev, "bound")
    ip = lease_of(lan.nb, mac)["ip"]
    srv = "10.77.0.1"
    raw(lan, lan.cli, "release", "cli0", mac, ip, "10.77.0.50", srv, srv)  # from another address
    raw(lan, lan.cli, "release", "cli0", mac, ip, ip, "-", srv)  # no server identifier
    raw(lan, lan.cli, "release", "cli0", mac, ip, ip, "10.77.0.9", srv)  # another server's
    raw(lan, att, "release", "att0", mac, ip, ip, srv, srv)  # right fields, wrong interface
    log = lambda: lan.nb.log()
    wait_for(lambda: f"RELEASE of {ip} from {ip} via srv1 refused: its lease was made on another "
                     "interface" in log(), what="the spoof from another link to be refused")
    assert f"RELEASE of {ip} from 10.77.0.50 via srv0 refused: not sent from the address it " \
           "releases" in log()
    assert log().count(f"RELEASE of {ip} from {ip} via srv0 refused: not addressed to this "
                       "server") == 2
    assert lease_of(lan.nb, mac)["state"] == "bound"
    p.send_signal(12)  # SIGUSR2: udhcpc releases
    wait_for(lambda: lease_of(lan.nb, mac)["state"] == "released", what="the real release")


def test_nak_flood_writes_few_lines(netns, netbay, tmp_path):
    """500 NAK-provoking REQUESTs are all answered, with a bounded log."""
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    out = tmp_path / "naks.json"
    t0 = time.monotonic()
    raw(lan, lan.cli, "nak-flood", "cli0", "500", "192.168.50.5", out)
    assert time.monotonic() - t0 < 30
    naks = json.loads(out.read_text())["naks"]
    assert naks >= 450, naks  # the server answered (nearly) every one
    lines = [l for l in lan.nb.log().splitlines() if ": NAK (" in l]
    assert 5 <= len(lines) <= 60, len(lines)
    time.sleep(1.1)  # the limiter refills: the next NAK line says how many were suppressed
    raw(lan, lan.cli, "nak-flood", "cli0", "1", "192.168.50.5", out)
    wait_for(lambda: re.search(r"\((\d+) similar messages suppressed\)", lan.nb.log()),
             what="the suppression count")
    # every NAK is either a line or counted in a summary
    n = sum(int(x) for x in re.findall(r"\((\d+) similar messages suppressed\)", lan.nb.log()))
    assert n + len(lines) >= 450, (n, len(lines))
