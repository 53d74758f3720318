"""Shared fixtures for the integration tests.

Every test builds its own hosts in network namespaces whose names carry a
random per-run prefix (so concurrent runs never collide), starts real
processes inside them, tracks every process by PID and removes everything on
success and on failure. Private addresses are used only inside these
namespaces. A failing test prints the logs of the netbay daemons it started.
"""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NETBAY = os.environ.get("NETBAY_BIN", str(ROOT / "build" / "netbay"))
RUN_ID = secrets.token_hex(2)
_counter = [0]


def _uniq(prefix):
    _counter[0] += 1
    return f"{prefix}{RUN_ID}{_counter[0]}"


def sh(*cmd, check=True, timeout=30, **kw):
    """Runs a command on the host; returns CompletedProcess with text output."""
    return subprocess.run([str(c) for c in cmd], check=check, timeout=timeout,
                          capture_output=True, text=True, **kw)


class Netns:
    """A network namespace: one host of a test topology."""

    def __init__(self, tag="h"):
        self.name = _uniq("nb" + tag[:3])
        self.procs = []
        sh("ip", "netns", "add", self.name)
        self.run("ip", "link", "set", "lo", "up")

    def cmd(self, *cmd):
        return ["ip", "netns", "exec", self.name] + [str(c) for c in cmd]

    def run(self, *cmd, check=True, timeout=30, **kw):
        return subprocess.run(self.cmd(*cmd), check=check, timeout=timeout,
                              capture_output=True, text=True, **kw)

    def popen(self, *cmd, log=None, **kw):
        out = open(log, "w") if log else subprocess.DEVNULL
        p = subprocess.Popen(self.cmd(*cmd), stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def addr(self, ifname, cidr):
        self.run("ip", "addr", "add", cidr, "dev", ifname)

    def up(self, ifname):
        self.run("ip", "link", "set", ifname, "up")

    def close(self):
        for p in self.procs:
            stop_process(p)
        # anything else still inside is ours (started in this namespace)
        r = sh("ip", "netns", "pids", self.name, check=False)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", self.name, check=False)


def stop_process(p, timeout=5):
    """SIGTERM the process (by PID), then SIGKILL after timeout."""
    if p.poll() is not None:
        return p.returncode
    try:
        p.send_signal(signal.SIGTERM)
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait(timeout=timeout)


def veth(ns_a, if_a, ns_b, if_b, mtu=None):
    """A veth pair between two namespaces (ns_b None: a bridge port on the host side is
    not used; both ends always live in namespaces we made)."""
    tmp_a, tmp_b = _uniq("va"), _uniq("vb")
    sh("ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b)
    sh("ip", "link", "set", tmp_a, "netns", ns_a.name)
    sh("ip", "link", "set", tmp_b, "netns", ns_b.name)
    ns_a.run("ip", "link", "set", tmp_a, "name", if_a)
    ns_b.run("ip", "link", "set", tmp_b, "name", if_b)
    if mtu:
        ns_a.run("ip", "link", "set", if_a, "mtu", str(mtu))
        ns_b.run("ip", "link", "set", if_b, "mtu", str(mtu))
    ns_a.up(if_a)
    ns_b.up(if_b)


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Netbay:
    """A netbay daemon in a namespace, with its own config and data dir."""

    def __init__(self, ns, workdir, conf):
        self.ns = ns
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.data.mkdir(exist_ok=True)
        self.sock = self.dir / "api.sock"
        self.conf_path = self.dir / "netbay.conf"
        self.log_path = self.dir / "netbay.log"
        self.proc = None
        self.starts = 0
        self.write_conf(conf)

    def write_conf(self, conf):
        text = conf.replace("@DATA@", str(self.data)).replace("@SOCK@", str(self.sock))
        # never the default /run/netbay/api.sock: tests run beside each other
        if not re.search(r"^socket\s*=", text, re.M):
            if re.search(r"^\[api\]\s*$", text, re.M):
                text = re.sub(r"^\[api\]\s*$", f"[api]\nsocket = {self.sock}", text, count=1,
                              flags=re.M)
            else:
                text += f"\n[api]\nsocket = {self.sock}\n"
        # tests keep their files in root's 0700 tmp dirs, which the default
        # [server] user = netbay could not read after the switch: they run as
        # root unless they say otherwise (test_service.py does)
        if not re.search(r"^user\s*=", text, re.M):
            if re.search(r"^\[server\]\s*$", text, re.M):
                text = re.sub(r"^\[server\]\s*$", "[server]\nuser = root", text, count=1,
                              flags=re.M)
            else:
                text = "[server]\nuser = root\n" + text
        self.conf_path.write_text(text)

    def start(self, wait=True, extra=()):
        self.starts += 1
        log = self.dir / f"netbay.{self.starts}.log"
        self.log_path = log
        self.proc = self.ns.popen(NETBAY, "serve", "-c", self.conf_path, *extra, log=log)
        if wait:
            wait_for(lambda: "ready" in self.log() or self.proc.poll() is not None,
                     timeout=15, what="netbay to be ready")
            assert self.proc.poll() is None, f"netbay exited:\n{self.log()}"
            # [dhcp] mode = auto (the default) answers no DISCOVER before its first probe
            if "dhcp: auto mode: probing" in self.log():
                wait_for(lambda: "first probe done" in self.log() or self.proc.poll() is not None,
                         timeout=15, what="netbay's first probe for other DHCP servers")
        return self

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def all_logs(self):
        out = []
        for i in range(1, self.starts + 1):
            p = self.dir / f"netbay.{i}.log"
            if p.exists():
                out.append(f"--- netbay start {i} ({p})\n" + p.read_text(errors="replace"))
        return "\n".join(out)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc:
            return stop_process(self.proc)
        return None

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=5)

    def cli(self, *args, check=True, timeout=30):
        """Runs the netbay CLI against this daemon's API socket (on the host: a
        Unix socket needs no namespace)."""
        return sh(NETBAY, *args, "--socket", self.sock, check=check, timeout=timeout)


_daemons = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        for d in _daemons:
            rep.sections.append(("netbay log", d.all_logs()))


@pytest.fixture
def netns():
    """A factory: netns('srv') returns a fresh namespace, removed after the test."""
    made = []

    def make(tag="h"):
        n = Netns(tag)
        made.append(n)
        return n
    yield make
    for n in reversed(made):
        n.close()


@pytest.fixture
def netbay(tmp_path):
    """A factory: netbay(ns, conf_text) -> Netbay (not yet started). @DATA@ and
    @SOCK@ in the config are replaced with this test's own paths."""
    made = []

    def make(ns, conf, name="nb"):
        d = Netbay(ns, tmp_path / name, conf)
        made.append(d)
        _daemons.append(d)
        return d
    yield make
    for d in made:
        d.stop()
        _daemons.remove(d)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have(tool):
    return shutil.which(tool) is not None
