"""Registry auth: bearer-token challenges (a token server in the test, in
front of the registry), Basic, credentials from wharf login, from
~/.docker/config.json and from a docker-credential helper; retries."""
import base64
import json
import os
import stat

import pytest

from authproxy import Proxy
from imgutil import Image, skopeo_push_layout, tar_bytes, write_layout


@pytest.fixture
def image_in_registry(tmp_path, oci_registry):
    img = Image([tar_bytes([("a", "file", "a" * 3000)]), tar_bytes([("b", "file", "b")])])
    layout = str(tmp_path / "layout")
    write_layout(layout, [img])
    skopeo_push_layout(layout, "latest", f"{oci_registry.hostport}/team/app:latest")
    return img


@pytest.fixture
def proxy(oci_registry):
    p = Proxy(oci_registry.port).start()
    yield p
    p.stop()


def test_bearer_anonymous_is_refused_clearly(proxy, image_in_registry, wharf):
    r = wharf.run("pull", f"{proxy.hostport}/team/app", check=False)
    assert r.returncode == 125
    assert b"anonymous access (log in first)" in r.stderr
    assert wharf.store_files() == []


def test_bearer_with_login_and_logout(proxy, image_in_registry, wharf):
    wharf.run("login", "-u", "alice", "--password-stdin", proxy.hostport, input=b"s3cret\n")
    auth = json.load(open(os.path.join(wharf.home, ".config", "wharf", "auth.json")))
    assert base64.b64decode(auth["auths"][proxy.hostport]["auth"]) == b"alice:s3cret"
    assert stat.S_IMODE(os.stat(os.path.join(wharf.home, ".config", "wharf",
                                             "auth.json")).st_mode) == 0o600
    out = wharf.out("pull", "-q", f"{proxy.hostport}/team/app")
    assert out.strip() == image_in_registry.config.digest
    # one token for the repository's pull scope, reused for every request
    assert proxy.token_requests == ["repository:team/app:pull"]
    wharf.run("logout", proxy.hostport)
    wharf.run("rmi", f"{proxy.hostport}/team/app")
    r = wharf.run("pull", f"{proxy.hostport}/team/app", check=False)
    assert r.returncode != 0 and b"log in first" in r.stderr


def test_wrong_password_is_denied(proxy, image_in_registry, wharf):
    r = wharf.run("pull", "--creds", "alice:wrong", f"{proxy.hostport}/team/app", check=False)
    assert r.returncode != 0 and b"refused the credentials" in r.stderr


def test_docker_config_auths(proxy, image_in_registry, wharf):
    d = os.path.join(wharf.home, ".docker")
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"auths": {f"https://{proxy.hostport}": {
            "auth": base64.b64encode(b"alice:s3cret").decode()}}}, f)
    assert wharf.out("pull", "-q", f"{proxy.hostport}/team/app").strip() == \
        image_in_registry.config.digest


def test_docker_credential_helper(tmp_path, proxy, image_in_registry, wharf):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    helper = bindir / "docker-credential-wtest"
    log = tmp_path / "helper.log"
    helper.write_text(f"""#!/bin/sh
[ "$1" = get ] || exit 1
read server
echo "$server" >> {log}
printf '{{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}}' "$server"
""")
    helper.chmod(0o755)
    d = os.path.join(wharf.home, ".docker")
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"credHelpers": {proxy.hostport: "wtest"}}, f)
    wharf.env["PATH"] = f"{bindir}:{wharf.env['PATH']}"
    assert wharf.out("pull", "-q", f"{proxy.hostport}/team/app").strip() == \
        image_in_registry.config.digest
    assert log.read_text().split() == [proxy.hostport]


def test_basic_auth_registry(proxy, image_in_registry, wharf):
    proxy.mode = "basic"
    r = wharf.run("pull", f"{proxy.hostport}/team/app", check=False)
    assert r.returncode != 0 and b"authentication required" in r.stderr
    assert wharf.out("pull", "-q", "--creds", "alice:s3cret",
                     f"{proxy.hostport}/team/app").strip() == image_in_registry.config.digest


@pytest.mark.parametrize("status", [503, 429])
def test_retries_on_busy_registry(proxy, image_in_registry, wharf, status):
    proxy.mode = "none"
    proxy.fail_blob_gets = 2
    proxy.fail_status = status
    assert wharf.out("pull", "-q", f"{proxy.hostport}/team/app").strip() == \
        image_in_registry.config.digest
    assert proxy.fail_blob_gets == 0
