"""Leases are durable before their ACK: after kill -9 under load and a
restart, every lease a client saw ACKed is in the store, and no address is
handed to a second client."""
import json
import time
from pathlib import Path

from conftest import veth, wait_for
from lan import leases, server_conf

LOAD = str(Path(__file__).with_name("dhcpload.py"))


def read_acks(path):
    return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]


def test_kill9_under_load_loses_no_acked_lease(netns, netbay, tmp_path):
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "srv0", cli, "cli0")
    srv.addr("srv0", "10.90.0.1/16")
    cli.addr("cli0", "10.90.0.2/16")  # the "relay": giaddr in the served subnet
    nb = netbay(srv, server_conf(
        {"10.90.0.0/16": "range = 10.90.1.0-10.90.255.254\nlease-time = 1h"},
        extra="[dhcp]\nnew-client-rate = 0\n"))
    nb.start()

    acks1 = tmp_path / "acks1.jsonl"
    load = cli.popen("/usr/bin/python3", LOAD, "10.90.0.1", "10.90.0.2", "0", "20000",
                     "1500", "4", acks1, log=tmp_path / "load1.log")
    # kill in the middle of the load, once a good number of ACKs went out
    wait_for(lambda: acks1.exists() and len(read_acks(acks1)) >= 500, timeout=15,
             what="500 ACKs before the kill")
    nb.kill9()
    killed_at = len(read_acks(acks1))
    load.wait(timeout=20)
    acked = read_acks(acks1)
    assert len(acked) >= killed_at >= 500

    nb.start()  # restart on the same database
    stored = {l["ip"]: l for l in leases(nb)}
    missing = [a for a in acked
               if a["ip"] not in stored or stored[a["ip"]]["mac"] != a["mac"]
               or stored[a["ip"]]["state"] != "bound"]
    assert not missing, f"{len(missing)} ACKed leases lost, e.g. {missing[:3]}"
    assert f"{len(stored)} leases loaded" in nb.log()

    # a second wave of new clients never gets an address the first wave holds
    acks2 = tmp_path / "acks2.jsonl"
    cli.run("/usr/bin/python3", LOAD, "10.90.0.1", "10.90.0.2", "100000", "1000", "1000", "3",
            acks2, timeout=30)
    second = read_acks(acks2)
    assert len(second) > 500
    held = {a["ip"] for a in acked}
    clash = [a for a in second if a["ip"] in held]
    assert not clash, f"addresses given twice: {clash[:3]}"
    # and every address belongs to one client in the store
    ips = [l["ip"] for l in leases(nb)]
    assert len(ips) == len(set(ips))


def test_ack_is_sent_only_after_fsync(netns, netbay, tmp_path):
    """The order of system calls: between the read that brought a REQUEST
    and the send of its ACK there is an fsync/fdatasync (the commit). A kill
    -9 cannot show this (the kernel keeps written pages); the syscall order
    does, and it is what makes leases survive a power cut too."""
    import os
    from lan import HOOK
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "srv0", cli, "cli0")
    srv.addr("srv0", "10.77.0.1/24")
    nb = netbay(srv, server_conf({"10.77.0.0/24": "range = 10.77.0.100-10.77.0.199"}))
    trace = tmp_path / "strace.out"
    from conftest import NETBAY
    nb.proc = srv.popen("strace", "-f", "-qq", "-s", "300", "-o", trace,
                        "-e", "trace=recvmmsg,sendmmsg,sendmsg,fsync,fdatasync",
                        NETBAY, "serve", "-c", nb.conf_path, log=tmp_path / "nb.log")
    nb.starts, nb.log_path = 1, tmp_path / "nb.log"
    wait_for(lambda: "ready" in nb.log(), timeout=20, what="netbay under strace")
    hook = tmp_path / "hook.sh"
    hook.write_text(HOOK)
    hook.chmod(0o755)
    env = dict(os.environ, NB_HOOK_LOG=str(tmp_path / "ev"))
    for i in range(3):
        cli.run("ip", "link", "set", "cli0", "address", f"52:54:00:aa:00:0{i}")
        cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", hook,
                env=env, timeout=30)
    nb.stop()

    acks, synced_since_read = 0, False
    for line in trace.read_text().splitlines():
        if "recvmmsg(" in line and "= -1" not in line and "<unfinished" not in line:
            synced_since_read = False
        elif "fsync(" in line or "fdatasync(" in line:
            synced_since_read = True
        elif "sendmmsg(" in line or "sendmsg(" in line:
            for pkt in strace_buffers(line):
                if dhcp_type(pkt) == 5:  # ACK
                    acks += 1
                    assert synced_since_read, f"an ACK went out before its commit:\n{line[:200]}"
    assert acks >= 3


def strace_buffers(line):
    """The datagrams of a traced send, decoded from strace's C-escaped strings."""
    import codecs
    import re
    for m in re.finditer(r'iov_base="((?:[^"\\]|\\.)*)"', line):
        yield codecs.escape_decode(m.group(1).encode())[0]


def dhcp_type(b):
    # our writer puts option 53 first, right after the magic cookie
    if len(b) >= 243 and b[236:240] == b"\x63\x82\x53\x63" and b[240] == 53 and b[241] == 1:
        return b[242]
    return None
