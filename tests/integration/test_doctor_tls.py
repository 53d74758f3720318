"""The certificate part of `netbay doctor`'s http check, against a real
netbay serving [api] listen over HTTPS: its own self-signed certificate
(pass, and a --fingerprint that differs), an [api] tls-cert naming
another host, one that expired while the server ran, and a server that
offers no HTTPS when a fingerprint was given. Certificates come from
Debian's openssl."""
import datetime
import time

import pytest

import tlscerts
from doctor_env import SRV, DoctorLan, netbay_conf, show

TOKEN = "tok-doctor-0123456789"


@pytest.fixture
def lan(netns, tmp_path):
    lan = DoctorLan(netns, tmp_path)
    yield lan
    lan.close()


def conf(lan, extra=""):
    """netbay_conf without DHCP (these tests need none)."""
    return netbay_conf(lan.boot, extra=extra).replace("[subnet", "[dhcp]\nmode = off\n[subnet")


def serve(lan, netbay, api=""):
    return netbay(lan.srv, conf(lan, f"[api]\nlisten = {SRV}:8443\ntoken = {TOKEN}\n{api}")).start()


def http_check(lan, *args):
    rc, rep, c = lan.doctor(SRV, "--only", "http", *args)
    return rc, c["http"], "\n".join(c["http"]["evidence"])


def test_own_certificate_passes_and_a_wrong_pin_fails(lan, netbay):
    nb = serve(lan, netbay)
    cert = nb.data / "tls" / "cert.pem"
    fp = tlscerts.fingerprint(cert)
    rc, h, ev = http_check(lan, "--fingerprint", fp)
    assert rc == 0 and h["status"] == "pass", show({"http": h})
    assert f"TLS at https://{SRV}:8443: (TLS1.3)" in ev and "ECDSA P-256, self-signed" in ev
    assert f"names in the certificate: netbay, netbay.lan, {SRV}, 127.0.0.1 (CN netbay)" in ev
    assert f"certificate SHA-256 fingerprint: {fp}" in ev
    assert f"GET https://{SRV}:8443/api/v1/health -> netbay 'netbay' 0.1.0" in ev
    # the HTTPS port found through the health answer, or given
    rc, h, ev = http_check(lan, "--api-port", "8443")
    assert rc == 0 and f"fingerprint: {fp}" in ev

    wrong = ("11" if fp[:2] != "11" else "22") + fp[2:]
    rc, h, ev = http_check(lan, "--fingerprint", wrong)
    assert rc == 1 and h["status"] == "fail", show({"http": h})
    assert h["finding"] == (f"the certificate of https://{SRV}:8443 is not the one you were given "
                            "(--fingerprint): someone in between, another server, or a new "
                            "certificate")
    assert f"certificate SHA-256 fingerprint: {fp}" in ev
    assert f"fingerprint you were given:     {wrong}" in ev
    assert "SHA-256 fingerprint" in h["fix"]


def test_certificate_for_another_name_fails(lan, netbay):
    crt, key = tlscerts.pair(lan.tmp, "other", cn="other.example",
                             sans="DNS:other.example,IP:10.77.0.99")
    serve(lan, netbay, f"tls-cert = {crt}\ntls-key = {key}\n")
    rc, h, ev = http_check(lan)
    assert rc == 1 and h["status"] == "fail", show({"http": h})
    assert h["finding"] == f"the certificate of https://{SRV}:8443 does not name '{SRV}'"
    assert "names in the certificate: other.example, 10.77.0.99 (CN other.example)" in ev
    # the fingerprint is still the configured one, and matches what health names
    assert f"fingerprint: {tlscerts.fingerprint(crt)}" in ev
    assert "is not the one netbay says it serves" not in h["finding"]


def test_certificate_that_expired_while_serving_fails(lan, netbay):
    now = datetime.datetime.now(datetime.timezone.utc)
    end = now + datetime.timedelta(seconds=8)
    fmt = "%Y%m%d%H%M%SZ"
    crt, key = tlscerts.expired_pair(lan.tmp, "short", cn="netbay",
                                     sans=f"DNS:netbay,IP:{SRV}",
                                     start=(now - datetime.timedelta(hours=1)).strftime(fmt),
                                     end=end.strftime(fmt))
    nb = serve(lan, netbay, f"tls-cert = {crt}\ntls-key = {key}\n")
    assert "expires on" in nb.log()  # within 30 days: a warning at start
    while datetime.datetime.now(datetime.timezone.utc) < end + datetime.timedelta(seconds=2):
        time.sleep(0.5)
    rc, h, ev = http_check(lan)
    assert rc == 1 and h["status"] == "fail", show({"http": h})
    when = end.strftime("%Y-%m-%d %H:%M:%S UTC")
    assert h["finding"] == f"the certificate of https://{SRV}:8443 expired on {when}"
    assert f"until {when}; this machine's clock: " in ev
    assert "check this machine's clock" in h["fix"]


def test_no_https_with_a_fingerprint_fails(lan, netbay):
    netbay(lan.srv, conf(lan)).start()
    rc, h, ev = http_check(lan)
    assert rc == 0 and "HTTPS: not offered" in ev, show({"http": h})
    rc, h, ev = http_check(lan, "--fingerprint", "AB" * 32)
    assert rc == 1 and f"--fingerprint was given, but {SRV} offers no HTTPS" in h["finding"]
    # HTTPS asked for where only plain HTTP answers
    rc, h, ev = http_check(lan, "--api-port", "80")
    assert rc == 1 and h["finding"].startswith(f"no TLS at https://{SRV}:80: "), show({"http": h})
    assert "plain HTTP port" in h["finding"]
