"""`netbay check`: every problem with its line, exit status, same loader as serve."""
from conftest import NETBAY, sh


def check(tmp_path, text):
    p = tmp_path / "netbay.conf"
    p.write_text(text)
    return sh(NETBAY, "check", "-c", p, check=False), p


def test_good_config_passes(tmp_path):
    r, p = check(tmp_path, "[subnet 10.0.0.0/24]\nrange = 10.0.0.10-10.0.0.20\n")
    assert r.returncode == 0, r.stderr
    assert "ok (1 subnet" in r.stdout


def test_every_problem_with_its_line(tmp_path):
    r, p = check(tmp_path, "\n".join([
        "[server]",                              # 1
        "bogus = 1",                             # 2
        "[dhcp]",                                # 3
        "mode = fulll",                          # 4
        "[subnet 10.0.0.0/24]",                  # 5
        "range = 10.0.0.100-10.0.0.199",         # 6
        "range = 10.0.1.1-10.0.1.9",             # 7
        "[subnet 10.0.0.128/25]",                # 8
        "[host pc]",                             # 9
        "mac = 52:54:00:00:00:01",               # 10
        "address = 10.0.0.150",                  # 11
    ]) + "\n")
    assert r.returncode == 1
    err = r.stderr
    assert f"{p}:2: unknown key 'bogus' in [server]" in err
    assert f"{p}:4: mode: 'fulll' is not one of: full proxy off" in err
    assert f"{p}:7: range 10.0.1.1-10.0.1.9 is outside subnet 10.0.0.0/24" in err
    assert f"{p}:8: subnet 10.0.0.128/25 overlaps subnet 10.0.0.0/24 on line 5" in err
    assert f"{p}:9: host pc: 10.0.0.150 sits inside a range" in err
    assert "5 problems" in err


def test_missing_file(tmp_path):
    r = sh(NETBAY, "check", "-c", tmp_path / "nope.conf", check=False)
    assert r.returncode == 1
    assert "cannot read" in r.stderr
