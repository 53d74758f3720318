"""netbay why names what went wrong with a machine's network boot, each
fault set up for real: netbay in one namespace, pxeclient.py as the machine
in another (DHCP with PXE options, then the boot file over TFTP or HTTP),
and `netbay why` asked over the API socket afterwards."""
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from conftest import NETBAY, sh, wait_for
from lan import Lan, server_conf

HERE = Path(__file__).resolve().parent
SUBNET = {"10.77.0.0/24": "range = 10.77.0.100-10.77.0.199\nrouter = 10.77.0.1\nlease-time = 1h"}
X64_UEFI, BIOS = 7, 0


class Site:
    """A LAN with netbay serving a boot root, and a way to boot a machine."""

    def __init__(self, netns, netbay, tmp_path, extra):
        self.root = Path(tmp_path) / "boot"
        self.root.mkdir()
        (self.root / "undionly.kpxe").write_bytes(b"\x55" * 20000)
        (self.root / "ipxe.efi").write_bytes(b"MZ" + b"\x90" * 60000)
        conf = server_conf(SUBNET, extra=f"[tftp]\nroot = {self.root}\n" + extra)
        self.lan = Lan(netns, netbay, tmp_path, conf=conf)
        self.nb = self.lan.nb.start()

    def boot(self, mac, *args, timeout=60):
        """Runs the scripted machine; returns its JSON report. It waits 1 s
        for offers (netbay answers in milliseconds; there is no other server)."""
        if "--timeout" not in args:
            args += ("--timeout", "1")
        r = self.lan.cli.run(sys.executable, HERE / "pxeclient.py", "cli0", mac, *args,
                             timeout=timeout)
        return json.loads(r.stdout)

    def why(self, key):
        """netbay why --json: the API's object."""
        return json.loads(self.nb.cli("why", key, "--json").stdout)

    def why_text(self, key):
        return self.nb.cli("why", key).stdout

    def wait_events(self, key, name, count=1):
        return wait_for(lambda: sum(e["name"] == name for e in self.why(key)["events"]) >= count,
                        timeout=15, what=f"{count} {name} event(s) for {key}")


@pytest.fixture
def site(netns, netbay, tmp_path):
    def make(extra=""):
        return Site(netns, netbay, tmp_path, extra)
    return make


def rules(why):
    return [f["rule"] for f in why["findings"]]


def finding(why, rule):
    found = [f for f in why["findings"] if f["rule"] == rule]
    assert len(found) == 1, why["findings"]
    return found[0]


def evidence(why, f):
    return [why["events"][i] for i in f["evidence"]]


def test_normal_boot_has_no_findings(site):
    s = site()
    mac = "52:54:00:77:00:01"
    first = s.boot(mac, "--arch", X64_UEFI, "--fetch")["runs"][0]
    assert first["boot_file"] == "ipxe.efi" and first["fetch"]["ok"], first
    # then it is iPXE: its own script over HTTP
    second = s.boot(mac, "--arch", X64_UEFI, "--ipxe", "--fetch")["runs"][0]
    assert second["boot_file"].endswith(f"/boot/{mac}.ipxe") and second["fetch"]["ok"], second
    s.wait_events(mac, "http.ipxe_script")
    why = s.why(mac)
    names = [e["name"] for e in why["events"]]
    assert "tftp.complete" in names and "http.ipxe_script" in names
    assert why["findings"] == []
    assert "No problem found" in s.why_text(mac)
    # a machine netbay never saw, and a server that is not there
    r = s.nb.cli("why", "52:54:00:77:99:99", check=False)
    assert r.returncode == 2 and "no device with MAC 52:54:00:77:99:99" in r.stderr
    r = sh(NETBAY, "why", mac, "--socket", s.nb.dir / "nothere.sock", check=False)
    assert r.returncode == 1 and "cannot reach netbay" in r.stderr


