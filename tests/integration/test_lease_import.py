"""netbay lease import: a file from another server goes in whole or not at all."""
import sqlite3
import subprocess
import time

from conftest import NETBAY


def run_import(tmp_path, rows, *extra):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    conf = tmp_path / "netbay.conf"
    conf.write_text(f"[server]\ndata-dir = {data}\n[subnet 10.88.0.0/16]\nrange = 10.88.1.0-10.88.9.255\n")
    csv = tmp_path / "leases.csv"
    csv.write_text("".join(r + "\n" for r in rows))
    p = subprocess.run([NETBAY, "lease", "import", "-c", str(conf), *extra, str(csv)],
                       capture_output=True, text=True, timeout=60)
    return p, data / "netbay.db"


def stored(db):
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT addr, hex(mac), hostname FROM leases ORDER BY addr").fetchall()
    finally:
        con.close()


def test_good_file_is_imported(tmp_path):
    exp = int(time.time()) + 3600
    rows = ["# exported from somewhere", f"10.88.1.5,52:54:00:00:00:05,{exp},pc5",
            f"10.88.1.6,5254.0000.0006,{exp}", ""]
    p, db = run_import(tmp_path, rows)
    assert p.returncode == 0, p.stderr
    assert "2 leases imported" in p.stdout
    assert stored(db) == [(0x0a580105, "525400000005", "pc5"), (0x0a580106, "525400000006", None)]


def test_bad_rows_import_nothing_and_each_is_named(tmp_path):
    exp = int(time.time()) + 3600
    rows = [f"10.88.1.5,52:54:00:00:00:05,{exp}",
            f"10.88.1.300,52:54:00:00:00:06,{exp}",
            f"10.88.1.7,52:54:00:00:00:07,{exp}",
            f"10.88.1.8,not-a-mac,{exp}",
            f"10.88.1.9,52:54:00:00:00:09,{exp},bad_name!"]
    p, db = run_import(tmp_path, rows)
    assert p.returncode != 0
    assert ":2: not an IPv4 address" in p.stderr
    assert ":4: not a MAC address" in p.stderr
    assert ":5: not a valid host name" in p.stderr
    assert "3 bad lines; nothing imported" in p.stderr
    assert stored(db) == []   # the good rows before and between are rolled back


def test_dry_run_checks_without_storing(tmp_path):
    exp = int(time.time()) + 3600
    p, db = run_import(tmp_path, [f"10.88.1.5,52:54:00:00:00:05,{exp}"], "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "1 leases would be imported" in p.stdout
    assert stored(db) == []


# ---- while a server runs: through its API; never beside it into the file

def import_into(nb, rows, *extra):
    csv = nb.dir / "leases.csv"
    csv.write_text("".join(r + "\n" for r in rows))
    return subprocess.run([NETBAY, "lease", "import", "-c", str(nb.conf_path), *extra, str(csv)],
                          capture_output=True, text=True, timeout=60)


def test_import_goes_through_the_running_server(netns, netbay, tmp_path):
    """The running server takes the rows over its API: it lists them at once,
    they are in its database, and a client with an imported MAC is given its
    imported address (the server answers from them, no restart)."""
    import json
    from lan import Lan, if_mac, leases, wait_event
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    exp = int(time.time()) + 3600
    mac = "52:54:00:77:00:01"
    p = import_into(lan.nb, [f"10.77.0.150,{mac},{exp},imported1",
                             f"10.77.0.151,52:54:00:77:00:02,{exp}"], "--dry-run")
    assert p.returncode == 0, p.stderr
    assert "2 leases would be imported into the running server" in p.stdout
    assert not any(l["mac"] == mac for l in leases(lan.nb))
    p = import_into(lan.nb, [f"10.77.0.150,{mac},{exp},imported1",
                             f"10.77.0.151,52:54:00:77:00:02,{exp}"])
    assert p.returncode == 0, p.stderr
    assert "2 leases imported into the running server" in p.stdout
    listed = json.loads(lan.nb.cli("lease", "list", "--json").stdout)
    assert {(l["address"], l["mac"], l["state"]) for l in listed} >= {
        ("10.77.0.150", mac, "bound"), ("10.77.0.151", "52:54:00:77:00:02", "bound")}
    stored = {l["ip"]: l for l in leases(lan.nb)}
    assert stored["10.77.0.150"]["mac"] == mac and stored["10.77.0.150"]["hostname"] == "imported1"

    lan.cli.run("ip", "link", "set", "cli0", "address", mac)
    env, log = lan.hook_env("c")
    lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", lan.hook,
                env=env, timeout=30)
    wait_event(log, "bound")
    assert "bound 10.77.0.150" in log.read_text()
    assert if_mac(lan.cli, "cli0") == mac

    # an address the server has leased to another client: refused, by line
    p = import_into(lan.nb, [f"10.77.0.152,52:54:00:77:00:03,{exp}",
                             f"10.77.0.150,52:54:00:77:00:09,{exp}"])
    assert p.returncode == 1
    assert "leases.csv:2: 10.77.0.150 is leased to 52:54:00:77:00:01" in p.stderr
    assert "nothing imported" in p.stderr
    assert "10.77.0.152" not in {l["ip"] for l in leases(lan.nb)}


def test_no_offline_import_beside_a_server(netns, netbay, tmp_path):
    """A server without an API socket holds the database: the import does
    not write beside it, and says why; a held database also keeps a second
    server from starting."""
    import fcntl
    from lan import leases, server_conf
    srv = netns("srv")
    conf = server_conf({}).replace("[api]\nsocket = @SOCK@\n", "[api]\nsocket =\n")
    nb = netbay(srv, conf + "[dhcp]\nmode = off\n")
    nb.start()
    exp = int(time.time()) + 3600
    p = import_into(nb, [f"10.88.1.5,52:54:00:00:00:05,{exp}"])
    assert p.returncode == 1
    assert "is held by a running server (pid" in p.stderr
    assert "nothing imported" in p.stderr
    assert leases(nb) == []
    second = netbay(srv, conf + "[dhcp]\nmode = off\n", name="nb2")
    second.write_conf((conf + "[dhcp]\nmode = off\n").replace("@DATA@", str(nb.data)))
    second.start(wait=False)
    second.proc.wait(timeout=15)
    assert second.proc.returncode != 0
    assert f"is in use by process {nb.proc.pid}" in second.log()
    nb.stop()

    # any holder counts: with the lock taken, neither serve nor import writes
    with open(nb.data / "netbay.db.lock", "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = import_into(nb, [f"10.88.1.5,52:54:00:00:00:05,{exp}"])
        assert p.returncode == 1 and "nothing imported" in p.stderr
    p = import_into(nb, [f"10.88.1.5,52:54:00:00:00:05,{exp}"])  # released: offline now
    assert p.returncode == 0, p.stderr
    assert "1 leases imported into" in p.stdout
    assert [l["ip"] for l in leases(nb)] == ["10.88.1.5"]


def test_repeated_address_is_a_bad_line(tmp_path):
    exp = int(time.time()) + 3600
    p, db = run_import(tmp_path, [f"10.88.1.5,52:54:00:00:00:05,{exp}",
                                  f"10.88.1.6,52:54:00:00:00:06,{exp}",
                                  f"10.88.1.5,52:54:00:00:00:07,{exp}"])
    assert p.returncode == 1
    assert ":3: 10.88.1.5 is also on line 1" in p.stderr
    assert stored(db) == []
