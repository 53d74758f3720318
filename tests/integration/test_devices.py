"""The device registry end to end: scripted network-boot clients
(pxeclient.py) against netbay in namespaces, changed through `netbay
device`, each change taking effect on the client's next request."""
import json
import signal
from pathlib import Path

from conftest import wait_for
from lan import Lan, server_conf

PXE = Path(__file__).resolve().parent / "pxeclient.py"
SUBNET = {"10.77.0.0/24": "range = 10.77.0.100-10.77.0.199\nrouter = 10.77.0.1\nlease-time = 1h"}
UUID = "4c4c4544-0037-4410-8052-b4c04f4b4e32"  # a real-looking Dell-style UUID


def boot_conf(tmp, policy):
    root = Path(tmp) / "boot"
    root.mkdir(exist_ok=True)
    # sizes differ, so a fetch proves which file came
    (root / "default.kpxe").write_bytes(b"D" * 3000)
    (root / "lab.kpxe").write_bytes(b"L" * 5000)
    return server_conf(SUBNET, extra=f"""
[dhcp]
unknown-devices = {policy}
[tftp]
root = {root}
[boot]
bios = default.kpxe
[group lab]
bios = lab.kpxe
""")


def pxe(lan, mac, uuid=None):
    """One scripted BIOS PXE boot of mac: DHCP, then the boot file over TFTP."""
    args = [PXE, "cli0", mac, "--arch", "0", "--fetch", "--timeout", "1.5"]
    if uuid:
        args += ["--uuid", uuid]
    r = lan.cli.run("python3", *args, timeout=30)
    run = json.loads(r.stdout)["runs"][0]
    assert "ack" in run, f"no address for {mac}: {run}"
    return run


def devices(nb, *args):
    return json.loads(nb.cli("device", "list", "--json", *args).stdout)


def journal(nb, key):
    r = nb.cli("device", "show", key, "--json")
    return [e["name"] for e in json.loads(r.stdout)["journal"]]


def test_pending_device_boots_once_approved(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path, conf=boot_conf(tmp_path, "pending"))
    lan.nb.start()
    mac = "52:54:00:d0:00:01"

    run = pxe(lan, mac)
    assert run["boot_file"] == "" and "fetch" not in run  # an address, no loader
    [d] = devices(lan.nb)
    assert d["macs"] == [mac] and d["state"] == "pending" and d["arch"] == 0
    assert d["boot"]["verdict"] == "wait"
    assert devices(lan.nb, "--state", "pending") == [d]
    assert "pxe.no_boot" in journal(lan.nb, mac)
    table = lan.nb.cli("device", "list").stdout
    assert mac in table and "pending" in table and "1 device" in table

    out = lan.nb.cli("device", "approve", mac).stdout
    assert "approved device #" in out
    run = pxe(lan, mac)  # the next request boots
    assert run["boot_file"] == "default.kpxe"
    assert run["fetch"] == {"ok": True, "size": 3000, "blocks": 3}
    [d] = devices(lan.nb)
    assert d["state"] == "approved" and d["boot"]["verdict"] == "boot"


def test_moving_a_device_changes_its_boot_file(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path, conf=boot_conf(tmp_path, "pending"))
    lan.nb.start()
    mac = "52:54:00:d0:00:02"
    lan.nb.cli("device", "add", "--mac", mac.replace(":", "-"), "--name", "bench", "--approve")
    assert pxe(lan, mac)["fetch"]["size"] == 3000

    out = lan.nb.cli("device", "set", "bench", "--group", "lab").stdout
    assert "changed device #" in out
    run = pxe(lan, mac)
    assert run["boot_file"] == "lab.kpxe" and run["fetch"]["size"] == 5000
    show = json.loads(lan.nb.cli("device", "show", "bench", "--json").stdout)
    assert show["group"] == "lab" and show["boot"]["profile"]["bios"] == "lab.kpxe"
    # and back out of the group
    lan.nb.cli("device", "set", "bench", "--group", "")
    assert pxe(lan, mac)["boot_file"] == "default.kpxe"


def test_shared_uuid_is_served_by_mac_and_reported(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path, conf=boot_conf(tmp_path, "approve"))
    lan.nb.start()
    a, b = "52:54:00:d0:00:0a", "52:54:00:d0:00:0b"
    lan.nb.cli("device", "add", "--mac", a, "--name", "alpha", "--uuid", UUID, "--group", "lab",
               "--approve")
    assert pxe(lan, a, UUID)["boot_file"] == "lab.kpxe"

    # a second machine reports the same UUID: it is its own device, not alpha
    run = pxe(lan, b, UUID)
    assert run["boot_file"] == "default.kpxe" and run["fetch"]["size"] == 3000
    # and alpha, by its MAC, still boots its group's loader
    assert pxe(lan, a, UUID)["fetch"]["size"] == 5000
    assert pxe(lan, b, UUID)["boot_file"] == "default.kpxe"

    ds = {d["macs"][0]: d for d in devices(lan.nb)}
    assert set(ds) == {a, b}
    assert ds[a]["name"] == "alpha" and ds[b]["name"] == ""
    assert all(d["uuid"] == UUID and d["uuid_conflict"] for d in ds.values())
    for mac in (a, b):
        assert "registry.uuid_conflict" in journal(lan.nb, mac)
    table = lan.nb.cli("device", "list").stdout
    assert table.count("UUID CONFLICT") == 2
    assert "2 with a UUID another device also reports" in table
    assert "CONFLICT" in lan.nb.cli("device", "show", "alpha").stdout
    # the UUID names neither device any more
    r = lan.nb.cli("device", "show", UUID, check=False)
    assert r.returncode == 1 and "reported by several devices" in r.stderr
    assert "SMBIOS UUID " + UUID in lan.nb.log()


