"""Test LANs for `netbay doctor`: a bridge segment with the server (netbay,
and dnsmasq as a DNS and TFTP stand-in) and a client namespace that runs
the doctor. The client's resolv.conf and hosts come from
/etc/netns/<client namespace>/, which `ip netns exec` mounts over /etc for
that namespace only; the directory is removed when the test ends."""
import json
import os
import shutil
from pathlib import Path

from conftest import NETBAY, wait_for
from vm import Segment

SRV = "10.77.0.1"
CLI = "10.77.0.50"
SUBNET = f"""range = 10.77.0.100-10.77.0.199
router = {SRV}
dns = {SRV}
domain = lan
lease-time = 1h
"""


# netbay's own DNS: its name, reverse name (from the server's address) and a KMS SRV
NETBAY_DNS = "domain = lan\nrecord = _vlmcs._tcp SRV 0 0 1688 netbay.lan\n"


def netbay_conf(boot_root, bios="undionly.kpxe", subnet=SUBNET, extra="", dns="mode = off\n"):
    """dns: the [dns] block; off by default, where dnsmasq stands in as the
    LAN's DNS server so that a test can make it lie."""
    return (f"[server]\nname = netbay\ndata-dir = @DATA@\nlog-level = debug\n"
            f"[api]\nsocket = @SOCK@\n[tftp]\nroot = {boot_root}\n[boot]\nbios = {bios}\n"
            f"[dns]\n{dns}"
            f"[subnet 10.77.0.0/24]\n{subnet}\n{extra}")


class DoctorLan:
    """seg: a bridge; srv (SRV/24 on eth0); cli (CLI/24 on eth0) runs the doctor."""

    def __init__(self, netns, tmp, srv_cidr=f"{SRV}/24", cli_cidr=f"{CLI}/24"):
        self.netns = netns
        self.tmp = Path(tmp)
        self.seg = Segment(netns)
        self.srv = netns("srv")
        self.seg.attach(self.srv, "eth0", srv_cidr)
        self.cli = netns("cli")
        self.seg.attach(self.cli, "eth0", cli_cidr)
        self.etc = Path("/etc/netns") / self.cli.name
        self.boot = self.tmp / "boot"
        self.boot.mkdir(exist_ok=True)
        self.resolvers(SRV)

    def resolvers(self, *servers, search="lan"):
        self.etc.mkdir(parents=True, exist_ok=True)
        lines = [f"search {search}"] + [f"nameserver {s}" for s in servers]
        (self.etc / "resolv.conf").write_text("\n".join(lines) + "\n")
        (self.etc / "hosts").write_text("127.0.0.1 localhost\n")

    def dnsmasq(self, host, listen, *args, tag="dnsmasq"):
        """dnsmasq on one address of host: DNS on 53 (records from args),
        DHCP only if args ask for it."""
        log = self.tmp / f"{tag}.log"
        p = host.popen("dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts",
                          f"--listen-address={listen}", "--bind-interfaces",
                          "--log-queries", "--log-facility=-", "--user=root",
                          f"--pid-file={self.tmp / (tag + '.pid')}", *args, log=log)
        wait_for(lambda: "started, version" in log.read_text() or p.poll() is not None,
                 what=f"{tag} to start")
        assert p.poll() is None, log.read_text()
        return p

    def server_dns(self, addr=SRV):
        """The LAN's DNS on srv (netbay serves TFTP itself): netbay's name, reverse
        name and a KMS SRV."""
        extra = []
        return self.dnsmasq(self.srv, addr, f"--host-record=netbay.lan,netbay,{addr}",
                            "--srv-host=_vlmcs._tcp.lan,netbay.lan,1688", *extra)

    def doctor(self, *args, env=None, timeout=60):
        """Runs `netbay doctor --json` in cli; returns (exit status, report, checks by name)."""
        e = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        e.update(env or {})
        r = self.cli.run(NETBAY, "doctor", "--json", "--timeout", "1", "--dhcp-wait", "2",
                         *args, check=False, env=e, timeout=timeout)
        assert r.returncode in (0, 1), f"doctor exited {r.returncode}: {r.stderr}"
        rep = json.loads(r.stdout)
        return r.returncode, rep, {c["name"]: c for c in rep["checks"]}

    def nft(self, host, rules):
        host.run("nft", "-f", "-", input=rules)

    def close(self):
        shutil.rmtree(self.etc, ignore_errors=True)


def show(checks):
    """The report as people read it, for assertion messages."""
    return "\n".join(f"{c['status']} {c['name']}: {c['finding']}\n  " + "\n  ".join(c["evidence"])
                     for c in checks.values())
