"""The database at start, said truthfully: a directory where the file
should be, a read-only filesystem, a zero-length file, a file with damaged
pages; and what netbay creates is its own alone (0600 files, 0750 data
dir), with a warning for a world-readable config that holds the token."""
import os
import sqlite3
import stat
import subprocess
import time

from conftest import NETBAY, wait_for
from lan import server_conf

CONF = server_conf({}) + "[dhcp]\nmode = off\n"


def start_fails(nb):
    """Starts nb, expects it to refuse; returns its log."""
    nb.start(wait=False)
    nb.proc.wait(timeout=20)
    assert nb.proc.returncode != 0, nb.log()
    return nb.log()


def fill(nb, n=3000):
    """n leases in nb's database, offline (the server is stopped)."""
    exp = int(time.time()) + 3600
    csv = nb.dir / "fill.csv"
    csv.write_text("".join(f"10.{60 + i // 65536}.{(i >> 8) & 255}.{i & 255},"
                           f"02:00:00:00:{(i >> 8) & 255:02x}:{i & 255:02x},{exp},"
                           f"host-{i}-with-a-long-enough-name\n" for i in range(1, n + 1)))
    p = subprocess.run([NETBAY, "lease", "import", "-c", str(nb.conf_path), str(csv)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr


def test_directory_in_place_of_the_database(netns, netbay):
    nb = netbay(netns("srv"), CONF)
    (nb.data / "netbay.db").mkdir()
    log = start_fails(nb)
    assert "netbay.db is a directory, not a database file" in log
    assert "No such file or directory" not in log


def test_read_only_filesystem(netns, netbay):
    """The data-dir on a read-only mount (a bind mount made read-only in a
    mount namespace of the server's own: root ignores file modes)."""
    ns = netns("srv")
    nb = netbay(ns, CONF)
    nb.start()
    nb.stop()  # a real database, then its filesystem goes read-only
    d = str(nb.data)
    script = f"mount --bind {d} {d} && mount -o remount,bind,ro {d} && exec \"$@\""
    nb.proc = ns.popen("unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                       "sh", NETBAY, "serve", "-c", nb.conf_path, log=nb.dir / "ro.log")
    nb.proc.wait(timeout=20)
    log = (nb.dir / "ro.log").read_text()
    assert nb.proc.returncode != 0, log
    assert "Read-only file system" in log
    assert "netbay must write its database" in log
    assert "No such file or directory" not in log

    # and on a read-only mount with no database yet: said as read-only too
    fresh = nb.dir / "fresh"
    fresh.mkdir()
    (nb.dir / "fresh.conf").write_text(CONF.replace("@DATA@", str(fresh))
                                       .replace("@SOCK@", str(nb.dir / "f.sock")))
    script = f"mount --bind {fresh} {fresh} && mount -o remount,bind,ro {fresh} && exec \"$@\""
    p = ns.run("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
               NETBAY, "serve", "-c", nb.dir / "fresh.conf", check=False, timeout=20)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "Read-only file system" in out and "No such file or directory" not in out


def test_zero_length_database_is_a_loud_warning(netns, netbay):
    nb = netbay(netns("srv"), CONF)
    (nb.data / "netbay.db").write_bytes(b"")
    nb.start()
    log = nb.log()
    assert "warning: store:" in log
    assert "netbay.db existed but was zero bytes long" in log
    assert "Recovering the database" in log
    nb.stop()
    nb.start()  # with its schema now it is not empty any more
    assert "existed but" not in nb.log()
    nb.stop()
    # a file that holds some other SQLite database: no netbay tables
    other = nb.data / "netbay.db"
    for p in nb.data.glob("netbay.db*"):
        p.unlink()
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE unrelated (x)")
    con.commit()
    con.close()
    nb.start()
    assert "netbay.db existed but held no netbay tables" in nb.log()


def test_damaged_pages_refuse_to_start(netns, netbay):
    nb = netbay(netns("srv"), CONF)
    nb.start()
    nb.stop()
    fill(nb)
    db = nb.data / "netbay.db"
    assert not (nb.data / "netbay.db-wal").exists() or \
        (nb.data / "netbay.db-wal").stat().st_size == 0  # all in the main file
    size = db.stat().st_size
    assert size > 40 * 4096
    with open(db, "r+b") as f:  # pages in the middle of the leases b-tree
        for page in range(size // 4096 // 3, size // 4096 // 3 + 6):
            f.seek(page * 4096)
            f.write(bytes((i * 131 + 7) & 255 for i in range(4096)))
    log = start_fails(nb)
    assert "netbay.db is damaged (quick_check:" in log
    assert "not starting" in log and "Recovering the database" in log
    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                            "operations.md")).read()
    assert "## Recovering the database" in doc


def test_files_are_the_owners_alone(netns, netbay, tmp_path):
    ns = netns("srv")
    nb = netbay(ns, CONF)
    data = nb.dir / "new-data"  # netbay creates it
    nb.write_conf(CONF.replace("@DATA@", str(data)))
    old = os.umask(0o022)
    try:
        nb.start()
    finally:
        os.umask(old)
    wait_for(lambda: (data / "netbay.db-wal").exists(), timeout=10, what="the WAL")
    assert stat.S_IMODE(data.stat().st_mode) == 0o750
    for name in ("netbay.db", "netbay.db-wal", "netbay.db-shm", "netbay.db.lock"):
        mode = stat.S_IMODE((data / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {mode:o}"
    nb.stop()
    # an older netbay's world-readable database is tightened, and said so
    os.chmod(data / "netbay.db", 0o644)
    nb.start()
    assert stat.S_IMODE((data / "netbay.db").stat().st_mode) == 0o600
    assert "was readable by other users; now owner-only" in nb.log()


def test_world_readable_token_is_a_warning(netns, netbay):
    nb = netbay(netns("srv"), CONF.replace(
        "[api]\n", "[api]\nlisten = 127.0.0.1:18099\ntoken = tok-0123456789abcdef\n"))
    os.chmod(nb.conf_path, 0o644)
    nb.start()
    assert "holds [api] token and is readable by every user" in nb.log()
    p = subprocess.run([NETBAY, "check", "-c", str(nb.conf_path)], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 0
    assert "holds [api] token and is readable by every user" in p.stderr
    nb.stop()
    os.chmod(nb.conf_path, 0o640)
    nb.start()
    assert "readable by every user" not in nb.log()
    p = subprocess.run([NETBAY, "check", "-c", str(nb.conf_path)], capture_output=True,
                       text=True, timeout=20)
    assert "readable by every user" not in p.stderr
