"""--ssl-certfile/--ssl-keyfile (as uvicorn): HTTPS with HTTP/1.1 and HTTP/2 (ALPN), the
scope's scheme "https"; bad files are refused at start with the reason. Certificates are made
by the openssl command (skipped visibly without it, a failure with BRISK_REQUIRE_PEERS=1)."""

import shutil
import ssl
import subprocess
import sys

import pytest

from conftest import APPS, REQUIRE, need, wait_exit


def _cert(tmp_path, stem: str, cn: str):
    if shutil.which("openssl") is None:
        if REQUIRE:
            pytest.fail("openssl is not installed and BRISK_REQUIRE_PEERS=1")
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / f"{stem}.pem", tmp_path / f"{stem}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", f"/CN={cn}",
         "-addext", f"subjectAltName=DNS:{cn},IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


def _context(cert: str) -> ssl.SSLContext:
    """Trusts the test's self-signed certificate (and checks the name 127.0.0.1 against it)."""
    return ssl.create_default_context(cafile=cert)


@pytest.mark.parametrize("http2", [False, True])
def test_https_serves_http1_and_http2_with_scheme_https(serve, httpx, tmp_path, http2):
    if http2:
        need("h2")
    cert, key = _cert(tmp_path, "c", "localhost")
    s = serve("raw:app", "--ssl-certfile", cert, "--ssl-keyfile", key)
    assert s.url.startswith("https://127.0.0.1:"), s.url
    with httpx.Client(verify=_context(cert), http2=http2, timeout=5.0) as c:
        r = c.get(s.url + "/scope?x=1")
        assert r.status_code == 200
        assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        scope = r.json()
        assert scope["scheme"]["value"] == "https"
        assert scope["http_version"]["value"] == ("2" if http2 else "1.1")
        assert scope["query_string"]["value"] == "x=1"
        body = bytes(range(256)) * 4000
        r = c.post(s.url + "/echo", content=body)
        assert r.status_code == 200 and r.content == body
    assert s.stop() == 0, s.log


def test_cleartext_scope_keeps_scheme_http(serve, httpx):
    s = serve("raw:app")
    assert httpx.get(s.url + "/scope").json()["scheme"]["value"] == "http"


def _start_fails(*args: str) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-m", "brisk_asgi", "raw:app", "--port", "0", *args],
        cwd=APPS, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    code = wait_exit(proc, 20)
    err = proc.stderr.read()
    assert code not in (None, 0), err
    return err


def test_bad_tls_files_are_refused_with_the_reason(tmp_path):
    cert, _ = _cert(tmp_path, "a", "localhost")
    _, other_key = _cert(tmp_path, "b", "localhost")
    err = _start_fails("--ssl-certfile", cert, "--ssl-keyfile", other_key)
    assert "does not match the certificate" in err, err
    err = _start_fails("--ssl-certfile", str(tmp_path / "missing.pem"), "--ssl-keyfile", other_key)
    assert "missing.pem: cannot read" in err, err
    err = _start_fails("--ssl-certfile", cert)
    assert "--ssl-certfile and --ssl-keyfile go together" in err, err