def test_missing_boot_file(site):
    s = site("[boot]\nuefi-x64 = efi/nope.efi\n")
    mac = "52:54:00:77:00:02"
    runs = s.boot(mac, "--arch", X64_UEFI, "--fetch", "--repeat", "2")["runs"]
    assert all(r["boot_file"] == "efi/nope.efi" and not r["fetch"]["ok"] for r in runs), runs
    s.wait_events(mac, "tftp.file_missing", 2)
    why = s.why(mac)
    assert rules(why) == ["missing_boot_file"]
    f = finding(why, "missing_boot_file")
    assert f["severity"] == "error"
    assert '"efi/nope.efi"' in f["finding"] and str(s.root) in f["finding"]
    assert "2 times" in f["finding"]
    assert f'Put "efi/nope.efi" into {s.root}' in f["fix"]
    assert {e["name"] for e in evidence(why, f)} == {"tftp.file_missing", "pxe.boot"}
    text = s.why_text(mac)
    assert "ERROR missing_boot_file" in text and "efi/nope.efi" in text
    assert "tftp.file_missing" in text  # the timeline

    # the journey outlives a restart: it is in the database
    s.nb.stop()
    s.nb.start()
    why = s.why(mac)
    assert rules(why) == ["missing_boot_file"]
    assert sum(e["name"] == "tftp.file_missing" for e in why["events"]) == 2


def test_boot_loop(site):
    s = site()
    mac = "52:54:00:77:00:03"
    # the loader arrives every time and the machine starts over, never as iPXE
    runs = s.boot(mac, "--arch", X64_UEFI, "--fetch", "--repeat", "4")["runs"]
    assert all(r["fetch"]["ok"] for r in runs), runs
    s.wait_events(mac, "tftp.complete", 4)
    why = s.why(mac)
    assert rules(why) == ["boot_loop"]
    f = finding(why, "boot_loop")
    assert f["severity"] == "error"
    assert '"ipxe.efi" 4 times' in f["finding"] and "never got further" in f["finding"]
    assert "never takes over" in f["fix"]
    ev = evidence(why, f)
    assert len(ev) == 4 and all(e["name"] == "tftp.complete" for e in ev)
    assert "ERROR boot_loop" in s.why_text(mac)


def test_arch_mismatch(site):
    # the group new machines join gives x64 UEFI clients a BIOS loader
    s = site("[dhcp]\nunknown-devices = approve\ndefault-group = lab\n"
             "[group lab]\nuefi-x64 = undionly.kpxe\n")
    mac = "52:54:00:77:00:04"
    run = s.boot(mac, "--arch", X64_UEFI, "--fetch")["runs"][0]
    assert run["boot_file"] == "undionly.kpxe" and run["fetch"]["ok"], run
    s.wait_events(mac, "tftp.complete")
    why = s.why(mac)
    assert why["device"]["group"] == "lab" and why["device"]["arch"] == "x64 UEFI"
    assert rules(why) == ["arch_mismatch"]
    f = finding(why, "arch_mismatch")
    assert f["severity"] == "error"
    assert "x64 UEFI client" in f["finding"]
    assert '"undionly.kpxe", a BIOS loader' in f["finding"]
    assert f["fix"].startswith("Set uefi-x64")
    names = [e["name"] for e in evidence(why, f)]
    assert "pxe.boot" in names and "tftp.complete" in names
    # a BIOS machine gets the same file rightly: nothing to say about it
    s.boot("52:54:00:77:00:14", "--arch", BIOS)
    assert s.why("52:54:00:77:00:14")["findings"] == []
    assert "ERROR arch_mismatch" in s.why_text(mac)


