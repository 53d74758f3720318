"""The store has one owner per loop turn: admin changes the API refuses
(validation, an import with a bad row after good ones) undo their own
writes and nobody else's. Under DHCP churn (DORA, half the clients
releasing at once) with a stream of refused API calls beside it, every
lease the server holds in memory is in the database with the same state
afterwards, and every ACK a client saw is there."""
import json
import threading
from pathlib import Path

from conftest import veth, wait_for
from lan import leases, server_conf
from test_devices_api import api

CHURN = str(Path(__file__).with_name("dhcpchurn.py"))


def read_acks(path):
    return [json.loads(l) for l in Path(path).read_text().splitlines() if l.strip()]


def refused_calls(nb, stop, counts):
    """Admin changes that are refused, as fast as the API answers, plus a
    good add and remove now and then (those commit in the middle of turns)."""
    n = 0
    while not stop.is_set():
        n += 1
        mac = f"52:54:00:ee:{(n >> 8) & 255:02x}:{n & 255:02x}"
        calls = [
            ("POST", "/api/v1/devices", {"macs": [mac], "group": "nope"}),
            ("POST", "/api/v1/devices/import", {"devices": [
                {"macs": [f"52:54:00:ef:{(n >> 8) & 255:02x}:{n & 255:02x}"], "name": f"ok{n}"},
                {"macs": [f"52:54:00:f0:{(n >> 8) & 255:02x}:{n & 255:02x}"], "name": f"fine{n}"},
                {"macs": [mac], "group": "nope"}]}),
            ("POST", "/api/v1/devices", {"macs": [mac], "name": "taken"}),
        ]
        for method, path, body in calls:
            st, _, _ = api(nb, method, path, body)
            counts[st] = counts.get(st, 0) + 1
        if n % 20 == 0:
            st, _, d = api(nb, "POST", "/api/v1/devices", {"macs": [mac], "name": f"brief{n}"})
            counts[st] = counts.get(st, 0) + 1
            if st == 201:
                api(nb, "DELETE", f"/api/v1/devices/{mac}")


def test_refused_api_changes_lose_no_dhcp_write(netns, netbay, tmp_path):
    srv, cli = netns("srv"), netns("cli")
    veth(srv, "srv0", cli, "cli0")
    srv.addr("srv0", "10.91.0.1/16")
    cli.addr("cli0", "10.91.0.2/16")  # the relay, and the clients' addresses are on-link
    nb = netbay(srv, server_conf(
        {"10.91.0.0/16": "range = 10.91.1.0-10.91.255.254\nlease-time = 1h"},
        extra="[dhcp]\nnew-client-rate = 0\n[group lab]\nbios = lab.kpxe\n"
    ).replace("log-level = debug", "log-level = info"))
    nb.start()
    st, _, _ = api(nb, "POST", "/api/v1/devices", {"macs": ["52:54:00:aa:aa:aa"],
                                                  "name": "taken"})
    assert st == 201

    stop, counts = threading.Event(), {}
    t = threading.Thread(target=refused_calls, args=(nb, stop, counts), daemon=True)
    t.start()
    acks = tmp_path / "acks.jsonl"
    try:
        cli.run("/usr/bin/python3", CHURN, "10.91.0.1", "10.91.0.2", "0", "3000", "600", "6",
                acks, timeout=40)
    finally:
        stop.set()
        t.join(timeout=20)
    seen = read_acks(acks)
    released = [a for a in seen if a["released"]]
    refused = sum(v for k, v in counts.items() if k >= 400)
    assert len(seen) > 1000, f"only {len(seen)} ACKs"
    assert len(released) > 400, f"only {len(released)} releases sent"
    assert refused > 100, f"only {refused} refused API calls: {counts}"

    # what the server holds in memory, once the releases have arrived
    def memory():
        st, _, body = api(nb, "GET", "/api/v1/leases")
        assert st == 200
        return {l["address"]: l for l in body["leases"]}
    wait_for(lambda: sum(l["state"] == "released" for l in memory().values()) >= len(released),
             timeout=10, what="the server to have every release")
    held = memory()
    nb.stop()
    stored = {l["ip"]: l for l in leases(nb)}

    differ = [(a, l["state"], stored.get(a, {}).get("state")) for a, l in held.items()
              if stored.get(a, {}).get("state") != l["state"]
              or stored[a]["mac"] != l["mac"]]
    assert not differ, f"{len(differ)} leases differ between memory and the database, " \
                       f"e.g. {differ[:5]}"
    want = {a["ip"]: ("released" if a["released"] else "bound", a["mac"]) for a in seen}
    lost = [(ip, w, stored.get(ip)) for ip, w in want.items()
            if (stored.get(ip, {}).get("state"), stored.get(ip, {}).get("mac")) != w]
    assert not lost, f"{len(lost)} ACKs or releases not in the database, e.g. {lost[:5]}"
    assert "lease commit failed" not in nb.log()
