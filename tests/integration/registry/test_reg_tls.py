"""HTTPS through libmicrohttpd's GnuTLS with --tls-cert and --tls-key."""
import shutil
import subprocess

import pytest
import requests

from regclient import sha256

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl CLI not installed")


def test_https_push_and_pull(registry_factory, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    reg = registry_factory(extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
    url = f"https://127.0.0.1:{reg.port}"
    r = requests.get(url + "/v2/", verify=str(cert))
    assert r.status_code == 200
    r = requests.post(url + f"/v2/tls/app/blobs/uploads/?digest={sha256(b'secret')}",
                      data=b"secret", verify=str(cert))
    assert r.status_code == 201
    assert requests.get(url + f"/v2/tls/app/blobs/{sha256(b'secret')}",
                        verify=str(cert)).content == b"secret"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{reg.port}/v2/", timeout=5)
    assert "https://" in reg.read_log()


def test_tls_needs_both_files(tmp_path):
    from wharfutil import bin_path
    p = subprocess.run([bin_path("wharf-registry"), "serve", "--data", str(tmp_path),
                        "--listen", "127.0.0.1:0", "--tls-cert", str(tmp_path / "c.pem")],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and "--tls-key" in p.stderr
