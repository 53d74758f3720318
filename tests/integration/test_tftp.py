"""TFTP with the real clients admins use: tftp-hpa, atftp and curl, in a
client namespace, against netbay in a server namespace over a veth with a
1500-byte MTU. Path escapes, write requests and missing files are refused
with the right error and a log line naming the client."""
import os
import time
from pathlib import Path

import pytest

from conftest import veth, wait_for

SRV, CLI = "10.68.0.1", "10.68.0.2"
# curl's exit codes for a TFTP error packet: 1 "not found", 2 "access violation"
CURLE_TFTP_NOTFOUND, CURLE_TFTP_PERM = 68, 69


def data(n, seed=1):
    # deterministic, not compressible, different per seed
    out = bytearray()
    x = seed * 2654435761 & 0xFFFFFFFF
    while len(out) < n:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        out += x.to_bytes(4, "little")
    return bytes(out[:n])


@pytest.fixture
def lan(netns, netbay, tmp_path):
    """A server and a client namespace; returns a function starting netbay
    with extra [tftp] lines; the boot root holds a few files."""
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "eth0", cli, "eth0", mtu=1500)
    srv.addr("eth0", SRV + "/24")
    cli.addr("eth0", CLI + "/24")
    root = tmp_path / "root"
    (root / "Boot" / "X64").mkdir(parents=True)
    (root / "pxelinux.cfg").mkdir()
    files = {
        "small.bin": data(1000, 1),
        "exact.bin": data(512 * 8, 2),
        "big.bin": data(3 * 1024 * 1024 + 17, 3),
        "Boot/X64/wdsnbp.com": data(30000, 4),
        "pxelinux.cfg/default": b"DEFAULT linux\nLABEL linux\r\n  KERNEL vmlinuz\n",
    }
    for name, body in files.items():
        (root / name).write_bytes(body)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the root\n")
    os.symlink(secret, root / "abs-link")
    os.symlink("../secret.txt", root / "rel-link")
    out = tmp_path / "out"
    out.mkdir()

    class Lan:
        pass

    lan = Lan()
    lan.srv, lan.cli, lan.root, lan.files, lan.out = srv, cli, root, files, out

    def start(extra=""):
        conf = (f"[server]\ndata-dir = @DATA@\n[dhcp]\nmode = off\n"
                f"[tftp]\nroot = {root}\n{extra}")
        lan.nb = netbay(srv, conf).start()
        return lan.nb
    lan.start = start
    return lan


def tftp_hpa(lan, cmd, mode="binary", timeout=20):
    return lan.cli.run("tftp", "-m", mode, SRV, "-c", *cmd, check=False, timeout=timeout,
                       cwd=lan.out)


def atftp(lan, *args, timeout=30):
    return lan.cli.run("atftp", *args, SRV, "69", check=False, timeout=timeout, cwd=lan.out)


def curl(lan, *args, timeout=30):
    return lan.cli.run("curl", "-sS", "--max-time", "15", *args, check=False,
                       timeout=timeout, cwd=lan.out)


def got(lan, name):
    return (lan.out / name).read_bytes()


def test_three_clients_fetch(lan):
    nb = lan.start()
    big = lan.files["big.bin"]

    r = tftp_hpa(lan, ["get", "big.bin", "hpa.bin"])
    assert r.returncode == 0, r.stderr + r.stdout
    assert got(lan, "hpa.bin") == big
    r = tftp_hpa(lan, ["get", "/exact.bin", "hpa-exact.bin"])  # leading slash, 8 full blocks
    assert got(lan, "hpa-exact.bin") == lan.files["exact.bin"]

    # atftp is the client that sends windowsize (RFC 7440)
    r = atftp(lan, "--option", "blksize 1468", "--option", "windowsize 16", "--option", "tsize 0",
              "--trace", "-g", "-r", "big.bin", "-l", "atftp.bin")
    assert r.returncode == 0, r.stderr + r.stdout
    assert got(lan, "atftp.bin") == big
    oack = next(line for line in (r.stdout + r.stderr).splitlines() if "OACK" in line)
    assert "blksize: 1468" in oack and "windowsize: 16" in oack
    assert f"tsize: {len(big)}" in oack

    # the largest block a client may ask for is granted (IP fragments on this link)
    r = atftp(lan, "--option", "blksize 65464", "--trace", "-g", "-r", "big.bin", "-l",
              "atftp64k.bin")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "blksize: 65464" in next(x for x in (r.stdout + r.stderr).splitlines() if "OACK" in x)
    assert got(lan, "atftp64k.bin") == big

    r = curl(lan, "--tftp-blksize", "1468", "-o", "curl.bin", f"tftp://{SRV}/big.bin")
    assert r.returncode == 0, r.stderr
    assert got(lan, "curl.bin") == big
    r = curl(lan, "-o", "curl-small.bin", f"tftp://{SRV}/small.bin")
    assert got(lan, "curl-small.bin") == lan.files["small.bin"]

    log = nb.log()
    assert log.count(f"tftp: {CLI}: sent \"big.bin\", {len(big)} bytes") == 4
    assert "window 16" in log


