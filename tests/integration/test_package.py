"""The Debian package (scripts/package, debian/): what it holds, and a real
install into a clean Debian 12 root, a start there, a remove and a purge.

The clean root is a minimal Debian 12 (mmdebstrap --variant=minbase, with
systemd as every installed Debian has it), made once from the machine's own
apt sources and kept in /var/cache/netbay-test (a cache outside the repo).
Each run lays a fresh overlay on it in a mount namespace of its own (a
`sleep` that holds it, ended by PID), so what the package does there never
touches the host nor the cached root. apt installs the .deb there as an
admin would (`apt-get install ./netbay_*.deb`), pulling its dependencies;
downloaded .debs are kept in the cache too, so later runs need no network.
systemd does not run in the chroot: the unit is enabled, not started."""
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, sh, wait_for

CACHE = Path("/var/cache/netbay-test")
BASE = CACHE / "bookworm-minbase-systemd-1"  # bump the suffix to remake it
ARCHIVES = CACHE / "apt-archives"


def deb_field(deb, field):
    return sh("dpkg-deb", "-f", deb, field).stdout.strip()


@pytest.fixture(scope="module")
def deb():
    """The package scripts/package builds (again only when a file changed)."""
    if os.environ.get("NETBAY_DEB"):
        return Path(os.environ["NETBAY_DEB"])
    r = sh(ROOT / "scripts" / "package", timeout=900, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"(/\S+\.deb)", r.stdout.splitlines()[-1] if r.stdout else "")
    assert m, r.stdout
    return Path(m.group(1))


