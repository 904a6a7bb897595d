"""`serve --auth` with real clients: `aws ecr get-login-password | podman
login`, podman and skopeo through the bearer-token flow and with basic
auth, refused without credentials and where a repository policy denies,
anonymous pull granted by a policy, tag immutability through both APIs,
and repositories that must be created before a push."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import requests

from ecrutil import Ecr, user_add
from ocilayout import make_layout
from regclient import ALL_MANIFEST_TYPES, OCI_MANIFEST, Client

pytestmark = pytest.mark.skipif(not shutil.which("skopeo") or not shutil.which("podman"),
                                reason="skopeo and podman needed")


@pytest.fixture
def ecr(tmp_path):
    e = Ecr(tmp_path)
    yield e
    assert e.stop() == 0


@pytest.fixture
def layout(tmp_path):
    src = str(tmp_path / "layout")
    make_layout(src, "v1")
    return src


def skopeo(*args, ok=True):
    p = subprocess.run(["skopeo", "--insecure-policy", *args], capture_output=True, text=True,
                       timeout=120)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


class Podman:
    def __init__(self, tmp_path):
        self.runroot = tempfile.mkdtemp(prefix="wh-rr-", dir="/tmp")
        self.base = ["podman", "--root", str(tmp_path / "root"), "--runroot", self.runroot,
                     "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                     "--events-backend", "file", "--tmpdir", str(tmp_path / "ptmp")]
        (tmp_path / "registries.conf").write_text("unqualified-search-registries = []\n")
        self.env = dict(os.environ, REGISTRIES_CONFIG_PATH=str(tmp_path / "registries.conf"),
                        XDG_RUNTIME_DIR=str(tmp_path / "xdg"),
                        XDG_CONFIG_HOME=str(tmp_path / "cfg"))
        self.authfile = str(tmp_path / "podman-auth.json")

    def run(self, *args, input=None, ok=True):
        p = subprocess.run(self.base + list(args), capture_output=True, text=True, timeout=180,
                           env=self.env, input=input)
        if ok:
            assert p.returncode == 0, p.stderr
        return p

    def close(self):
        subprocess.run(self.base + ["system", "reset", "-f"], capture_output=True, env=self.env,
                       timeout=120)
        shutil.rmtree(self.runroot, ignore_errors=True)


@pytest.fixture
def podman(tmp_path):
    p = Podman(tmp_path)
    yield p
    p.close()


def token_requests(ecr):
    return ecr.reg.read_log().count("path=\"/token?") + ecr.reg.read_log().count("path=/token?")


def test_get_login_password_podman_login_push_pull(ecr, podman, layout):
    host = ecr.reg.hostport
    pw = ecr.aws_run("get-login-password")
    assert pw.returncode == 0, pw.stderr
    podman.run("login", "--password-stdin", "--username", "AWS", "--tls-verify=false",
               "--authfile", podman.authfile, host, input=pw.stdout)
    podman.run("pull", f"oci:{layout}:v1")
    img = podman.run("images", "-q").stdout.split()[0]
    ref = f"{host}/login/app:v1"
    podman.run("tag", img, ref)
    before = token_requests(ecr)
    podman.run("push", "--tls-verify=false", "--authfile", podman.authfile, ref)
    assert token_requests(ecr) > before, "podman should have used the bearer-token flow"
    podman.run("rmi", "-a", "-f")
    podman.run("pull", "--tls-verify=false", "--authfile", podman.authfile, ref)
    ids = ecr.aws("list-images", "--repository-name", "login/app")["imageIds"]
    assert [i.get("imageTag") for i in ids] == ["v1"]
    # without credentials: refused
    podman.run("rmi", "-a", "-f")
    empty = os.path.join(os.path.dirname(podman.authfile), "empty-auth.json")
    with open(empty, "w") as f:
        f.write('{"auths": {}}')
    p = podman.run("pull", "--tls-verify=false", "--authfile", empty, ref, ok=False)
    assert p.returncode != 0 and ("unauthorized" in p.stderr.lower()
                                  or "authentication required" in p.stderr.lower())
    # a wrong login is refused by podman login itself
    p = podman.run("login", "--password-stdin", "--username", "AWS", "--tls-verify=false",
                   "--authfile", podman.authfile, host, input="not-a-token\n", ok=False)
    assert p.returncode != 0


def test_skopeo_bearer_and_policies(ecr, layout):
    host = ecr.reg.hostport
    dev = user_add(ecr.data, "dev", perms="ecr:*", password="dev-pw")
    assert dev
    ecr.aws("create-repository", "--repository-name", "locked")
    dest = f"docker://{host}/locked:v1"
    # admin pushes with a password (basic → /token → bearer)
    before = token_requests(ecr)
    skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "admin:admin-pw",
           f"oci:{layout}:v1", dest)
    assert token_requests(ecr) > before, "skopeo should have used the bearer-token flow"
    assert "Authorization: Bearer" not in ecr.reg.read_log()  # tokens never logged
    # no credentials: refused
    p = skopeo("inspect", "--tls-verify=false", "--no-creds", dest, ok=False)
    assert p.returncode != 0 and ("unauthorized" in p.stderr.lower() or "401" in p.stderr)
    # wrong password: refused
    p = skopeo("inspect", "--tls-verify=false", "--creds", "dev:wrong", dest, ok=False)
    assert p.returncode != 0
    # dev may do everything (ecr:*) until the repository's policy denies pushes
    skopeo("inspect", "--tls-verify=false", "--creds", "dev:dev-pw", dest)
    arn = f"arn:aws:iam::{ecr.aws('describe-repositories')['repositories'][0]['registryId']}:user/dev"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoDevPush", "Effect": "Deny", "Principal": {"AWS": arn},
         "Action": ["ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload"]},
        {"Sid": "AnyonePulls", "Effect": "Allow", "Principal": "*",
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}
    ecr.aws("set-repository-policy", "--repository-name", "locked", "--policy-text",
            json.dumps(policy))
    p = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "dev:dev-pw",
               f"oci:{layout}:v1", f"docker://{host}/locked:v2", ok=False)
    assert p.returncode != 0
    assert "v2" not in [i.get("imageTag") for i in
                        ecr.aws("list-images", "--repository-name", "locked")["imageIds"]]
    # the same Deny applies to the ECR API
    m = ecr.aws("batch-get-image", "--repository-name", "locked", "--image-ids",
                "imageTag=v1")["images"][0]["imageManifest"]
    e = ecr.aws_fail("put-image", "--repository-name", "locked", "--image-tag", "v3",
                     "--image-manifest", m, key=dev)
    assert "AccessDeniedException" in e
    # anonymous pull is granted by the policy's Principal "*"
    skopeo("inspect", "--tls-verify=false", "--no-creds", dest)
    back = os.path.join(os.path.dirname(layout), "back")
    skopeo("copy", "--src-tls-verify=false", "--src-no-creds", dest, f"oci:{back}:v1")
    # ... but not anonymous push
    p = skopeo("copy", "--dest-tls-verify=false", "--dest-no-creds", f"oci:{layout}:v1",
               f"docker://{host}/locked:v4", ok=False)
    assert p.returncode != 0
    # other repositories stay closed to anonymous callers
    p = skopeo("inspect", "--tls-verify=false", "--no-creds", f"docker://{host}/other:v1",
               ok=False)
    assert p.returncode != 0


def test_bearer_tokens_are_scoped(ecr):
    url = ecr.endpoint
    r = requests.get(url + "/v2/")
    assert r.status_code == 401
    ch = r.headers["WWW-Authenticate"]
    assert ch.startswith("Bearer realm=") and f'"{url}/token"' in ch
    assert 'service="wharf-registry"' in ch
    t = requests.get(url + "/token", params={"service": "wharf-registry",
                                             "scope": "repository:a/b:pull,push"},
                     auth=("admin", "admin-pw"))
    assert t.status_code == 200
    tok = t.json()["token"]
    assert t.json()["expires_in"] > 0
    h = {"Authorization": f"Bearer {tok}"}
    assert requests.get(url + "/v2/", headers=h).status_code == 200
    assert requests.get(url + "/v2/a/b/tags/list", headers=h).status_code == 404
    r = requests.get(url + "/v2/other/tags/list", headers=h)
    assert r.status_code == 401 and "insufficient_scope" in r.headers["WWW-Authenticate"]
    assert 'scope="repository:other:pull"' in r.headers["WWW-Authenticate"]
    # the catalog needs its own scope, granted to users who may describe repositories
    cat = requests.get(url + "/token", params={"scope": "registry:catalog:*"},
                       auth=("admin", "admin-pw")).json()["token"]
    assert requests.get(url + "/v2/_catalog",
                        headers={"Authorization": f"Bearer {cat}"}).status_code == 200
    assert requests.get(url + "/v2/_catalog", headers=h).status_code == 401
    # a tampered token is refused
    bad = tok[:-2] + ("AA" if not tok.endswith("AA") else "BB")
    assert requests.get(url + "/v2/a/b/tags/list",
                        headers={"Authorization": f"Bearer {bad}"}).status_code == 401
    # a wrong password gets no token; anonymous gets an empty grant
    assert requests.get(url + "/token", params={"scope": "repository:a/b:pull"},
                        auth=("admin", "nope")).status_code == 401
    anon = requests.get(url + "/token", params={"scope": "repository:a/b:pull"}).json()["token"]
    assert requests.get(url + "/v2/a/b/tags/list",
                        headers={"Authorization": f"Bearer {anon}"}).status_code == 401
    # a removed user's token stops working at once
    user_add(ecr.data, "tmp", admin=True, password="tmp-pw", key=False)
    t2 = requests.get(url + "/token", params={"scope": "repository:a/b:pull"},
                      auth=("tmp", "tmp-pw")).json()["token"]
    h2 = {"Authorization": f"Bearer {t2}"}
    assert requests.get(url + "/v2/a/b/tags/list", headers=h2).status_code == 404
    assert requests.get(url + "/v2/a/b/tags/list", auth=("tmp", "tmp-pw")).status_code == 404
    subprocess.run([os.path.join(os.path.dirname(ecr.reg.proc.args[0]), "wharf-registry"),
                    "user", "remove", "tmp", "--data", str(ecr.data)], check=True)
    assert requests.get(url + "/v2/a/b/tags/list", headers=h2).status_code == 401
    assert requests.get(url + "/v2/a/b/tags/list", auth=("tmp", "tmp-pw")).status_code == 401


def test_tag_immutability_through_both_apis(ecr):
    ecr.aws("create-repository", "--repository-name", "imm", "--image-tag-mutability",
            "IMMUTABLE")
    c = Client(ecr.endpoint)
    c.s.auth = ("admin", "admin-pw")
    m1 = c.image("imm", layers=(b"one",))
    m2 = c.image("imm", layers=(b"two",))
    ct = {"Content-Type": OCI_MANIFEST}
    assert c.req("PUT", "/v2/imm/manifests/v1", data=m1, headers=ct).status_code == 201
    # the same image again is fine; another image under the tag is not
    assert c.req("PUT", "/v2/imm/manifests/v1", data=m1, headers=ct).status_code == 201
    r = c.req("PUT", "/v2/imm/manifests/v1", data=m2, headers=ct)
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["code"] == "TAG_INVALID" and "immutable" in err["message"]
    e = ecr.aws_fail("put-image", "--repository-name", "imm", "--image-tag", "v1",
                     "--image-manifest", m2.decode())
    assert "ImageTagAlreadyExistsException" in e
    got = c.req("GET", "/v2/imm/manifests/v1", headers={"Accept": ALL_MANIFEST_TYPES})
    assert got.content == m1
    # new tags are fine; MUTABLE again lets v1 move
    assert c.req("PUT", "/v2/imm/manifests/v2", data=m2, headers=ct).status_code == 201
    ecr.aws("put-image-tag-mutability", "--repository-name", "imm",
            "--image-tag-mutability", "MUTABLE")
    assert c.req("PUT", "/v2/imm/manifests/v1", data=m2, headers=ct).status_code == 201


def test_immutable_with_exclusions_via_botocore_signed_calls(ecr):
    """awscli 2.9's model predates the exclusion filters: raw signed calls."""
    st, j = ecr.call("CreateRepository", {
        "repositoryName": "excl", "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
        "imageTagMutabilityExclusionFilters": [{"filterType": "WILDCARD", "filter": "dev-*"}]},
        check=False)
    assert st == 200, j
    assert j["repository"]["imageTagMutabilityExclusionFilters"] == [
        {"filterType": "WILDCARD", "filter": "dev-*"}]
    c = Client(ecr.endpoint)
    c.s.auth = ("admin", "admin-pw")
    m1, m2 = c.image("excl", layers=(b"1",)), c.image("excl", layers=(b"2",))
    ct = {"Content-Type": OCI_MANIFEST}
    for tag in ("dev-1", "v1"):
        assert c.req("PUT", f"/v2/excl/manifests/{tag}", data=m1, headers=ct).status_code == 201
    assert c.req("PUT", "/v2/excl/manifests/dev-1", data=m2, headers=ct).status_code == 201
    assert c.req("PUT", "/v2/excl/manifests/v1", data=m2, headers=ct).status_code == 400


def test_create_on_push_off(tmp_path, layout):
    e = Ecr(tmp_path, extra_args=["--create-on-push", "no"])
    try:
        dest = f"docker://{e.reg.hostport}/fresh:v1"
        p = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "admin:admin-pw",
                   f"oci:{layout}:v1", dest, ok=False)
        assert p.returncode != 0
        e.aws("create-repository", "--repository-name", "fresh")
        skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "admin:admin-pw",
               f"oci:{layout}:v1", dest)
    finally:
        assert e.stop() == 0


def test_without_auth_there_is_no_ecr_api(registry):
    r = requests.post(registry.url + "/", data=b"{}", headers={
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"})
    assert r.status_code == 404
    assert requests.get(registry.url + "/token").status_code == 404
    assert requests.get(registry.url + "/v2/").status_code == 200
