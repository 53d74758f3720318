"""Real DHCP clients (udhcpc, dhclient, dhcpcd) obtain, renew and release a
lease from netbay across a veth pair between two namespaces."""
import signal
import time

import pytest

from conftest import wait_for
from lan import (Lan, Sniffer, assert_table3, events, if_addrs, if_mac, lease_of, server_conf,
                 wait_event)

# t1 = 3 s: clients that honour option 58 renew on their own within the test
SUBNET = {"10.77.0.0/24": """
range = 10.77.0.100-10.77.0.199
router = 10.77.0.1
dns = 10.77.0.1
domain = lan
lease-time = 10m
t1 = 3s
t2 = 8m
"""}


@pytest.fixture
def lan(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path, conf=server_conf(SUBNET))
    lan.nb.start()
    return lan


def bound(lan, mac):
    return wait_for(lambda: (l := lease_of(lan.nb, mac)) and l["state"] == "bound" and l,
                    what=f"a bound lease for {mac}")


def check_renew_ack(sniff, ip):
    """RFC 2131 Table 3: the ACK to a RENEWING client carries its ciaddr; the
    first ACK (SELECTING or INIT-REBOOT) has none."""
    acks = sniff.wait(lambda r: r["type"] == "ACK" and r["ciaddr"] == ip,
                      what=f"an ACK with ciaddr {ip}")
    assert all(a["yiaddr"] == ip for a in acks), acks
    first = [r for r in sniff.replies() if r["type"] == "ACK"][0]
    assert first["ciaddr"] == "0.0.0.0", first
    for r in sniff.replies():
        assert_table3(r)


def test_udhcpc(lan):
    env, log = lan.hook_env("udhcpc")
    mac = if_mac(lan.cli, "cli0")
    sniff = Sniffer(lan.cli, "cli0", lan.tmp / "udhcpc.sniff")
    # no -B: the server must unicast to an address the client does not own yet
    p = lan.cli.popen("udhcpc", "-i", "cli0", "-f", "-t", "10", "-T", "1",
                      "-x", "hostname:alpha", "-s", lan.hook, env=env)
    wait_event(log, "bound")
    l = bound(lan, mac)
    assert l["hostname"] == "alpha"
    assert l["ip"] in if_addrs(lan.cli, "cli0")
    first_expiry = l["expires"]

    time.sleep(1.1)
    p.send_signal(signal.SIGUSR1)  # renew now (RENEWING: unicast to the server)
    wait_for(lambda: events(log).count(f"renew {l['ip']}") >= 1, what="udhcpc renew")
    wait_for(lambda: lease_of(lan.nb, mac)["expires"] > first_expiry, what="lease extended")
    assert "RENEWING" in lan.nb.log() or "ACK" in lan.nb.log()
    check_renew_ack(sniff, l["ip"])

    p.send_signal(signal.SIGUSR2)  # release
    wait_for(lambda: lease_of(lan.nb, mac)["state"] == "released", what="lease released")
    assert f"RELEASE {l['ip']}" in lan.nb.log()


def test_dhclient(lan):
    env, log = lan.hook_env("dhclient")
    mac = if_mac(lan.cli, "cli0")
    lf, pf, cf = (lan.tmp / f"dhclient.{x}" for x in ("leases", "pid", "conf"))
    cf.write_text('send host-name "bravo";\nrequest subnet-mask, routers, domain-name-servers;\n')
    sniff = Sniffer(lan.cli, "cli0", lan.tmp / "dhclient.sniff")
    base = ["dhclient", "-4", "-v", "-cf", cf, "-lf", lf, "-pf", pf, "-sf", lan.hook,
            "-e", f"NB_HOOK_LOG={log}"]  # dhclient gives its script a clean environment
    lan.cli.run(*base, "cli0", env=env, timeout=60)  # stays in the background
    wait_event(log, "BOUND")
    l = bound(lan, mac)
    assert l["hostname"] == "bravo"
    # T1 = 3 s: dhclient renews by itself
    wait_event(log, "RENEW", timeout=20)
    wait_for(lambda: lease_of(lan.nb, mac)["expires"] > l["expires"], what="lease extended")
    check_renew_ack(sniff, l["ip"])
    # release (also stops the background dhclient)
    lan.cli.run(*base, "-r", "cli0", env=env, timeout=30)
    wait_for(lambda: lease_of(lan.nb, mac)["state"] == "released", what="lease released")


def dhcpcd_cmd(lan, *args):
    """dhcpcd keeps leases and its control socket in host directories; give
    it the test's own (ip netns exec runs each command in its own mount
    namespace, so the bind mounts stay private to this command)."""
    state, run = lan.tmp / "dhcpcd-db", lan.tmp / "dhcpcd-run"
    state.mkdir(exist_ok=True)
    run.mkdir(exist_ok=True)
    quoted = " ".join(f"'{a}'" for a in args)
    return ["sh", "-c", f"mkdir -p /run/dhcpcd && mount --bind {run} /run/dhcpcd && "
                        f"mount --bind {state} /var/lib/dhcpcd && exec dhcpcd {quoted}"]


def test_dhcpcd(lan):
    env, log = lan.hook_env("dhcpcd")
    mac = if_mac(lan.cli, "cli0")
    conf = lan.tmp / "dhcpcd.conf"
    # dhcpcd also gives its script a clean environment: pass the log path through its config
    conf.write_text(f"option domain_name_servers, domain_name, host_name\nenv NB_HOOK_LOG={log}\n")
    base = ["-4", "-f", conf, "-c", lan.hook, "--noarp", "-t", "20"]
    sniff = Sniffer(lan.cli, "cli0", lan.tmp / "dhcpcd.sniff")
    p = lan.cli.popen(*dhcpcd_cmd(lan, *base, "-B", "-h", "charlie", "cli0"), env=env)
    wait_event(log, "BOUND")
    l = bound(lan, mac)
    assert l["hostname"] == "charlie"
    assert l["ip"] in if_addrs(lan.cli, "cli0")
    # T1 = 3 s: dhcpcd renews by itself
    wait_event(log, "RENEW", timeout=20)
    wait_for(lambda: lease_of(lan.nb, mac)["expires"] > l["expires"], what="lease extended")
    check_renew_ack(sniff, l["ip"])
    lan.cli.run(*dhcpcd_cmd(lan, *base, "-k", "cli0"), env=env, timeout=30)  # release
    wait_for(lambda: lease_of(lan.nb, mac)["state"] == "released", what="lease released")
    p.wait(timeout=10)


def test_two_clients_two_addresses(lan):
    env, log = lan.hook_env("pair")
    # a second client on the same segment: a macvlan of cli0 with its own MAC
    lan.cli.run("ip", "link", "add", "mv0", "link", "cli0", "type", "macvlan", "mode", "bridge")
    lan.cli.up("mv0")
    for ifname in ("cli0", "mv0"):
        lan.cli.run("udhcpc", "-i", ifname, "-n", "-q", "-f", "-t", "5", "-T", "1",
                    "-s", lan.hook, env=env, timeout=30)
    a = lease_of(lan.nb, if_mac(lan.cli, "cli0"))
    b = lease_of(lan.nb, if_mac(lan.cli, "mv0"))
    assert a and b and a["ip"] != b["ip"]