def test_pending_approval(site):
    s = site("[dhcp]\nunknown-devices = pending\n")
    mac = "52:54:00:77:00:05"
    runs = s.boot(mac, "--arch", X64_UEFI, "--fetch", "--repeat", "2")["runs"]
    assert all(r["boot_file"] == "" for r in runs), runs  # leased, but no boot file
    s.wait_events(mac, "pxe.no_boot", 2)
    why = s.why(mac)
    assert why["device"]["registered"] and why["device"]["state"] == "pending"
    assert rules(why) == ["pending_approval"]
    f = finding(why, "pending_approval")
    assert f["severity"] == "error"
    assert f"netbay device approve {mac}" in f["fix"]
    assert all(e["name"] == "pxe.no_boot" and "pending approval" in e["detail"]
               for e in evidence(why, f))
    # by #ID too
    text = s.why_text(f"#{why['device']['id']}")
    assert "ERROR pending_approval" in text and f"netbay device approve {mac}" in text


def test_uuid_conflict(site):
    s = site()
    a, b = "52:54:00:77:00:06", "52:54:00:77:00:07"
    uuid = "4b1d0c5e-8f2a-4c3b-9d7e-0a1b2c3d4e5f"  # a real-looking one, cloned
    s.boot(a, "--arch", X64_UEFI, "--uuid", uuid)
    s.boot(b, "--arch", X64_UEFI, "--uuid", uuid)
    for me, other in ((a, b), (b, a)):
        s.wait_events(me, "registry.uuid_conflict")
        why = s.why(me)
        assert why["device"]["uuid_conflict"]
        assert rules(why) == ["uuid_conflict"]
        f = finding(why, "uuid_conflict")
        assert f["severity"] == "warning"
        assert uuid in f["finding"] and f"also reported by {other}" in f["finding"]
        assert [e["name"] for e in evidence(why, f)] == ["registry.uuid_conflict"]
    assert "WARNING uuid_conflict" in s.why_text(b)


def test_transfer_stall(site):
    s = site("timeout = 1s\nretries = 1\n")  # [tftp]: give up a silent client fast
    mac = "52:54:00:77:00:08"
    # the machine stops acknowledging after the 3rd block, twice
    s.boot(mac, "--arch", BIOS, "--fetch", "--repeat", "2", "--blksize", "1024",
           "--tftp-stop-after", "3")
    s.wait_events(mac, "tftp.timeout", 2)
    why = s.why(mac)
    assert rules(why) == ["transfer_stall"]
    f = finding(why, "transfer_stall")
    assert '"undionly.kpxe"' in f["finding"] and "2 attempts" in f["finding"]
    assert "block 2 (2048 bytes in)" in f["finding"] and "1024-byte blocks" in f["finding"]
    assert "max-blksize" in f["fix"]


def test_offers_blocked(site):
    s = site()
    mac = "52:54:00:77:00:09"
    # the machine's side drops every DHCP reply
    s.lan.cli.run("nft", "-f", "-", input="table inet nbwhy {\n chain in {\n"
                  "  type filter hook input priority 0;\n  udp dport 68 drop\n }\n}\n")
    runs = s.boot(mac, "--arch", X64_UEFI, "--repeat", "3", "--timeout", "1")["runs"]
    assert all(r["offers"] == [] for r in runs)
    s.wait_events(mac, "dhcp.offer", 3)
    why = s.why(mac)
    assert rules(why) == ["offer_unanswered"]
    f = finding(why, "offer_unanswered")
    assert "3 times in a row" in f["finding"] and "UDP port 68" in f["fix"]


def test_plain_dhcp_client_is_not_stored(site):
    """A machine that does not network-boot costs the database nothing."""
    s = site()
    env, log = s.lan.hook_env("udhcpc")
    s.lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-t", "5", "-T", "1", "-s", s.lan.hook,
                  env=env, timeout=30)
    s.boot("52:54:00:77:00:0a", "--arch", X64_UEFI)  # and one that does, for contrast
    s.nb.stop()  # commits
    db = sqlite3.connect(f"file:{s.nb.data}/netbay.db?mode=ro", uri=True)
    try:
        macs = {m for (m,) in db.execute("SELECT DISTINCT hex(mac) FROM events")}
    finally:
        db.close()
    assert macs == {"52540077000A"}
