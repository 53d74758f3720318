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
