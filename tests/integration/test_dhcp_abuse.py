"""Bad input and abuse: malformed packets are dropped with a rate-limited
log line naming the sender and never stop the server; a flood of new
clients cannot take addresses faster than the configured rate."""
import json
import struct
import time
from pathlib import Path

from conftest import wait_for
from lan import Lan, if_mac, lease_of, server_conf, wait_event

LOAD = str(Path(__file__).with_name("dhcpload.py"))

JUNK_SENDER = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.50", 68))
hdr = struct.pack("!BBBBIHHIIII", 1, 1, 6, 0, 7, 0, 0, 0, 0, 0, 0) + b"RT\0\0\0\1" + bytes(202)
cookie = b"\x63\x82\x53\x63"
junk = [
    b"\x01",                                        # 1 byte
    hdr[:100],                                      # truncated header
    hdr + b"\0\0\0\0" + b"\x35\x01\x01\xff",        # no magic cookie
    hdr + cookie + b"\x35\x01\x01\x0c\x40ab",       # option claims 64 bytes, has 2
    hdr + cookie + b"\x34\x01\x03\x35\x01\x01",      # overloaded file/sname of zeros: fine
    hdr + cookie + b"\x35\x01\x01" + b"\x2b\x01x" * 500,  # 500 repeats of one option
    hdr + cookie + b"\x35\x01\x01" + b"\x2b\x01x\x3c\x01y" * 200,  # interleaved repeats
    (hdr + cookie + b"\x35\x01\x01\xff").ljust(1600, b"\0"),      # oversized datagram
    bytes(hdr[:1]) + b"\x06" + hdr[2:] + cookie + b"\x35\x01\x01\xff",  # htype 6
]
for _ in range(int(sys.argv[1])):
    for j in junk:
        s.sendto(j, ("10.77.0.1", 67))
"""


def test_malformed_packets_are_dropped_and_logged(netns, netbay, tmp_path):
    lan = Lan(netns, netbay, tmp_path)
    lan.nb.start()
    lan.cli.addr("cli0", "10.77.0.50/24")
    script = tmp_path / "junk.py"
    script.write_text(JUNK_SENDER)
    lan.cli.run("/usr/bin/python3", script, "200", timeout=60)  # 1800 bad packets
    wait_for(lambda: "malformed packet" in lan.nb.log(), what="a log line for junk")
    log = lan.nb.log()
    assert "malformed packet (1 bytes) from 10.77.0.50, dropped" in log
    assert "from 10.77.0.50" in log and "htype 6" in log
    assert "oversized datagram (over 1500 bytes) from 10.77.0.50" in log
    # rate limited: far fewer lines than packets, and the suppression is said
    lines = [l for l in log.splitlines() if "from 10.77.0.50" in l]
    assert len(lines) < 60, len(lines)
    assert lan.nb.proc.poll() is None
    # and a real client is still served
    lan.cli.run("ip", "addr", "flush", "dev", "cli0")
    env, ev = lan.hook_env("after")
    lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", lan.hook,
                env=env, timeout=30)
    wait_event(ev, "bound")
    time.sleep(1.1)  # the limiter refills: the next junk line says how many were suppressed
    lan.cli.addr("cli0", "10.77.0.50/24")
    lan.cli.run("/usr/bin/python3", script, "1", timeout=30)
    wait_for(lambda: "similar messages suppressed" in lan.nb.log(), what="suppression count")


def test_new_client_flood_is_rate_limited(netns, netbay, tmp_path):
    conf = server_conf({"10.77.0.0/16": "range = 10.77.1.0-10.77.255.254"},
                       extra="[dhcp]\nnew-client-rate = 20\nnew-client-burst = 50\n")
    lan = Lan(netns, netbay, tmp_path, conf=conf)
    lan.srv.run("ip", "addr", "flush", "dev", "srv0")
    lan.srv.addr("srv0", "10.77.0.1/16")
    lan.cli.addr("cli0", "10.77.0.2/16")
    lan.nb.start()
    acks = tmp_path / "acks.jsonl"
    # 3000 random new clients in 2 s through one relay address
    lan.cli.run("/usr/bin/python3", LOAD, "10.77.0.1", "10.77.0.2", "0", "3000", "1500", "2",
                acks, timeout=30)
    got = [json.loads(l) for l in acks.read_text().splitlines() if l.strip()]
    # burst 50 + 20/s for ~2 s; slack for timing
    assert 40 <= len(got) <= 50 + 20 * 3, len(got)
    assert "starvation guard: new clients via srv0:" in lan.nb.log()
    assert "admitting 20.00/s, bursts of 50" in lan.nb.log()
    # once the flood stops, a new client gets in again
    time.sleep(1)
    lan.cli.run("ip", "addr", "flush", "dev", "cli0")
    env, ev = lan.hook_env("late")
    lan.cli.run("udhcpc", "-i", "cli0", "-n", "-q", "-f", "-t", "5", "-T", "1", "-s", lan.hook,
                env=env, timeout=30)
    wait_event(ev, "bound")
