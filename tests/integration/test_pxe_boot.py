"""Real machines boot over the network from netbay: QEMU under TCG with a
BIOS (QEMU's iPXE NIC ROM) or UEFI (OVMF's PXE stack, then ipxe.efi over
TFTP) firmware, with netbay as the DHCP server, as a proxyDHCP beside a
separate dnsmasq that only hands out addresses, and behind a relay. Each
boot ends with the machine fetching its own /boot/MAC.ipxe from netbay."""
import pytest

from conftest import have
from lan import leases, server_conf
from vm import Segment, boot_root, start_dnsmasq, wait_booted

pytestmark = pytest.mark.skipif(not have("qemu-system-x86_64"), reason="needs QEMU")

SUBNET = "range = 10.77.0.100-10.77.0.199\nrouter = 10.77.0.1\nlease-time = 1h"


def boot_conf(tmp, subnets, extra=""):
    root = boot_root(tmp)
    return server_conf(subnets, extra=f"[tftp]\nroot = {root}\n" + extra)


def names(evs):
    return [e["name"] for e in evs]


def test_bios_full_mode(netns, netbay, tmp_path):
    seg = Segment(netns)
    srv = netns("srv")
    seg.attach(srv, "eth0", "10.77.0.1/24")
    nb = netbay(srv, boot_conf(tmp_path, {"10.77.0.0/24": SUBNET}))
    nb.start()
    mac = "52:54:00:b0:00:01"
    evs = wait_booted(nb, mac, seg.vm("bios", mac, tmp_path))
    n = names(evs)
    # QEMU's BIOS NIC ROM is iPXE: its first request already gets the script URL
    assert "dhcp.ack" in n and "http.ipxe_script" in n
    boots = [e["detail"] for e in evs if e["name"] == "pxe.boot"]
    assert boots and all(f"/boot/{mac}.ipxe" in d for d in boots)
    assert any(e["name"] == "http.fetch" and "default.ipxe" in e["detail"] for e in evs)


def proxy_lan(netns, netbay, tmp_path, conf=None):
    """A segment where dnsmasq (10.77.0.2) leases the addresses and netbay
    (10.77.0.1) runs in proxy mode (or with conf)."""
    seg = Segment(netns)
    srv, other = netns("srv"), netns("dnsm")
    seg.attach(srv, "eth0", "10.77.0.1/24")
    seg.attach(other, "eth0", "10.77.0.2/24")
    start_dnsmasq(other, tmp_path)
    nb = netbay(srv, conf or boot_conf(tmp_path, {}, extra="[dhcp]\nmode = proxy\n"))
    nb.start()
    return seg, nb


def test_bios_proxy_mode_beside_dnsmasq(netns, netbay, tmp_path):
    """dnsmasq leases the addresses; netbay only adds the boot information."""
    seg, nb = proxy_lan(netns, netbay, tmp_path)
    mac = "52:54:00:b0:00:02"
    evs = wait_booted(nb, mac, seg.vm("bios", mac, tmp_path))
    n = names(evs)
    assert "dhcp.proxy_request" in n and "http.ipxe_script" in n
    assert "dhcp.ack" not in n  # netbay leased nothing
    # the address came from dnsmasq
    script = [e for e in evs if e["name"] == "http.ipxe_script"][0]
    assert script["ip"].startswith("10.77.0.5") or script["ip"] == "10.77.0.60", script
    assert mac in (tmp_path / "dnsmasq.leases").read_text()
    assert "proxy mode" in nb.log()


