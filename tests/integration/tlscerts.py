"""Certificates for the TLS tests, made with Debian's openssl: a fresh
self-signed pair with chosen names and lifetime, one that expired long
ago (openssl ca with explicit dates), and fingerprints as
`openssl x509 -fingerprint -sha256` prints them."""
import subprocess
from pathlib import Path


def run(*args, cwd=None):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True,
                          cwd=cwd, timeout=60).stdout


def fingerprint(cert):
    """'AB:CD:...' of the PEM certificate at cert."""
    out = run("openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256")
    return out.strip().split("=", 1)[1]


def names(cert):
    """The subjectAltName line of the certificate, as openssl prints it."""
    out = run("openssl", "x509", "-in", cert, "-noout", "-ext", "subjectAltName")
    return out.strip().splitlines()[-1].strip()


def pair(tmp, name, cn="bay", sans="DNS:bay", days=365, rsa=False):
    """A self-signed pair valid from now for days: (cert path, key path), the key 0600."""
    tmp = Path(tmp)
    crt, key = tmp / f"{name}.crt", tmp / f"{name}.key"
    newkey = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt",
                                                 "ec_paramgen_curve:P-256"]
    run("openssl", "req", "-x509", *newkey, "-nodes", "-keyout", key, "-out", crt,
        "-days", days, "-subj", f"/CN={cn}", "-addext", f"subjectAltName={sans}")
    key.chmod(0o600)
    return crt, key


def expired_pair(tmp, name, cn="bay", sans="DNS:bay", start="20200101000000Z",
                 end="20200102000000Z"):
    """A self-signed pair valid only from start to end (both in the past by default)."""
    tmp = Path(tmp)
    d = tmp / f"{name}-ca"
    d.mkdir()
    (d / "index.txt").write_text("")
    (d / "serial").write_text("01\n")
    (d / "ca.cnf").write_text("[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\n"
                              "new_certs_dir = .\nserial = serial\ndefault_md = sha256\n"
                              "policy = p\nunique_subject = no\ncopy_extensions = copy\n"
                              "[p]\ncommonName = supplied\n")
    crt, key = tmp / f"{name}.crt", tmp / f"{name}.key"
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", d / "req.csr", "-subj", f"/CN={cn}", "-addext",
        f"subjectAltName={sans}")
    run("openssl", "ca", "-config", "ca.cnf", "-selfsign", "-keyfile", key, "-in", "req.csr",
        "-out", crt, "-startdate", start, "-enddate", end, "-batch", cwd=d)
    key.chmod(0o600)
    return crt, key
