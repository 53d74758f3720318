"""netbay serve: refuses an invalid config, reloads on SIGHUP without
dropping leases, keeps running on a bad reload, stops cleanly."""
import os
import signal

from conftest import NETBAY, wait_for
from lan import Lan, lease_of, if_mac, server_conf, wait_event


def test_refuses_invalid_config(netns, netbay):
    ns = netns("srv")
    nb = netbay(ns, server_conf({"10.77.0.0/24": "range = 10.77.1.1-10.77.1.9"}))
    nb.start(wait=False)
    assert nb.proc.wait(timeout=10) == 1
    line = nb.conf_path.read_text().splitlines().index("range = 10.77.1.1-10.77.1.9") + 1
    assert f"netbay.conf:{line}: range 10.77.1.1-10.77.1.9 is outside subnet 10.77.0.0/24" \
        in nb.log()
    assert "not starting" in nb.log()


def udhcpc(lan, name="c", extra=()):
    env, log = lan.hook_env(name)
    lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1",
                "-s", lan.hook, *extra, env=env, timeout=30)
    wait_event(log, "bound")


def test_reload_keeps_leases_and_applies_changes(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    mac = if_mac(lan.cli, "cli0")
    udhcpc(lan)
    before = lease_of(lan.nb, mac)
    # the new config moves the pool; the existing lease stays the client's
    lan.nb.write_conf(server_conf({"10.77.0.0/24": """
range = 10.77.0.100-10.77.0.199
range = 10.77.0.20-10.77.0.29
router = 10.77.0.254
lease-time = 2h
"""}))
    lan.nb.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in lan.nb.log(), what="reload")
    udhcpc(lan, "again")  # a new exchange: same address, new lease time
    after = lease_of(lan.nb, mac)
    assert after["ip"] == before["ip"]
    assert after["expires"] - before["expires"] >= 3500
    assert lan.nb.proc.poll() is None


def test_bad_reload_keeps_serving(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    lan.nb.conf_path.write_text(lan.nb.conf_path.read_text() + "[dhcp]\nmode = fulll\n")
    lan.nb.signal(signal.SIGHUP)
    wait_for(lambda: "keeping the running configuration" in lan.nb.log(), what="refused reload")
    assert "mode: 'fulll' is not one of" in lan.nb.log()
    udhcpc(lan)  # DHCP still answers
    assert lease_of(lan.nb, if_mac(lan.cli, "cli0"))["state"] == "bound"


def test_sigterm_stops_cleanly(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    lan.nb.signal(signal.SIGTERM)
    assert lan.nb.proc.wait(timeout=10) == 0
    assert "netbay stopped" in lan.nb.log()