def test_netascii(lan):
    lan.start()
    # tftp-hpa's default mode is ascii: the server sends netascii, the client
    # turns it back into the local form
    r = tftp_hpa(lan, ["get", "pxelinux.cfg/default", "cfg.txt"], mode="ascii")
    assert r.returncode == 0, r.stderr + r.stdout
    assert got(lan, "cfg.txt") == lan.files["pxelinux.cfg/default"]


def test_windows_paths(lan):
    nb = lan.start("case-insensitive = yes\n")
    want = lan.files["Boot/X64/wdsnbp.com"]
    r = tftp_hpa(lan, ["get", "boot\\x64\\wdsnbp.com", "w1"])
    assert r.returncode == 0, r.stderr + r.stdout
    assert got(lan, "w1") == want
    r = atftp(lan, "-g", "-r", "\\BOOT\\X64\\WDSNBP.COM", "-l", "w2")
    assert r.returncode == 0, r.stderr + r.stdout
    assert got(lan, "w2") == want
    r = curl(lan, "-o", "w3", f"tftp://{SRV}/boot%5Cx64%5CWdsNbp.com")
    assert r.returncode == 0, r.stderr
    assert got(lan, "w3") == want
    assert nb.log().count('sent "Boot/X64/wdsnbp.com"') == 3


def test_case_sensitive_by_default(lan):
    lan.start()
    r = tftp_hpa(lan, ["get", "boot\\x64\\wdsnbp.com", "w1"])
    assert "Error code 1" in r.stdout + r.stderr


ESCAPES = ["../secret.txt", "../../../../etc/passwd", "..\\..\\etc\\passwd",
           "Boot/../../secret.txt", "abs-link", "rel-link"]


def test_path_escapes_refused(lan):
    nb = lan.start()
    for i, path in enumerate(ESCAPES):
        r = tftp_hpa(lan, ["get", path, f"e{i}"])
        assert "Error code 2: Access violation" in r.stdout + r.stderr, (path, r.stdout, r.stderr)
        r = atftp(lan, "-g", "-r", path, "-l", f"a{i}")
        assert r.returncode != 0
        assert "Access violation" in r.stdout + r.stderr, (path, r.stdout, r.stderr)
        r = curl(lan, "--path-as-is", "-o", f"c{i}", f"tftp://{SRV}/{path}")
        assert r.returncode == CURLE_TFTP_PERM, (path, r.returncode, r.stderr)
    for f in lan.out.iterdir():
        assert b"outside the root" not in f.read_bytes()
        assert b"root:" not in f.read_bytes()
    log = nb.log()
    for path in ["../secret.txt", "abs-link", "rel-link"]:
        line = f'tftp: {CLI}: "{path}" refused: the path leaves the root'
        assert log.count(line) == 3, line


def test_missing_file_names_the_client(lan):
    nb = lan.start()
    r = tftp_hpa(lan, ["get", "pxelinux.cfg/01-52-54-00-12-34-56", "m1"])
    assert "Error code 1: File not found" in r.stdout + r.stderr
    r = atftp(lan, "-g", "-r", "ipxe.efi", "-l", "m2")
    assert r.returncode != 0 and "File not found" in r.stdout + r.stderr
    r = curl(lan, "-o", "m3", f"tftp://{SRV}/undionly.kpxe")
    assert r.returncode == CURLE_TFTP_NOTFOUND, (r.returncode, r.stderr)
    log = nb.log()
    for name in ["pxelinux.cfg/01-52-54-00-12-34-56", "ipxe.efi", "undionly.kpxe"]:
        assert f'tftp: {CLI}: "{name}": no such file' in log


