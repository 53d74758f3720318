"""netbay status: what the running server serves, as a table and --json,
read through the API socket like every other subcommand."""
import json
import re
import time

from conftest import NETBAY, ROOT, sh, veth
from lan import Lan, if_mac, wait_event


def status(nb):
    return json.loads(nb.cli("status", "--json").stdout)


def subnet_row(table, cidr):
    """The numbers of cidr's line in the pool table: size, used, free, bound, offered."""
    m = re.search(rf"^\s+{re.escape(cidr)}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$", table,
                  re.M)
    assert m, table
    return tuple(int(x) for x in m.groups())


def test_status_counts_a_lease(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path)
    # a second served interface, on a network no [subnet] covers
    veth(lan.srv, "dum0", netns("oth"), "oth0")
    lan.srv.addr("dum0", "192.168.77.1/24")
    lan.nb.start()

    s = status(lan.nb)
    assert s["version"] == sh(NETBAY, "version").stdout.split()[1]
    assert s["dhcp"]["mode"] == "auto" and s["dhcp"]["leases"] == 0
    (sub,) = s["dhcp"]["subnets"]
    assert (sub["subnet"], sub["size"], sub["used"], sub["free"], sub["bound"]) == \
        ("10.77.0.0/24", 100, 0, 100, 0)

    env, log = lan.hook_env("c")
    lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", lan.hook,
                env=env, timeout=30)
    wait_event(log, "bound")
    mac = if_mac(lan.cli, "cli0")

    s = status(lan.nb)
    d = s["dhcp"]
    assert d["leases"] == 1
    (sub,) = d["subnets"]
    assert sub == {"subnet": "10.77.0.0/24", "ranges": ["10.77.0.100-10.77.0.199"], "size": 100,
                   "used": 1, "free": 99, "bound": 1, "offered": 0, "declined": 0}, sub
    ifs = {i["interface"]: i for i in d["interfaces"]}
    assert set(ifs) == {"srv0", "dum0"}, ifs
    # auto mode: srv0 was probed and found no other server; dum0 has no [subnet] to probe for
    assert (ifs["srv0"]["address"], ifs["srv0"]["subnet"], ifs["srv0"]["mode"],
            ifs["srv0"]["probe"]) == ("10.77.0.1/24", "10.77.0.0/24", "full", "clear"), ifs
    assert ifs["dum0"]["subnet"] is None and ifs["dum0"]["probe"] is None, ifs
    assert s["dns"]["mode"] == "full" and s["dns"]["listen"] == ["0.0.0.0:53"]
    assert s["dns"]["stats"]["queries"] >= 0
    assert s["tftp"]["enabled"] and s["tftp"]["listen"] == "0.0.0.0:69"
    assert s["http"] == {"enabled": True, "listen": "0.0.0.0:80"}
    assert s["api"]["socket"] == str(lan.nb.sock) and s["api"]["listen"] is None
    assert s["tls"] is None  # no HTTPS listener configured
    assert 0 <= s["uptime"] < 120 and abs(s["started"] + s["uptime"] - time.time()) < 5

    table = lan.nb.cli("status").stdout
    assert subnet_row(table, "10.77.0.0/24") == (100, 1, 99, 1, 0), table
    assert re.search(r"^\s+srv0\s+10\.77\.0\.1/24\s+10\.77\.0\.0/24\s+full \(probe: clear\)$",
                     table, re.M), table
    assert re.search(r"^\s+dum0\s+192\.168\.77\.1/24\s+-\s+full$", table, re.M), table
    assert "DHCP    mode auto, 1 lease in memory" in table
    assert re.search(r"^DNS     full, domain lan, on 0\.0\.0\.0:53$", table, re.M), table
    assert "TFTP    on 0.0.0.0:69" in table and "HTTP    on 0.0.0.0:80" in table
    assert "TLS     no HTTPS listener" in table

    # the numbers follow the pool: a released address is free again
    lan.nb.cli("lease", "release", mac)
    s = status(lan.nb)
    (sub,) = s["dhcp"]["subnets"]
    assert (sub["used"], sub["free"], sub["bound"]) == (0, 100, 0), sub
    assert subnet_row(lan.nb.cli("status").stdout, "10.77.0.0/24") == (100, 0, 100, 0, 0)


def test_status_of_the_packaged_config(netns, netbay):
    """examples/default.conf (what the package installs) serves nothing to the
    network: every service off, no socket but the API's."""
    ns = netns("srv")
    text = (ROOT / "examples" / "default.conf").read_text()
    text = text.replace("data-dir = /var/lib/netbay", "data-dir = @DATA@")
    nb = netbay(ns, text.replace("user = netbay", "user = root"))
    nb.start()
    s = status(nb)
    assert s["dhcp"] == {"mode": "off"}
    assert s["dns"]["mode"] == "off" and s["dns"]["stats"] is None
    assert not s["tftp"]["enabled"] and not s["http"]["enabled"]
    table = nb.cli("status").stdout
    for line in ("DHCP    off", "DNS     off", "TFTP    off", "HTTP    off"):
        assert re.search(rf"^{line}$", table, re.M), table
    listening = ns.run("ss", "-Hlntu").stdout
    assert listening.strip() == "", listening


def test_status_without_a_server(tmp_path):
    r = sh(NETBAY, "status", "--socket", tmp_path / "none.sock", check=False)
    assert r.returncode == 1 and "cannot reach netbay" in r.stderr, r.stderr
    r = sh(NETBAY, "status", "extra", check=False)
    assert r.returncode == 2
