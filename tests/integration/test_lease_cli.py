"""netbay lease list and release, through the CLI and the API socket."""
import json

from conftest import wait_for
from lan import Lan, if_mac, lease_of, wait_event


def test_list_and_release(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    env, log = lan.hook_env("c")
    lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1",
                "-x", "hostname:delta", "-s", lan.hook, env=env, timeout=30)
    wait_event(log, "bound")
    mac = if_mac(lan.cli, "cli0")

    leases = json.loads(lan.nb.cli("lease", "list", "--json").stdout)
    assert [(l["mac"], l["hostname"], l["state"]) for l in leases] == [(mac, "delta", "bound")]
    ip = leases[0]["address"]
    table = lan.nb.cli("lease", "list").stdout
    assert "ADDRESS" in table.splitlines()[0]
    assert ip in table and mac in table and "delta" in table and "1 lease" in table

    r = lan.nb.cli("lease", "release", mac)  # by MAC: every bound lease of it
    assert f"released {ip}" in r.stdout
    assert lease_of(lan.nb, mac)["state"] == "released"  # durable before the answer
    r = lan.nb.cli("lease", "release", ip, check=False)
    assert r.returncode == 1 and "404" in r.stderr
    r = lan.nb.cli("lease", "release", "not-an-address", check=False)
    assert r.returncode == 2