def test_write_requests_refused(lan):
    nb = lan.start()
    src = lan.out / "upload.bin"
    src.write_bytes(b"x" * 2000)
    r = tftp_hpa(lan, ["put", "upload.bin", "upload.bin"])
    assert "Error code 2" in r.stdout + r.stderr
    r = atftp(lan, "-p", "-l", "upload.bin", "-r", "up2.bin")
    assert r.returncode != 0
    r = curl(lan, "-T", "upload.bin", f"tftp://{SRV}/up3.bin")
    assert r.returncode == CURLE_TFTP_PERM, (r.returncode, r.stderr)
    assert sorted(p.name for p in lan.root.iterdir()) == sorted(
        ["Boot", "pxelinux.cfg", "small.bin", "exact.bin", "big.bin", "abs-link", "rel-link"])
    assert nb.log().count("refused: write request") == 3


def firewall_only_port_69(ns):
    """The client's firewall lets in UDP from port 69 only (a strict NAT/firewall)."""
    rules = ("table inet nbfw {\n chain in {\n  type filter hook input priority 0; policy drop;\n"
             "  iifname \"lo\" accept\n  udp sport 69 accept\n }\n}\n")
    ns.run("nft", "-f", "-", input=rules)


def test_single_port_through_strict_firewall(lan):
    firewall_only_port_69(lan.cli)
    lan.start("single-port = yes\n")
    r = curl(lan, "--tftp-blksize", "1468", "-o", "s1.bin", f"tftp://{SRV}/big.bin")
    assert r.returncode == 0, r.stderr
    assert got(lan, "s1.bin") == lan.files["big.bin"]
    r = atftp(lan, "--option", "windowsize 8", "-g", "-r", "big.bin", "-l", "s2.bin")
    assert r.returncode == 0, r.stderr + r.stdout
    assert got(lan, "s2.bin") == lan.files["big.bin"]


def test_per_transfer_port_blocked_by_strict_firewall(lan):
    # the other half of the test above: without single-port the data comes
    # from a new port (RFC 1350) and this firewall drops it
    firewall_only_port_69(lan.cli)
    lan.start("timeout = 1s\nretries = 1\n")
    r = curl(lan, "--max-time", "4", "-o", "s1.bin", f"tftp://{SRV}/small.bin")
    assert r.returncode != 0


VANISH = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"\0\1big.bin\0octet\0", (sys.argv[1], 69))
d, peer = s.recvfrom(2048)
assert d[:4] == b"\0\3\0\1", d[:4]
s.sendto(b"\0\4\0\1", peer)          # acknowledge block 1
d, peer = s.recvfrom(2048)
assert d[:4] == b"\0\3\0\2", d[:4]
print(peer[1], flush=True)           # then never answer again, socket left open
import time; time.sleep(30)
"""


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_vanishing_client_is_given_up(lan):
    nb = lan.start("timeout = 1s\nretries = 2\n")
    pid = nb.proc.pid
    assert Path(f"/proc/{pid}/exe").resolve().name == "netbay"
    before = fds(pid)
    client = lan.cli.popen("python3", "-c", VANISH, SRV, log=lan.out / "vanish.log")
    wait_for(lambda: (lan.out / "vanish.log").read_text().strip(), timeout=10,
             what="the client to receive block 2")
    during = fds(pid)
    assert during == before + 2  # the transfer's socket and file
    t0 = time.monotonic()
    wait_for(lambda: "client stopped answering" in nb.log(), timeout=15,
             what="the transfer to be given up")
    # 1 s, then 2 s, then 4 s of backoff
    assert 5.5 < time.monotonic() - t0 < 9
    assert f'tftp: {CLI}: "big.bin": client stopped answering after block 1 (512 bytes)' \
        in nb.log()
    wait_for(lambda: fds(pid) == before, timeout=5, what="descriptors to be closed")
    client.kill()


def test_concurrent_clients(lan):
    nb = lan.start()
    procs = []
    for i in range(20):
        args = ["atftp", "--option", "blksize 1468"]
        if i % 2:
            args += ["--option", "windowsize 8"]
        args += ["-g", "-r", "big.bin", "-l", str(lan.out / f"c{i}.bin"), SRV, "69"]
        procs.append(lan.cli.popen(*args))
    for p in procs:
        assert p.wait(timeout=60) == 0
    for i in range(20):
        assert got(lan, f"c{i}.bin") == lan.files["big.bin"], i
    assert nb.log().count('sent "big.bin"') == 20
