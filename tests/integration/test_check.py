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


def test_no_boot_root_warning_when_http_and_tftp_are_off(netns, netbay, tmp_path):
    """Nothing serves the boot root: a missing one is not worth a word, at start
    or on a reload. With HTTP on, the same root is (the control)."""
    import signal
    from conftest import wait_for
    missing = tmp_path / "no-such-root"
    conf = f"""
[server]
data-dir = @DATA@
[dhcp]
mode = off
[dns]
mode = off
[tftp]
enable = no
root = {missing}
[http]
enable = {{http}}
[api]
socket = @SOCK@
"""
    ns = netns("srv")
    off = netbay(ns, conf.replace("{http}", "no"), name="off").start()
    off.signal(signal.SIGHUP)
    wait_for(lambda: "reload: configuration applied" in off.log(), what="the reload")
    off.stop()
    root_lines = [ln for ln in off.log().splitlines()
                  if str(missing) in ln or "boot root" in ln or "tftp: root" in ln]
    assert root_lines == [], root_lines
    on = netbay(ns, conf.replace("{http}", "yes"), name="on").start()
    on.stop()
    assert f"http: boot root {missing}: No such file or directory" in on.log()