@pytest.mark.skipif(not have("dhcrelay"), reason="needs dhcrelay")
def test_bios_through_a_relay(netns, netbay, tmp_path):
    """The machine's segment is 10.78.0.0/24 behind a router running
    dhcrelay; netbay is on 10.77.0.0/24."""
    seg = Segment(netns)
    srv, rtr = netns("srv"), netns("rtr")
    seg.attach(rtr, "r0", "10.78.0.1/24")
    from conftest import veth
    veth(rtr, "r1", srv, "eth0")
    rtr.addr("r1", "10.77.0.2/24")
    srv.addr("eth0", "10.77.0.1/24")
    srv.run("ip", "route", "add", "10.78.0.0/24", "via", "10.77.0.2")
    rtr.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
    nb = netbay(srv, boot_conf(tmp_path, {
        "10.77.0.0/24": "range = 10.77.0.100-10.77.0.199",
        "10.78.0.0/24": "range = 10.78.0.100-10.78.0.199\nrouter = 10.78.0.1\nlease-time = 1h",
    }))
    nb.start()
    rtr.popen("dhcrelay", "-4", "-d", "-iu", "r1", "-id", "r0", "10.77.0.1",
              log=tmp_path / "dhcrelay.log")
    mac = "52:54:00:b0:00:03"
    evs = wait_booted(nb, mac, seg.vm("bios", mac, tmp_path))
    script = [e for e in evs if e["name"] == "http.ipxe_script"][0]
    assert script["ip"].startswith("10.78.0."), script  # its address came from the relayed subnet
    assert any("via 10.78.0.1" in e["detail"] for e in evs if e["name"] == "dhcp.discover")


def test_uefi_full_mode(netns, netbay, tmp_path):
    """OVMF's PXE stack (arch 7) loads ipxe.efi over TFTP; iPXE then gets its script."""
    seg = Segment(netns)
    srv = netns("srv")
    seg.attach(srv, "eth0", "10.77.0.1/24")
    nb = netbay(srv, boot_conf(tmp_path, {"10.77.0.0/24": SUBNET}))
    nb.start()
    mac = "52:54:00:e0:00:01"
    evs = wait_booted(nb, mac, seg.vm("uefi", mac, tmp_path), timeout=300)
    boots = [e["detail"] for e in evs if e["name"] == "pxe.boot"]
    # first the firmware: x64 UEFI gets the loader over TFTP
    assert any(d.startswith("x64 UEFI: ipxe.efi") for d in boots), boots
    assert any(e["name"] == "tftp.complete" and "ipxe.efi" in e["detail"] for e in evs)
    # then iPXE: its own script, never the loader again
    assert any("iPXE" in d and f"/boot/{mac}.ipxe" in d for d in boots), boots
    assert "http.ipxe_script" in names(evs)


def test_uefi_proxy_mode_beside_dnsmasq(netns, netbay, tmp_path):
    seg, nb = proxy_lan(netns, netbay, tmp_path)
    mac = "52:54:00:e0:00:02"
    evs = wait_booted(nb, mac, seg.vm("uefi", mac, tmp_path), timeout=300)
    n = names(evs)
    assert "dhcp.ack" not in n  # the addresses are dnsmasq's
    assert any(e["name"] == "tftp.complete" and "ipxe.efi" in e["detail"] for e in evs)
    assert "http.ipxe_script" in n
    assert mac in (tmp_path / "dnsmasq.leases").read_text()


def test_uefi_auto_mode_beside_dnsmasq(netns, netbay, tmp_path):
    """The default mode, with a [subnet] for the segment, started beside
    dnsmasq: netbay finds it, leases nothing, and the machine still boots."""
    conf = boot_conf(tmp_path, {"10.77.0.0/24": SUBNET})  # no mode: auto
    seg, nb = proxy_lan(netns, netbay, tmp_path, conf=conf)
    assert "first probe done: proxy on eth0 (beside 10.77.0.2)" in nb.log()
    mac = "52:54:00:e0:00:03"
    evs = wait_booted(nb, mac, seg.vm("uefi", mac, tmp_path), timeout=300)
    n = names(evs)
    assert "dhcp.ack" not in n and "dhcp.offer" not in n  # no address from netbay
    assert "dhcp.foreign_server" in n and "dhcp.proxy_request" in n
    assert any(e["name"] == "tftp.complete" and "ipxe.efi" in e["detail"] for e in evs)
    assert "http.ipxe_script" in n
    assert mac in (tmp_path / "dnsmasq.leases").read_text()
    assert leases(nb) == []
    why = nb.cli("why", mac).stdout
    assert "Another DHCP server, 10.77.0.2, answers on eth0" in why, why
