"""Auth and the ECR API wired to the audit log, /metrics and quotas: the
principal of authenticated pushes and deletes, authentication failures,
ECR changes, lifecycle expirations, PutImage over quota, /metrics under
--auth."""
import json
import os

import pytest

from ecrutil import Ecr, user_add
from regclient import Client


def read_audit(ecr):
    with open(os.path.join(ecr.data, "audit.log"), "rb") as f:
        return [json.loads(line) for line in f.read().split(b"\n") if line]


@pytest.fixture
def ecr(tmp_path):
    e = Ecr(tmp_path)
    yield e
    assert e.stop() == 0


def test_push_and_delete_with_auth_name_the_principal(ecr):
    user_add(ecr.data, "dev", perms="ecr:*", password="dev-pw", key=False)
    c = Client(ecr.endpoint)
    c.s.auth = ("dev", "dev-pw")
    _, d = c.push_image("who/app", "v1", layers=(b"principal layer",))
    assert c.req("DELETE", f"/v2/who/app/manifests/{d}").status_code == 202
    lines = [x for x in read_audit(ecr) if x["event"] in ("push", "delete")]
    assert [(x["event"], x["principal"], x["repository"]) for x in lines] == [
        ("push", "dev", "who/app"), ("delete", "dev", "who/app")]


def test_authentication_failures_are_audited_without_secrets(ecr):
    import datetime
    import requests
    from ecrutil import wharf_user
    user_add(ecr.data, "dev", perms="ecr:*", password="dev-pw", key=False)
    url = ecr.endpoint
    # OCI API: a wrong password, an unknown user, a forged bearer token and
    # a forged login token (user AWS)
    assert requests.get(url + "/v2/a/tags/list", auth=("dev", "wrong-pw-1")).status_code == 401
    assert requests.get(url + "/v2/a/tags/list", auth=("nobody", "pw-2")).status_code == 401
    assert requests.get(url + "/v2/a/tags/list",
                        headers={"Authorization": "Bearer e30.e30.secret-3"}).status_code == 401
    assert requests.get(url + "/v2/a/tags/list", auth=("AWS", "secret-4")).status_code == 401
    # the token endpoint
    assert requests.get(url + "/token", auth=("dev", "wrong-pw-5")).status_code == 401
    # ECR API: an unknown key, a bad signature, an expired key
    st, j = ecr.call("DescribeRepositories", {},
                     key=dict(ecr.admin, AccessKeyId="AKIAAAAAAAAAAAAAAAAA"))
    assert st == 403
    st, j = ecr.call("DescribeRepositories", {}, key=dict(ecr.admin, SecretAccessKey="s" * 40))
    assert st == 400
    ci = user_add(ecr.data, "ci", perms="ecr:DescribeRepositories")
    past = (datetime.datetime.utcnow() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    wharf_user(ecr.data, "key", "expire", ci["AccessKeyId"], "--at", past)
    assert ecr.call("DescribeRepositories", {}, key=ci)[0] == 403
    raw = open(os.path.join(ecr.data, "audit.log")).read()
    for secret in ("wrong-pw-1", "pw-2", "secret-3", "secret-4", "wrong-pw-5",
                   ecr.admin["SecretAccessKey"], "s" * 40, ci["SecretAccessKey"]):
        assert secret not in raw
    fails = [x for x in read_audit(ecr) if x["event"] == "auth_failure"]
    assert [(x["api"], x["reason"]) for x in fails] == [
        ("oci", "bad password"), ("oci", "unknown user"),
        ("oci", "bad or expired bearer token"), ("oci", "bad or expired login token"),
        ("token", "bad password"),
        ("ecr", "unknown access key"), ("ecr", "InvalidSignatureException"),
        ("ecr", "expired access key")]
    assert all(x["principal"] is None for x in fails)
    assert fails[0]["repository"] == "a" and fails[4]["repository"] is None
    assert fails[6]["access_key_id"] == ecr.admin["AccessKeyId"]
    assert fails[7]["access_key_id"] == ci["AccessKeyId"]


def test_ecr_changes_are_audited_with_the_principal(ecr):
    c = Client(ecr.endpoint)
    c.s.auth = ("admin", "admin-pw")
    ecr.aws("create-repository", "--repository-name", "chg")
    m = c.image("chg", layers=(b"ecr audit layer",))  # pushes its blobs
    pol = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "all", "Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}]})
    lc = json.dumps({"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 5},
        "action": {"type": "expire"}}]})
    ecr.aws("set-repository-policy", "--repository-name", "chg", "--policy-text", pol)
    ecr.aws("delete-repository-policy", "--repository-name", "chg")
    ecr.aws("put-lifecycle-policy", "--repository-name", "chg", "--lifecycle-policy-text", lc)
    ecr.aws("delete-lifecycle-policy", "--repository-name", "chg")
    ecr.aws("put-image-tag-mutability", "--repository-name", "chg",
            "--image-tag-mutability", "IMMUTABLE")
    out = ecr.aws("put-image", "--repository-name", "chg", "--image-tag", "v2",
                  "--image-manifest", m.decode())
    ecr.aws("batch-delete-image", "--repository-name", "chg", "--image-ids", "imageTag=v2")
    ecr.aws("describe-repositories")  # reads are not audited
    ecr.aws("delete-repository", "--repository-name", "chg", "--force")
    lines = [x for x in read_audit(ecr) if x["event"] == "ecr"]
    assert [x["action"] for x in lines] == [
        "CreateRepository", "SetRepositoryPolicy", "DeleteRepositoryPolicy",
        "PutLifecyclePolicy", "DeleteLifecyclePolicy", "PutImageTagMutability", "PutImage",
        "BatchDeleteImage", "DeleteRepository"]
    assert all(x["principal"] == "admin" and x["repository"] == "chg" for x in lines)
    put = lines[6]
    assert (put["tag"], put["digest"]) == ("v2", out["image"]["imageId"]["imageDigest"])
    assert lines[7]["deleted"] == 1
    # a refused change is not written as one
    assert "RepositoryNotFoundException" in ecr.aws_fail(
        "delete-repository", "--repository-name", "chg")
    assert len([x for x in read_audit(ecr) if x["event"] == "ecr"]) == len(lines)


