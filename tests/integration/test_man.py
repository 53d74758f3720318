"""The man pages: built from docs/ (scripts/mkman), they render without a
warning, netbay(8) has every subcommand and option the program's --help
lists (and no subcommand it lacks), netbay.conf(5) every key of the key
table, each under its section."""
import os
import re
from pathlib import Path

import pytest

from conftest import NETBAY, sh

BUILD = Path(NETBAY).resolve().parent


def render(page, width=1000):
    """The page as man prints it; wide, so that nothing is broken or hyphenated."""
    path = BUILD / page
    assert path.exists(), f"{path} was not built (pandoc missing? scripts/setup installs it)"
    r = sh("man", "--warnings", "-l", path, env=dict(os.environ, MANWIDTH=str(width),
                                                       MANPAGER="cat", LANG="C.UTF-8"))
    assert r.stderr == "", r.stderr
    return r.stdout


def sections(text, level):
    """{heading: body} for the headings of a rendered page at that indent."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(rf"^{' ' * level}(\S.*)$", line)
        if m and (level == 0 or not line.startswith(" " * (level + 1))):
            cur = m.group(1).strip()
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def help_text(*cmd):
    r = sh(NETBAY, *cmd, "--help", check=False)
    assert r.returncode in (0, 2), r
    return r.stdout + r.stderr


def commands():
    """The subcommands `netbay --help` lists."""
    return sorted(set(re.findall(r"^  ([a-z]+)\b", help_text(), re.M)))


def options(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*[a-z]|-[a-zA-Z])\b", text))


def test_pages_render():
    for page, title in (("netbay.8", "NETBAY(8)"), ("netbay.conf.5", "NETBAY.CONF(5)")):
        text = render(page, width=80)
        assert text.startswith(title), text[:200]
        assert "NAME" in text and "SEE ALSO" in text
        # a raw Markdown or HTML leftover is a generator bug
        assert not re.search(r"\]\(|\|---|<!--", text), page


def test_every_subcommand_and_option_in_netbay_8():
    page = render("netbay.8")
    top = sections(page, 0)
    cmds = sections(top["COMMANDS"], 3)
    listed = commands()
    assert listed, "netbay --help lists no commands"
    assert sorted(set(cmds) - {"help"}) == listed, \
        f"man page: {sorted(cmds)}, netbay --help: {listed}"
    for cmd in listed:
        text = help_text(cmd)
        body = cmds[cmd]
        if "API options" in text:
            assert "API options" in body, cmd
            body += top["API OPTIONS"]
        missing = sorted(o for o in options(text) - {"-h", "--help"} if o not in body)
        assert not missing, f"netbay {cmd} --help has {missing}; its section of netbay(8) does not"
        for sub in set(re.findall(rf"netbay {cmd} ([a-z]+)", text)):
            assert f"netbay {cmd} {sub}" in body, f"netbay {cmd} {sub} is not in netbay(8)"


def test_every_key_in_netbay_conf_5():
    render("netbay.conf.5")
    # the roff source: every key is the tag of a .TP paragraph under its .SH
    roff = (BUILD / "netbay.conf.5").read_text()
    page = dict(re.findall(r"^\.SH (.*)\n((?:(?!\.SH ).*\n)*)", roff, re.M))
    keys = re.findall(r"^\[(\S+)\] (\S+) =", sh(NETBAY, "check", "--keys").stdout, re.M)
    assert len(keys) > 50
    missing = []
    for section, key in keys:
        heads = [h for h in page if re.match(rf"^\[{re.escape(section)}[ \]]", h)]
        assert len(heads) == 1, (section, sorted(page))
        if not re.search(rf"^\.TP\n\\f\[B\]{re.escape(key)}\\f\[R\]", page[heads[0]], re.M):
            missing.append(f"[{section}] {key}")
    assert not missing, "not in netbay.conf(5): " + ", ".join(missing)


@pytest.mark.parametrize("page", ["netbay.8", "netbay.conf.5"])
def test_pages_are_the_docs(page, tmp_path):
    """What the build made is what docs/ says now (a stale build dir fails)."""
    src = {"netbay.8": ("NETBAY", "8"), "netbay.conf.5": ("NETBAY.CONF", "5")}[page]
    out = tmp_path / page
    version = sh(NETBAY, "version").stdout.split()[1]
    root = Path(__file__).resolve().parents[2]
    sh(root / "scripts" / "mkman", "--title", src[0], "--section", src[1], "--version",
       version, root / "docs" / f"{page}.md", out)
    assert out.read_text() == (BUILD / page).read_text()
