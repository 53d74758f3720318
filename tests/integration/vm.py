"""Network-booting QEMU machines in namespaces.

A segment namespace holds a bridge with the VM's tap on it; hosts (netbay,
another DHCP server, a relay) are attached to the bridge by veth pairs.
QEMU runs under TCG (no KVM here): a BIOS machine boots with QEMU's iPXE
NIC ROM, a UEFI machine with OVMF's own PXE stack (the NIC's iPXE ROM is
left out), so it loads ipxe.efi over TFTP first and iPXE then fetches its
script. A test waits until netbay's journal, read through the API, shows
the machine's own /boot/MAC.ipxe was fetched, then stops QEMU by PID.
"""
import json
import shutil
import urllib.parse
from pathlib import Path

from conftest import sh, stop_process, veth, wait_for

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS.fd"
LOADERS = {"undionly.kpxe": "/usr/lib/ipxe/undionly.kpxe", "ipxe.efi": "/boot/ipxe.efi"}


class Segment:
    """One L2 segment: a bridge in its own namespace."""

    def __init__(self, netns):
        self.ns = netns("seg")
        self.ns.run("ip", "link", "add", "br0", "type", "bridge")
        self.ns.up("br0")
        self.ports = 0

    def attach(self, host, ifname, cidr=None):
        self.ports += 1
        port = f"p{self.ports}"
        veth(self.ns, port, host, ifname)
        self.ns.run("ip", "link", "set", port, "master", "br0")
        if cidr:
            host.addr(ifname, cidr)
        return ifname

    def vm(self, kind, mac, tmp, name="vm"):
        """Starts a machine that network-boots (kind 'bios' or 'uefi')."""
        tap = f"tap{self.ports}"
        self.ports += 1
        self.ns.run("ip", "tuntap", "add", tap, "mode", "tap")
        self.ns.run("ip", "link", "set", tap, "master", "br0")
        self.ns.up(tap)
        tmp = Path(tmp)
        cmd = ["qemu-system-x86_64", "-machine", "pc", "-accel", "tcg", "-m", "256",
               "-nographic", "-nodefaults", "-monitor", "none",
               "-serial", f"file:{tmp / (name + '.serial')}",
               "-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no"]
        if kind == "bios":
            cmd += ["-boot", "n", "-device", f"virtio-net-pci,netdev=n0,mac={mac}"]
        else:
            vars_copy = tmp / f"{name}-vars.fd"
            shutil.copy(OVMF_VARS, vars_copy)
            cmd += ["-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
                    "-drive", f"if=pflash,format=raw,file={vars_copy}",
                    # OVMF's own PXE stack, not the NIC's iPXE ROM
                    "-device", f"virtio-net-pci,netdev=n0,mac={mac},romfile="]
        return self.ns.popen(*cmd, log=tmp / f"{name}.qemu")


def boot_root(tmp):
    """A boot root with the real loaders from Debian's ipxe package."""
    root = Path(tmp) / "boot"
    root.mkdir(exist_ok=True)
    for name, src in LOADERS.items():
        shutil.copy(src, root / name)
    # what the per-device script chains to; prints a marker the test can read
    (root / "default.ipxe").write_text("#!ipxe\necho NETBAY-BOOTED ${mac}\n")
    return root


def start_dnsmasq(ns, tmp_path, wait=True):
    """The network's own DHCP server beside netbay (10.77.0.0/24 on eth0):
    addresses only, from 10.77.0.50-60. Returns its process once it serves."""
    tmp_path = Path(tmp_path)
    log = tmp_path / "dnsmasq.log"
    p = ns.popen("dnsmasq", "--keep-in-foreground", "--log-facility=-", "--port=0",
                 "--no-resolv", "--no-hosts",
                 "--interface=eth0", "--bind-interfaces", "--no-ping", "--log-dhcp",
                 "--dhcp-range=10.77.0.50,10.77.0.60,1h",
                 f"--dhcp-leasefile={tmp_path / 'dnsmasq.leases'}",
                 f"--pid-file={tmp_path / 'dnsmasq.pid'}", log=log)
    if wait:
        wait_for(lambda: "DHCP, IP range" in (log.read_text() if log.exists() else "")
                 or p.poll() is not None, timeout=10, what="dnsmasq to serve")
        assert p.poll() is None, log.read_text()
    return p


def events(nb, mac):
    """The device's journal events, through the API socket."""
    out = sh("curl", "-s", "--unix-socket", nb.sock,
             f"http://netbay/api/v1/devices/{urllib.parse.quote(mac)}/journal", check=False)
    try:
        return json.loads(out.stdout).get("events", [])
    except (ValueError, AttributeError):
        return []


def wait_booted(nb, mac, proc, timeout=240):
    """Until the machine has fetched its own script; returns its events."""
    def fetched():
        assert proc.poll() is None, f"qemu exited with {proc.returncode}"
        ev = events(nb, mac)
        return ev if any(e["name"] == "http.ipxe_script" for e in ev) else None
    try:
        return wait_for(fetched, timeout=timeout, interval=1.0,
                        what=f"{mac} to fetch /boot/{mac}.ipxe")
    finally:
        stop_process(proc)