def test_put_image_over_quota_is_limit_exceeded(ecr):
    import subprocess
    from wharfutil import bin_path
    ecr.aws("create-repository", "--repository-name", "q/ecr")
    p = subprocess.run([bin_path("wharf-registry"), "repo", "quota", "q/ecr", "20000",
                        "--data", str(ecr.data)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    c = Client(ecr.endpoint)
    c.s.auth = ("admin", "admin-pw")
    small = c.image("q/ecr", layers=(os.urandom(6000),))
    out = ecr.aws("put-image", "--repository-name", "q/ecr", "--image-tag", "v1",
                  "--image-manifest", small.decode())
    assert out["image"]["imageId"]["imageTag"] == "v1"
    big = c.image("q/ecr", layers=(os.urandom(15000),))  # uploads start under quota
    st, j = ecr.call("PutImage", {"repositoryName": "q/ecr", "imageTag": "v2",
                                  "imageManifest": big.decode()})
    assert st == 400 and j["__type"] == "LimitExceededException", j
    assert "quota of 20000 bytes" in j["message"] and "uses" in j["message"], j
    assert "q/ecr" in j["message"]
    e = ecr.aws_fail("put-image", "--repository-name", "q/ecr", "--image-tag", "v2",
                     "--image-manifest", big.decode())
    assert "LimitExceededException" in e
    st, j = ecr.call("DescribeImages", {"repositoryName": "q/ecr"})
    assert [i.get("imageTags") for i in j["imageDetails"]] == [["v1"]]
    denied = [x for x in read_audit(ecr) if x["event"] == "quota_denied"]
    # botocore retries LimitExceededException (a throttling code to it):
    # the aws call may have been refused more than once
    assert len(denied) >= 2
    assert {(x["principal"], x["repository"]) for x in denied} == {("admin", "q/ecr")}
    assert f"wharf_registry_quota_denied_total {len(denied)}\n" in c.req("GET", "/metrics").text


def test_metrics_stay_open_under_auth_and_name_no_repository_or_user(ecr):
    """docs/registry.md, Metrics: /metrics needs no credentials even with
    --auth, which is safe because no series names a repository, tag,
    user or key."""
    import requests
    user_add(ecr.data, "secretive-user", perms="ecr:*", password="pw", key=False)
    c = Client(ecr.endpoint)
    c.s.auth = ("secretive-user", "pw")
    c.push_image("hidden-repo-name/app", "hidden-tag", layers=(b"metrics layer",))
    assert requests.get(ecr.endpoint + "/v2/_catalog").status_code == 401  # auth is on
    r = requests.get(ecr.endpoint + "/metrics", timeout=10)
    assert r.status_code == 200 and "wharf_registry_http_requests_total{" in r.text
    for secret in ("hidden-repo-name", "hidden-tag", "secretive-user", ecr.admin["AccessKeyId"]):
        assert secret not in r.text
    # credentials, even wrong ones, do not change that
    assert requests.get(ecr.endpoint + "/metrics", auth=("x", "y")).status_code == 200
