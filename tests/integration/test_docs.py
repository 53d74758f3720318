"""Every configuration key in netbay's key table is documented, and every
documented key exists."""
import re

from conftest import NETBAY, ROOT, sh


def table_keys():
    out = sh(NETBAY, "check", "--keys").stdout
    return set(re.findall(r"^\[(\S+)\] (\S+) =", out, re.M))


def documented_keys():
    docs = (ROOT / "docs" / "configuration.md").read_text()
    found = set()
    for m in re.finditer(r"^## \[(\S+?)[ \]].*?(?=^## |\Z)", docs, re.M | re.S):
        for key in re.findall(r"^\| `([a-z0-9-]+)` \|", m.group(0), re.M):
            found.add((m.group(1), key))
    return found


def test_every_key_documented():
    missing = table_keys() - documented_keys()
    assert not missing, "undocumented keys: " + ", ".join(f"[{s}] {k}" for s, k in sorted(missing))


def test_every_documented_key_exists():
    ghosts = documented_keys() - table_keys()
    assert not ghosts, "documented but unknown: " + ", ".join(f"[{s}] {k}" for s, k in sorted(ghosts))
