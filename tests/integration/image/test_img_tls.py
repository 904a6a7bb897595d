"""A registry that speaks HTTPS with a self-signed certificate: loopback
registries are used without verification (as docker does), an explicit
--tls-verify=true checks the certificate and fails clearly, and succeeds
once the registries file names the registry's CA."""
import subprocess

import pytest

from imgutil import Image, skopeo_push_layout, tar_bytes, write_layout
from wharfutil import Registry


@pytest.fixture
def tls_registry(tmp_path):
    key, crt = tmp_path / "tls.key", tmp_path / "tls.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    r = Registry(tmp_path / "tls-data", tmp_path / "tls.log",
                 ["--tls-cert", str(crt), "--tls-key", str(key)]).start()
    r.crt = str(crt)
    yield r
    r.stop()


def test_pull_over_tls(tmp_path, tls_registry, wharf):
    img = Image([tar_bytes([("secure", "file", "yes")])])
    layout = str(tmp_path / "layout")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{tls_registry.hostport}/sec:latest")
    r = wharf.run("pull", "--tls-verify=true", f"{tls_registry.hostport}/sec", check=False)
    assert r.returncode == 125
    assert b"SSL" in r.stderr or b"certificate" in r.stderr
    assert wharf.store_files() == []
    assert wharf.out("pull", "-q", f"{tls_registry.hostport}/sec").strip() == img.config.digest
    assert wharf.out("pull", "-q", "--tls-verify=false",
                     f"{tls_registry.hostport}/sec").strip() == img.config.digest
    # the requests really went over TLS: the registry logs them
    assert "listening on https://" in tls_registry.read_log()


def test_ca_file_from_registries_conf(tmp_path, tls_registry, wharf):
    import json
    img = Image([tar_bytes([("ca", "file", "trusted")])])
    layout = str(tmp_path / "layout")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{tls_registry.hostport}/ca:latest")
    with open(wharf.conf, "w") as f:
        json.dump({"registries": {tls_registry.hostport: {"ca-file": tls_registry.crt}}}, f)
    assert wharf.out("pull", "-q", "--tls-verify=true",
                     f"{tls_registry.hostport}/ca").strip() == img.config.digest
    with open(wharf.conf, "w") as f:
        json.dump({"registries": {tls_registry.hostport: {"ca-file": 7}}}, f)
    r = wharf.run("pull", f"{tls_registry.hostport}/ca", check=False)
    assert r.returncode == 125 and b"ca-file: expected a path" in r.stderr
