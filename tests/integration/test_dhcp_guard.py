"""The DHCP server's guards, attacked for real: Debian's dhcpstarv against a
small pool, DISCOVER-only clients holding every offer, a LAN host forging
giaddr, and a flood of network-boot DISCOVERs from new MACs. Each attack is
bounded in time; a legitimate client must still be served."""
import json
import sys
import time
from pathlib import Path

import pytest

from conftest import have, stop_process, wait_for
from lan import Lan, leases, server_conf, wait_event

HERE = Path(__file__).resolve().parent
ATTACK = HERE / "dhcpattack.py"
PXE = HERE / "pxeclient.py"
PY = "/usr/bin/python3"


def bound(nb):
    now = time.time()
    return [l for l in leases(nb) if l["state"] == "bound" and l["expires"] > now]


def udhcpc(lan, name, tries, timeout):
    env, ev = lan.hook_env(name)
    p = lan.cli.popen("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", str(tries), "-T", "3",
                      "-s", lan.hook, env=env)
    return p, ev


@pytest.mark.skipif(not have("dhcpstarv"), reason="needs dhcpstarv")
def test_dhcpstarv_leaves_room_for_a_real_client(netns, netbay, tmp_path):
    """Defaults, a 100-address pool: dhcpstarv runs 40 s; a udhcpc started
    20 s in is bound within 20 s and dhcpstarv ends with fewer than 90."""
    lan = Lan(netns, netbay, tmp_path)  # range .100-.199, no guard keys set
    lan.nb.start()
    starv = lan.cli.popen("dhcpstarv", "-i", "cli0", log=tmp_path / "dhcpstarv.log")
    try:
        time.sleep(20)
        assert starv.poll() is None, "dhcpstarv died"
        t0 = time.monotonic()
        client, ev = udhcpc(lan, "real", tries=7, timeout=21)
        wait_event(ev, "bound", timeout=20)
        took = time.monotonic() - t0
        stop_process(client)
        time.sleep(max(0.0, 20 - took))  # the attack goes on to 40 s
    finally:
        stop_process(starv)
    real = [l for l in bound(lan.nb) if not l["mac"].startswith("00:16:36")]
    stolen = [l for l in bound(lan.nb) if l["mac"].startswith("00:16:36")]  # dhcpstarv's OUI
    assert len(real) == 1, real
    assert 20 < len(stolen) < 90, len(stolen)  # it did attack, and it did not get the pool
    log = lan.nb.log()
    lines = [l for l in log.splitlines() if "starvation guard: new clients via srv0:" in l]
    assert 1 <= len(lines) <= 6, lines  # once per 10 s interval, naming the interface


def test_offers_held_by_discover_only_clients_do_not_stall_dora(netns, netbay, tmp_path):
    """20 addresses, all offered to DISCOVER-only clients and held for 10
    minutes: a real client still completes DORA, getting the oldest offer."""
    conf = server_conf({"10.77.0.0/24": "range = 10.77.0.100-10.77.0.119\nlease-time = 1h"},
                       extra="[dhcp]\noffer-hold = 10m\nnew-client-rate = 0\n")
    lan = Lan(netns, netbay, tmp_path, conf=conf)
    lan.nb.start()
    lan.cli.run(PY, ATTACK, "discover", "cli0", "20", "1", timeout=30)
    wait_for(lambda: lan.nb.log().count(": OFFER 10.77.0.") >= 20, timeout=10,
             what="every address offered")
    client, ev = udhcpc(lan, "real", tries=8, timeout=25)
    wait_event(ev, "bound", timeout=25)
    stop_process(client)
    got = bound(lan.nb)
    assert len(got) == 1 and got[0]["ip"].startswith("10.77.0.1"), got
    assert "no free address in 10.77.0.0/24" in lan.nb.log()  # it was full at first


def relayed_lan(netns, netbay, tmp_path, extra=""):
    """The LAN plus a relayed subnet 10.78.0.0/24 routed via 10.77.0.2."""
    conf = server_conf({"10.77.0.0/24": "range = 10.77.0.100-10.77.0.199",
                        "10.78.0.0/24": "range = 10.78.0.50-10.78.0.80"}, extra=extra)
    lan = Lan(netns, netbay, tmp_path, conf=conf)
    lan.srv.run("ip", "route", "add", "10.78.0.0/24", "via", "10.77.0.2")
    lan.cli.addr("cli0", "10.77.0.50/24")
    lan.nb.start()
    return lan


