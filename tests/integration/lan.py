"""Test LANs: a netbay server and DHCP clients in namespaces, and ways to
read what the server stored."""
import os
import sqlite3
import subprocess
import time
from pathlib import Path

from conftest import veth, wait_for

# One hook script for every client: it logs what the client did and applies
# the address (udhcpc and dhclient leave that to their script), and never
# touches the host's files (a namespace shares /etc with the host).
HOOK = r"""#!/bin/sh
log="$NB_HOOK_LOG"
ev="${reason:-$1}"
addr="${new_ip_address:-$ip}"
# the event is logged once the address is in place: tests wait for it
case "$ev" in
bound|renew|BOUND|RENEW|REBIND|REBOOT)
	if [ -n "$ip" ]; then ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface"; fi
	if [ -n "$new_ip_address" ] && [ -z "$NB_HOOK_NOADDR" ]; then
		ip addr flush dev "$interface"; ip addr add "$new_ip_address/${new_subnet_mask:-255.255.255.0}" dev "$interface"
	fi ;;
deconfig|RELEASE|EXPIRE|STOP) ip addr flush dev "$interface" 2>/dev/null ;;
esac
echo "$ev $addr" >>"$log"
exit 0
"""


def server_conf(subnets, extra=""):
    """A netbay config with the given [subnet] bodies ({cidr: text})."""
    out = ["[server]", "data-dir = @DATA@", "log-level = debug", "[api]", "socket = @SOCK@"]
    for cidr, body in subnets.items():
        out += [f"[subnet {cidr}]", body.strip()]
    return "\n".join(out) + "\n" + extra


class Lan:
    """srv (10.77.0.1/24 on srv0) -- cli (cli0, no address yet)."""

    def __init__(self, netns, netbay, tmp_path, conf=None, mtu=None):
        self.srv = netns("srv")
        self.cli = netns("cli")
        veth(self.srv, "srv0", self.cli, "cli0", mtu=mtu)
        self.srv.addr("srv0", "10.77.0.1/24")
        self.tmp = Path(tmp_path)
        self.hook = self.tmp / "hook.sh"
        self.hook.write_text(HOOK)
        self.hook.chmod(0o755)
        self.nb = netbay(self.srv, conf or server_conf({"10.77.0.0/24": """
range = 10.77.0.100-10.77.0.199
router = 10.77.0.1
dns = 10.77.0.1
domain = lan
lease-time = 1h
"""}))

    def hook_env(self, name):
        log = self.tmp / f"{name}.events"
        env = dict(os.environ, NB_HOOK_LOG=str(log))
        return env, log


def leases(nb):
    """The server's lease rows (the database is WAL: safe to read beside it)."""
    db = sqlite3.connect(f"file:{nb.data}/netbay.db?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute("SELECT addr, hex(mac), hostname, expires, state FROM leases").fetchall()
    finally:
        db.close()
    out = []
    for addr, mac, host, expires, state in rows:
        ip = ".".join(str((addr >> s) & 255) for s in (24, 16, 8, 0))
        mac = ":".join(mac[i:i + 2] for i in range(0, 12, 2)).lower()
        out.append({"ip": ip, "mac": mac, "hostname": host, "expires": expires,
                    "state": {1: "bound", 2: "released", 3: "declined"}[state]})
    return out


def lease_of(nb, mac):
    for l in leases(nb):
        if l["mac"] == mac:
            return l
    return None


def if_mac(ns, ifname):
    return ns.run("cat", f"/sys/class/net/{ifname}/address").stdout.strip()


def if_addrs(ns, ifname):
    out = ns.run("ip", "-4", "-o", "addr", "show", "dev", ifname).stdout
    return [l.split()[3].split("/")[0] for l in out.splitlines()]


def events(log):
    try:
        return Path(log).read_text().split("\n")
    except FileNotFoundError:
        return []


RAW = str(Path(__file__).with_name("dhcpraw.py"))


class Sniffer:
    """Every DHCP reply seen on ns's ifname, as dicts (dhcpraw.py sniff)."""

    def __init__(self, ns, ifname, path):
        self.path = Path(path)
        ns.popen("/usr/bin/python3", RAW, "sniff", ifname, self.path,
                 log=self.path.with_suffix(".log"))
        wait_for(lambda: self.path.exists() and "ready" in self.path.read_text(),
                 timeout=20, what="the sniffer")

    def seen(self):
        import json
        return [json.loads(l) for l in self.path.read_text().splitlines() if l.startswith("{")]

    def replies(self):
        return [r for r in self.seen() if r["op"] == 2]

    def wait(self, pred, what, timeout=20):
        return wait_for(lambda: [r for r in self.replies() if pred(r)], timeout=timeout, what=what)


def assert_table3(r):
    """RFC 2131 4.3.1 Table 3, for one captured reply."""
    assert r["hops"] == 0 and r["secs"] == 0, r
    assert r["server_id"], r
    assert not {50, 55, 57} & set(r["codes"]), r
    if r["type"] == "NAK":
        assert r["ciaddr"] == r["yiaddr"] == r["siaddr"] == "0.0.0.0" and not r["lease_time"], r
    if r["type"] == "OFFER":
        assert r["ciaddr"] == "0.0.0.0" and r["lease_time"], r
    assert r["len"] <= 576, r  # none of these clients sends a larger option 57


def wait_event(log, word, timeout=20):
    return wait_for(lambda: any(l.split(" ")[0] == word for l in events(log)),
                    timeout=timeout, what=f"client event {word} in {log}")