def make_base():
    """The cached clean root; made under a lock, so parallel runs make it once."""
    CACHE.mkdir(parents=True, exist_ok=True)
    ARCHIVES.mkdir(exist_ok=True)
    with open(CACHE / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (BASE / ".complete").exists():
            return BASE
        tmp = BASE.with_name(BASE.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        sources = "/etc/apt/sources.list.d/debian.sources"
        if not Path(sources).exists():
            sources = "/etc/apt/sources.list"
        # the lists stay, so that apt in the root can install without an update
        r = sh("mmdebstrap", "--mode=root", "--variant=minbase", "--include=systemd",
               "--skip=cleanup/apt/lists", "bookworm", tmp, sources, timeout=900, check=False)
        assert r.returncode == 0, "mmdebstrap failed (the Debian mirror unreachable?):\n" + \
            r.stderr[-3000:]
        (tmp / ".complete").write_text(time.strftime("%F %T\n"))
        tmp.rename(BASE)
    return BASE


class Root:
    """An overlay over the cached root, mounted in a mount namespace held by
    a sleeping process; commands enter it with nsenter and chroot."""

    def __init__(self, base, work):
        self.work = work
        for d in ("upper", "work", "root"):
            (work / d).mkdir(parents=True)
        self.dir = work / "root"
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sleep", "900"],
            start_new_session=True)
        self.pid = self.holder.pid
        wait_for(lambda: os.readlink(f"/proc/{self.pid}/ns/mnt") != os.readlink(
            "/proc/self/ns/mnt"), timeout=5, what="the mount namespace")
        for cmd in (f"mount -t overlay overlay -o lowerdir={base},upperdir={work}/upper,"
                    f"workdir={work}/work {self.dir}",
                    f"mount -t proc proc {self.dir}/proc",
                    f"mount --rbind /dev {self.dir}/dev",
                    f"mount --bind {ARCHIVES} {self.dir}/var/cache/apt/archives",
                    f"mount --bind /etc/resolv.conf {self.dir}/etc/resolv.conf"):
            self.enter(*cmd.split(), chroot=False)

    def enter(self, *cmd, chroot=True, check=True, timeout=300, prefix=()):
        full = [*prefix, "nsenter", f"--target={self.pid}", "--mount", "--"]
        full += ["chroot", str(self.dir)] if chroot else []
        return sh(*full, *cmd, check=check, timeout=timeout)

    def path(self, p):
        """p inside the root, as seen from the host (through the holder's namespace)."""
        return Path(f"/proc/{self.pid}/root{self.dir}/{p.lstrip('/')}")

    def close(self):
        if self.holder.poll() is None:
            os.kill(self.pid, signal.SIGKILL)  # the namespace and its mounts go with it
            self.holder.wait(timeout=10)
        shutil.rmtree(self.work, ignore_errors=True)


@pytest.fixture
def root(tmp_path):
    r = Root(make_base(), tmp_path / "chroot")
    yield r
    r.close()


def test_the_deb_holds_what_it_should(deb):
    files = sh("dpkg-deb", "--contents", deb).stdout
    names = {l.split()[-1].lstrip(".") for l in files.splitlines()}
    for f in ("/usr/bin/netbay", "/lib/systemd/system/netbay.service",
              "/usr/lib/sysusers.d/netbay.conf", "/usr/lib/tmpfiles.d/netbay.conf",
              "/etc/netbay/netbay.conf", "/usr/share/man/man8/netbay.8.gz",
              "/usr/share/man/man5/netbay.conf.5.gz",
              "/usr/share/doc/netbay/examples/netbay.conf",
              "/usr/share/doc/netbay/operations.md.gz", "/usr/share/doc/netbay/copyright"):
        assert f in names, f"{f} not in the package:\n{files}"
    info = sh("dpkg-deb", "--info", deb).stdout
    assert "conffiles" in info
    conffiles = subprocess.run(f"dpkg-deb --ctrl-tarfile {deb} | tar -xO ./conffiles",
                               shell=True, capture_output=True, text=True, check=True).stdout
    assert conffiles.split() == ["/etc/netbay/netbay.conf"]
    dep = deb_field(deb, "Depends")
    for lib in ("libsqlite3-0", "libmicrohttpd12", "libjansson4", "libinih1",
                "systemd | systemd-standalone-sysusers"):
        assert lib in dep, dep
    version = json.loads(sh("meson", "introspect", "--projectinfo",
                            ROOT / "meson.build").stdout)["version"]
    assert deb_field(deb, "Version") == version, "debian/changelog and meson.build disagree"
    # the conffile is examples/default.conf, which serves nothing (test_status.py runs it)
    got = subprocess.run(f"dpkg-deb --fsys-tarfile {deb} | tar -xO ./etc/netbay/netbay.conf",
                         shell=True, capture_output=True, text=True, check=True).stdout
    assert got == (ROOT / "examples" / "default.conf").read_text()


def test_build_depends_cover_meson_dependencies():
    """Every dependency() of meson.build is a Build-Depends of debian/control
    (the -dev package that holds its pkg-config file)."""
    control = (ROOT / "debian" / "control").read_text()
    bd = re.search(r"^Build-Depends:(.*?)^\S", control, re.M | re.S).group(1)
    build_deps = set(re.findall(r"([a-z0-9][a-z0-9+.-]+)", bd))
    meson = (ROOT / "meson.build").read_text()
    for name in set(re.findall(r"dependency\('([^']+)'", meson)) - {"cmocka"}:  # tests only
        pcdir = sh("pkg-config", "--variable=pcfiledir", name).stdout.strip()
        owner = sh("dpkg", "-S", f"{pcdir}/{name}.pc").stdout.split(":")[0]
        assert owner in build_deps, f"meson.build needs {name} ({owner}); debian/control lacks it"


def test_install_start_remove_purge_in_a_clean_root(deb, root, netns):
    # a clean root: no netbay, no netbay user
    assert root.enter("getent", "passwd", "netbay", check=False).returncode == 2
    assert not root.path("/usr/bin/netbay").exists()
    root.path("/usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
    root.path("/usr/sbin/policy-rc.d").chmod(0o755)

    shutil.copy(deb, root.path("/tmp/netbay.deb"))
    r = root.enter("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y",
                   "--no-install-recommends", "/tmp/netbay.deb", check=False, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "ii  netbay" in root.enter("dpkg", "-l", "netbay").stdout

    # the files, the user and its directories
    for f in ("/usr/bin/netbay", "/lib/systemd/system/netbay.service",
              "/usr/lib/sysusers.d/netbay.conf", "/usr/lib/tmpfiles.d/netbay.conf",
              "/usr/share/man/man8/netbay.8.gz", "/usr/share/man/man5/netbay.conf.5.gz"):
        assert root.path(f).is_file(), f
    pw = root.enter("getent", "passwd", "netbay").stdout.strip().split(":")
    uid, gid = int(pw[2]), int(pw[3])
    assert 0 < uid < 1000 and pw[5] == "/var/lib/netbay" and pw[6] == "/usr/sbin/nologin", pw
    st = root.path("/var/lib/netbay").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (uid, gid, 0o750)
    st = root.path("/etc/netbay/netbay.conf").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, gid, 0o640)
    assert "/etc/netbay/netbay.conf" in root.enter("dpkg-query", "-W", "-f=${Conffiles}",
                                                   "netbay").stdout
    # the unit: enabled (not started: no systemd runs here), valid, as hardened as the source
    wants = root.path("/etc/systemd/system/multi-user.target.wants/netbay.service")
    assert os.readlink(wants) == "/lib/systemd/system/netbay.service"
    r = root.enter("systemd-analyze", "verify", "/lib/systemd/system/netbay.service",
                   check=False)
    problems = r.stderr.splitlines()
    if not root.path("/usr/bin/man").exists():
        # minbase has no man-db: Documentation=man:... cannot be looked up there
        problems = [l for l in problems if not re.search(r"Command 'man \S+' failed", l)]
    assert [l for l in problems if l.strip()] == [], r.stderr
    r = root.enter("systemd-analyze", "security", "--offline=true", "netbay.service",
                   check=False)
    assert re.search(r"Overall exposure level for netbay.service: [0-2]\.\d", r.stdout), r.stdout
    page = sh("man", "--warnings", "-l", root.path("/usr/share/man/man5/netbay.conf.5.gz"),
              env=dict(os.environ, MANPAGER="cat"))
    assert page.stdout.startswith("NETBAY.CONF(5)") and page.stderr == "", page.stderr

    # it runs there, as root switching to netbay, with the packaged config,
    # and serves nothing to the network
    ns = netns("pkg")
    p = subprocess.Popen(ns.cmd("nsenter", f"--target={root.pid}", "--mount", "--", "chroot",
                                root.dir, "/usr/bin/netbay", "serve"),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    ns.procs.append(p)
    try:
        wait_for(lambda: root.path("/run/netbay/api.sock").exists() or p.poll() is not None,
                 timeout=15, what="netbay's API socket in the root")
        assert p.poll() is None, p.stdout.read()
        s = json.loads(root.enter("netbay", "status", "--json").stdout)
        assert s["dhcp"] == {"mode": "off"} and s["dns"]["mode"] == "off"
        assert not s["tftp"]["enabled"] and not s["http"]["enabled"]
        status = Path(f"/proc/{p.pid}/status").read_text()
        assert re.search(rf"^Uid:\s+{uid}\s+{uid}\s+{uid}\s+{uid}$", status, re.M), status
        assert ns.run("ss", "-Hlntu").stdout.strip() == ""
        assert root.path("/var/lib/netbay/netbay.db").stat().st_uid == uid
    finally:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
    assert p.returncode == 0, out

    # remove: the program goes, the configuration, data and user stay
    root.enter("dpkg", "--remove", "netbay")
    for f in ("/usr/bin/netbay", "/lib/systemd/system/netbay.service",
              "/usr/lib/sysusers.d/netbay.conf", "/usr/share/man/man8/netbay.8.gz"):
        assert not root.path(f).exists(), f
    assert root.path("/etc/netbay/netbay.conf").exists()
    assert root.path("/var/lib/netbay/netbay.db").exists()
    # purge: the configuration, the database and the unit's enablement go too
    root.enter("dpkg", "--purge", "netbay")
    for f in ("/etc/netbay", "/var/lib/netbay", "/run/netbay",
              "/etc/systemd/system/multi-user.target.wants/netbay.service"):
        assert not os.path.lexists(root.path(f)), f
    assert root.enter("dpkg-query", "-W", "netbay", check=False).returncode != 0
    assert root.enter("getent", "passwd", "netbay").returncode == 0  # Debian keeps users