def test_forged_giaddr_gets_nothing(netns, netbay, tmp_path):
    """A LAN host naming the relayed subnet's giaddr is not its relay: from
    port 67 or not, no address of 10.78.0.0/24 is offered to it."""
    lan = relayed_lan(netns, netbay, tmp_path)
    out = lan.cli.run(PY, ATTACK, "relay", "10.77.0.1", "2", "10.77.0.50:10.78.0.1",
                      timeout=30).stdout
    assert json.loads(out)["sent"] > 50
    out = lan.cli.run(PY, ATTACK, "relay", "10.77.0.1", "1", "10.77.0.50:10.78.0.1",
                      "--port", "68", timeout=30).stdout
    assert not [l for l in leases(lan.nb) if l["ip"].startswith("10.78.")]
    log = lan.nb.log()
    assert "OFFER 10.78." not in log
    assert ("with giaddr 10.78.0.1 from 10.77.0.50:67 on srv0 ignored: "
            "giaddr is not routed through the sender") in log
    assert "from 10.77.0.50:68 on srv0 ignored: not sent from port 67" in log
    assert "similar messages suppressed" in log or log.count("ignored:") < 40  # rate-limited


def test_relays_list_decides_alone(netns, netbay, tmp_path):
    """With [dhcp] relays set, a listed source is a relay whatever the routes
    say, and an unlisted one is not, even with its own address as giaddr."""
    lan = relayed_lan(netns, netbay, tmp_path, extra="[dhcp]\nrelays = 10.77.0.60\n")
    lan.cli.addr("cli0", "10.77.0.60/24")
    lan.cli.run(PY, ATTACK, "relay", "10.77.0.1", "1", "10.77.0.50:10.77.0.50",
                "10.77.0.60:10.78.0.1", timeout=30)
    log = lan.nb.log()
    assert "from 10.77.0.50:67 on srv0 ignored: the source is not in [dhcp] relays" in log
    assert "OFFER 10.78.0." in log  # asymmetric on purpose: the list is the admin's word
    assert "OFFER 10.77.0." not in log


def test_many_relay_addresses_share_one_guard(netns, netbay, tmp_path):
    """rate 1/s, burst 3: a host holding 31 addresses, each claimed as a relay
    (giaddr = itself), or rotating giaddr from one address, takes a few
    addresses, not 31."""
    lan = relayed_lan(netns, netbay, tmp_path,
                      extra="[dhcp]\nnew-client-rate = 1\nnew-client-burst = 3\n")
    srcs = [f"10.77.0.{i}" for i in range(10, 41)]
    for a in srcs:
        lan.cli.addr("cli0", f"{a}/24")
    # rotating giaddr from one address: not a relay at all
    lan.cli.run(PY, ATTACK, "relay", "10.77.0.1", "1",
                *[f"10.77.0.50:{a}" for a in srcs], timeout=30)
    assert not bound(lan.nb)
    out = lan.cli.run(PY, ATTACK, "relay", "10.77.0.1", "3", *[f"{a}:{a}" for a in srcs],
                      timeout=30).stdout
    r = json.loads(out)
    assert r["sent"] >= 100, r
    assert 3 <= r["acks"] <= 3 + 1 * 4 + 1, r  # one bucket: the burst and ~1/s
    assert len(bound(lan.nb)) == r["acks"]


def test_pxe_flood_leaves_the_registry_bounded(netns, netbay, tmp_path):
    """3,000 network-boot DISCOVERs from new MACs in 3 s (the starvation
    guard off, a /16 pool) record at most new-device-limit devices; a real
    PXE client is still served its boot file."""
    conf = server_conf({"10.77.0.0/16": "range = 10.77.1.0-10.77.255.254"},
                       extra="[dhcp]\nnew-client-rate = 0\nnew-device-limit = 50\n"
                             "[boot]\nuefi-x64 = ipxe.efi\n")
    lan = Lan(netns, netbay, tmp_path, conf=conf)
    lan.srv.run("ip", "addr", "flush", "dev", "srv0")
    lan.srv.addr("srv0", "10.77.0.1/16")
    lan.nb.start()
    lan.cli.run(PY, ATTACK, "discover", "cli0", "3000", "3", "--pxe", timeout=60)
    wait_for(lambda: "new-device-limit" in lan.nb.log(), timeout=20,
             what="the device limit to bite")
    devices = json.loads(lan.nb.cli("device", "list", "--json").stdout)
    assert 45 <= len(devices) <= 55, len(devices)
    log = lan.nb.log()
    assert len([l for l in log.splitlines() if "info: registry:" in l]) <= 50
    assert len([l for l in log.splitlines() if "new-device-limit" in l]) <= 40  # rate-limited
    assert "similar messages suppressed" in log
    r = lan.cli.run(PY, PXE, "cli0", "52:54:00:aa:bb:01", "--arch", "7", timeout=30)
    run = json.loads(r.stdout)["runs"][0]
    assert run.get("ack") and run["boot_file"] == "ipxe.efi", run
