#!/usr/bin/python3
"""Ratios from a shared bench script's BENCH json: netbay against the best
peer and against the ceiling probe measured in the same run.

usage: ratios.py dhcp|dns|tftp JSON
"""
import json
import sys

PROBES = {"nulldhcp", "nulldns"}


def dhcp(j):
    s = j["servers"]
    nb = s.get("netbay")
    if not nb:
        return print("no netbay in this run")
    peers = {k: v for k, v in s.items() if k != "netbay" and k not in PROBES}
    print("\n== DHCP ratios (same run)")
    print(f"netbay: {nb['exch_s']:.0f} DORA/s at {nb['drop_pct']}% drops, "
          f"{nb['cpu_us_per_exch']} us server CPU per exchange, avg {nb['avg_ms']} ms")
    if peers:
        best = max(peers, key=lambda k: peers[k]["exch_s"])
        b = peers[best]
        print(f"  vs best peer {best} ({b['exch_s']:.0f}/s): x{nb['exch_s'] / max(b['exch_s'], 1):.2f} "
              f"exchanges/s; CPU per exchange x{b['cpu_us_per_exch'] / max(nb['cpu_us_per_exch'], 0.1):.2f} less")
        for k, v in peers.items():
            if k != best:
                print(f"  vs {k} ({v['exch_s']:.0f}/s): x{nb['exch_s'] / max(v['exch_s'], 1):.2f}")
    if "nulldhcp" in s:
        c = s["nulldhcp"]
        print(f"  share of the nulldhcp ceiling ({c['exch_s']:.0f}/s): {100 * nb['exch_s'] / max(c['exch_s'], 1):.0f}%")
    if nb.get("rss_preload_kb") and nb.get("rss0_kb"):
        n = nb["preload_leases"]
        per = (nb["rss_preload_kb"] - nb["rss0_kb"]) * 1024 / n
        tot = nb["rss_preload_kb"] * 1024 / n
        print(f"  memory with {n} leases: {nb['rss_preload_kb'] / 1024:.1f} MB RSS, "
              f"{per:.0f} B per lease over the empty server ({tot:.0f} B counting everything)")
        print(f"  ready with {n} leases: {nb['load_preload_s']} s (import + start + load)")
        for k, v in peers.items():
            if v.get("rss_preload_kb") and v.get("rss0_kb"):
                pv = (v["rss_preload_kb"] - v["rss0_kb"]) * 1024 / n
                print(f"    {k}: {pv:.0f} B per lease, ready in {v['load_preload_s']} s"
                      f"{' (still loading at timeout)' if v.get('still_loading_at_timeout') else ''}")


def main():
    kind, js = sys.argv[1], json.loads(sys.argv[2])
    {"dhcp": dhcp}[kind](js)


if __name__ == "__main__":
    main()
