"""Every configuration key in netbay's key table is documented."""
import re

from conftest import NETBAY, ROOT, sh


def test_every_key_documented():
    keys = sh(NETBAY, "check", "--keys").stdout
    docs = (ROOT / "docs" / "configuration.md").read_text()
    missing = []
    for section, key in re.findall(r"^\[(\S+)\] (\S+) =", keys, re.M):
        # each section's table lists its keys as `key`
        part = re.search(r"^## \[" + re.escape(section) + r"[ \]].*?(?=^## |\Z)", docs, re.M | re.S)
        if not part or f"| `{key}` |" not in part.group(0):
            missing.append(f"[{section}] {key}")
    assert not missing, "undocumented keys: " + ", ".join(missing)
