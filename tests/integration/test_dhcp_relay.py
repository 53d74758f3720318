"""Relayed clients: ISC dhcrelay in a router namespace forwards a real
client's broadcasts to netbay; giaddr selects the client's subnet and the
relay agent information (option 82) the relay adds is echoed back."""
import os

import pytest

from conftest import veth, wait_for
from lan import HOOK, if_addrs, if_mac, lease_of, server_conf, wait_event


@pytest.fixture
def routed(netns, netbay, tmp_path):
    """cli (cli0) -- [r0 10.78.0.1/24] rtr [r1 10.77.0.2/24] -- [srv0 10.77.0.1/24] srv"""
    srv, rtr, cli = netns("srv"), netns("rtr"), netns("cli")
    veth(srv, "srv0", rtr, "r1")
    veth(rtr, "r0", cli, "cli0")
    srv.addr("srv0", "10.77.0.1/24")
    rtr.addr("r1", "10.77.0.2/24")
    rtr.addr("r0", "10.78.0.1/24")
    srv.run("ip", "route", "add", "10.78.0.0/24", "via", "10.77.0.2")
    rtr.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
    nb = netbay(srv, server_conf({
        "10.77.0.0/24": "range = 10.77.0.100-10.77.0.199",
        "10.78.0.0/24": "range = 10.78.0.50-10.78.0.60\nrouter = 10.78.0.1\nlease-time = 1h",
    }))
    nb.start()
    # -a: append option 82 (circuit id = the interface), so its echo is exercised
    relay = rtr.popen("dhcrelay", "-4", "-d", "-a", "-iu", "r1", "-id", "r0", "10.77.0.1",
                      log=tmp_path / "dhcrelay.log")
    hook = tmp_path / "hook.sh"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    return srv, rtr, cli, nb, relay, hook


def test_relayed_client_gets_an_address_from_its_subnet(routed, tmp_path):
    srv, rtr, cli, nb, relay, hook = routed
    log = tmp_path / "udhcpc.events"
    env = dict(os.environ, NB_HOOK_LOG=str(log))
    cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "8", "-T", "1", "-s", hook,
            env=env, timeout=40)
    wait_event(log, "bound")
    l = wait_for(lambda: lease_of(nb, if_mac(cli, "cli0")), what="the lease in the store")
    assert l["ip"].startswith("10.78.0."), l
    assert l["ip"] in if_addrs(cli, "cli0")
    assert relay.poll() is None, "dhcrelay died"
    assert "via 10.78.0.1" in nb.log(), "the DISCOVER should have arrived through the relay"