def test_import_with_bad_rows_imports_nothing(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path, conf=boot_conf(tmp_path, "pending"))
    lan.nb.start()
    csv = tmp_path / "devices.csv"
    good = ["mac,name,uuid,group",
            "52:54:00:d0:00:21,node1,,lab",
            "52-54-00-D0-00-22,node2,44454c4c-3800-1034-8052-b4c04f4b4e32,",
            "5254.00d0.0023,node3,,lab"]

    # one bad row: an unknown group (only the server knows); named by its line
    csv.write_text("\n".join(good[:3] + ["52:54:00:d0:00:24,node4,,nolab"] + good[3:]) + "\n")
    r = lan.nb.cli("device", "import", csv, check=False)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"{csv}:4: no [group nolab] is configured",
                                     f"{csv}: 1 bad line; nothing imported"]
    assert devices(lan.nb) == []

    # one bad row the CLI finds: the server sees only a dry run
    csv.write_text("\n".join(good + ["52:54:00:d0:00:2z,node9,,"]) + "\n")
    r = lan.nb.cli("device", "import", csv, check=False)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [f"{csv}:5: mac '52:54:00:d0:00:2z' is not a MAC address",
                                     f"{csv}: 1 bad line; nothing imported"]
    assert devices(lan.nb) == []

    # every bad row, whether the CLI or the server finds it
    csv.write_text("\n".join(good + [
        "52:54:00:d0:00:25,node5,not-a-uuid,",     # 5: syntax
        "52:54:00:d0:00:21,node6,,",               # 6: MAC of row 2
        "52:54:00:d0:00:27,NODE1,,",               # 7: name of row 2
        "zz:zz,node8,,",                           # 8: syntax
        "52:54:00:d0:00:29,node9,,nolab",          # 9: unknown group
    ]) + "\n")
    r = lan.nb.cli("device", "import", csv, check=False)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[-1] == f"{csv}: 5 bad lines; nothing imported"
    assert sorted(lines[:-1]) == sorted([
        f"{csv}:5: uuid 'not-a-uuid' is not a UUID",
        f"{csv}:6: MAC 52:54:00:d0:00:21 is also in an earlier row (line 2)",
        f"{csv}:7: name NODE1 is also in an earlier row (line 2)",
        f"{csv}:8: mac 'zz:zz' is not a MAC address",
        f"{csv}:9: no [group nolab] is configured",
    ])
    assert devices(lan.nb) == []

    # the good rows import; an imported device boots its group's loader
    csv.write_text("\r\n".join(good) + "\r\n")
    r = lan.nb.cli("device", "import", csv)
    assert "imported 3 devices (3 added, 0 updated)" in r.stdout
    ds = devices(lan.nb)
    assert [(d["name"], d["state"], d["group"]) for d in ds] == [
        ("node1", "approved", "lab"), ("node2", "approved", ""), ("node3", "approved", "lab")]
    assert pxe(lan, "52:54:00:d0:00:21")["fetch"]["size"] == 5000

    # export writes the same format, and it round-trips
    out = tmp_path / "export.csv"
    lan.nb.cli("device", "export", out)
    assert out.read_text().splitlines() == [
        "mac,name,uuid,group",
        "52:54:00:d0:00:21,node1,,lab",
        "52:54:00:d0:00:22,node2,44454c4c-3800-1034-8052-b4c04f4b4e32,",
        "52:54:00:d0:00:23,node3,,lab"]
    r = lan.nb.cli("device", "import", out)
    assert "(0 added, 3 updated)" in r.stdout
    assert [(d["name"], d["group"], d["uuid"]) for d in devices(lan.nb)] == \
        [(d["name"], d["group"], d["uuid"]) for d in ds]
    # the SMBIOS byte order both ways
    smb = tmp_path / "smbios.csv"
    lan.nb.cli("device", "export", smb, "--uuid-order", "smbios")
    assert "52:54:00:d0:00:22,node2,4c4c4544-0038-3410-8052-b4c04f4b4e32," in smb.read_text()
    lan.nb.cli("device", "import", smb, "--uuid-order", "smbios")
    assert devices(lan.nb)[1]["uuid"] == "44454c4c-3800-1034-8052-b4c04f4b4e32"
    r = lan.nb.cli("device", "import", smb, check=False)  # read as wire order: another UUID
    assert r.returncode == 0
    assert devices(lan.nb)[1]["uuid"] == "4c4c4544-0038-3410-8052-b4c04f4b4e32"


def test_device_name_survives_a_reload(netns, netbay, tmp_path):
    """A named device's DNS name is the registry's, not the config's: a
    SIGHUP that reloads [host] names must not withdraw it."""
    lan = Lan(netns, netbay, tmp_path, conf=boot_conf(tmp_path, "approve"))
    lan.nb.start()
    mac = "52:54:00:d0:00:09"
    ip = pxe(lan, mac)["ack"]["yiaddr"]
    lan.nb.cli("device", "set", mac, "--name", "lab9")

    def answer():
        return lan.cli.run("dig", "+short", "+time=2", "+tries=1", "@10.77.0.1",
                           "lab9.lan").stdout.strip()

    assert answer() == ip
    before = lan.nb.log().count("configuration applied")
    lan.nb.signal(signal.SIGHUP)
    wait_for(lambda: lan.nb.log().count("configuration applied") > before, what="the reload")
    assert answer() == ip
