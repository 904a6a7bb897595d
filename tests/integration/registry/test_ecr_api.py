"""The ECR API of `serve --auth` with Debian's awscli (/usr/bin/aws) and
raw calls signed by python3-botocore: every action, pagination, ECR's
error codes, and every response checked against the service model's
output shapes."""
import datetime
import json

import pytest

from ecrutil import Ecr, user_add, wharf_user
from regclient import Client


@pytest.fixture
def ecr(tmp_path):
    e = Ecr(tmp_path)
    yield e
    assert e.stop() == 0


def push_image(ecr, repo, tag, layers=(b"one",)):
    c = Client(ecr.endpoint)
    c.s.auth = ("admin", "admin-pw")
    m = c.image(repo, layers=layers)
    path = f"/v2/{repo}/manifests/{tag}"
    r = c.req("PUT", path, data=m, headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 201, r.text
    return r.headers["Docker-Content-Digest"], m


def test_repositories_with_the_aws_cli(ecr):
    r = ecr.aws("create-repository", "--repository-name", "team/app",
                "--image-tag-mutability", "IMMUTABLE",
                "--image-scanning-configuration", "scanOnPush=true",
                "--encryption-configuration", "encryptionType=KMS,kmsKey=arn:aws:kms:x",
                "--tags", "Key=team,Value=blue")["repository"]
    host = ecr.reg.hostport
    assert r["repositoryUri"] == f"{host}/team/app"
    assert r["repositoryArn"].startswith("arn:aws:ecr:us-east-1:")
    assert r["repositoryArn"].endswith(":repository/team/app")
    assert len(r["registryId"]) == 12 and r["registryId"].isdigit()
    assert r["imageTagMutability"] == "IMMUTABLE"
    # stored and returned as sent
    assert r["imageScanningConfiguration"] == {"scanOnPush": True}
    assert r["encryptionConfiguration"] == {"encryptionType": "KMS", "kmsKey": "arn:aws:kms:x"}
    err = ecr.aws_fail("create-repository", "--repository-name", "team/app")
    assert "RepositoryAlreadyExistsException" in err
    assert "InvalidParameterException" in ecr.aws_fail("create-repository",
                                                       "--repository-name", "Bad_Name")
    for i in range(5):  # raw calls: five CLI starts would only cost time
        assert ecr.call("CreateRepository", {"repositoryName": f"r{i}"})[0] == 200
    d = ecr.aws("describe-repositories", "--repository-names", "team/app")
    assert [x["repositoryName"] for x in d["repositories"]] == ["team/app"]
    # the CLI follows nextToken itself; page size 2 makes it do so three times
    d = ecr.aws("describe-repositories", "--page-size", "2")
    assert sorted(x["repositoryName"] for x in d["repositories"]) == \
        ["r0", "r1", "r2", "r3", "r4", "team/app"]
    st, j = ecr.call("DescribeRepositories", {"maxResults": 4})
    assert st == 200 and len(j["repositories"]) == 4 and j["nextToken"]
    st, j2 = ecr.call("DescribeRepositories", {"maxResults": 4, "nextToken": j["nextToken"]})
    assert st == 200 and len(j2["repositories"]) == 2 and "nextToken" not in j2
    assert "RepositoryNotFoundException" in ecr.aws_fail(
        "describe-repositories", "--repository-names", "nope")
    arn = r["repositoryArn"]
    ecr.aws("tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=prod",
            "Key=team,Value=red")
    tags = ecr.aws("list-tags-for-resource", "--resource-arn", arn)["tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "prod"), ("team", "red")]
    ecr.aws("untag-resource", "--resource-arn", arn, "--tag-keys", "team")
    assert ecr.aws("list-tags-for-resource", "--resource-arn", arn)["tags"] == \
        [{"Key": "env", "Value": "prod"}]
    m = ecr.aws("put-image-tag-mutability", "--repository-name", "team/app",
                "--image-tag-mutability", "MUTABLE")
    assert m["imageTagMutability"] == "MUTABLE"
    assert ecr.aws("delete-repository", "--repository-name", "r0")["repository"][
        "repositoryName"] == "r0"
    assert "RepositoryNotFoundException" in ecr.aws_fail("delete-repository",
                                                        "--repository-name", "r0")


def test_images_with_the_aws_cli(ecr):
    ecr.aws("create-repository", "--repository-name", "img")
    d1, m1 = push_image(ecr, "img", "v1", layers=(b"a",))
    d2, m2 = push_image(ecr, "img", "v2", layers=(b"b",))
    c = Client(ecr.endpoint)
    c.s.auth = ("admin", "admin-pw")
    c.req("PUT", "/v2/img/manifests/latest", data=m2,
          headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    d3, _ = push_image(ecr, "img", "tmp", layers=(b"c",))
    c.req("DELETE", "/v2/img/manifests/tmp")
    ids = ecr.aws("list-images", "--repository-name", "img")["imageIds"]
    assert sorted((i["imageDigest"], i.get("imageTag")) for i in ids) == sorted(
        [(d1, "v1"), (d2, "v2"), (d2, "latest"), (d3, None)])
    un = ecr.aws("list-images", "--repository-name", "img", "--filter", "tagStatus=UNTAGGED")
    assert un["imageIds"] == [{"imageDigest": d3}]
    det = ecr.aws("describe-images", "--repository-name", "img", "--image-ids",
                  "imageTag=latest")["imageDetails"]
    assert len(det) == 1 and det[0]["imageDigest"] == d2
    assert sorted(det[0]["imageTags"]) == ["latest", "v2"]
    assert det[0]["imageSizeInBytes"] == len(m2)
    assert "ImageNotFoundException" in ecr.aws_fail(
        "describe-images", "--repository-name", "img", "--image-ids", "imageTag=nope")
    g = ecr.aws("batch-get-image", "--repository-name", "img", "--image-ids",
                "imageTag=v1", "imageTag=nope", f"imageDigest={d2}")
    assert [i["imageManifest"].encode() for i in g["images"]] == [m1, m2]
    assert g["failures"][0]["failureCode"] == "ImageNotFound"
    # PutImage: retag v1's manifest as "prod"
    p = ecr.aws("put-image", "--repository-name", "img", "--image-tag", "prod",
                "--image-manifest", m1.decode())["image"]
    assert p["imageId"] == {"imageDigest": d1, "imageTag": "prod"}
    r = c.req("GET", "/v2/img/manifests/prod",
              headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    assert r.status_code == 200 and r.content == m1
    assert "ImageAlreadyExistsException" in ecr.aws_fail(
        "put-image", "--repository-name", "img", "--image-tag", "prod",
        "--image-manifest", m1.decode())
    bad = json.loads(m1)
    bad["layers"][0]["digest"] = "sha256:" + "0" * 64
    assert "LayersNotFoundException" in ecr.aws_fail(
        "put-image", "--repository-name", "img", "--image-manifest", json.dumps(bad))
    assert "ImageDigestDoesNotMatchException" in ecr.aws_fail(
        "put-image", "--repository-name", "img", "--image-manifest", m1.decode(),
        "--image-digest", d2)
    layer = json.loads(m1)["layers"][0]["digest"]
    lay = ecr.aws("batch-check-layer-availability", "--repository-name", "img",
                  "--layer-digests", layer, "sha256:" + "1" * 64, "nonsense")
    assert lay["layers"][0] == {"layerDigest": layer, "layerAvailability": "AVAILABLE",
                                "layerSize": 1}
    assert lay["layers"][1]["layerAvailability"] == "UNAVAILABLE"
    assert lay["failures"][0]["failureCode"] == "InvalidLayerDigest"
    # delete by tag (another tag stays), by digest, and one that does not exist
    dl = ecr.aws("batch-delete-image", "--repository-name", "img", "--image-ids",
                 "imageTag=latest", f"imageDigest={d3}", "imageTag=ghost")
    assert sorted((i["imageDigest"], i.get("imageTag")) for i in dl["imageIds"]) == \
        sorted([(d2, "latest"), (d3, None)])
    assert dl["failures"][0]["failureCode"] == "ImageNotFound"
    ids = ecr.aws("list-images", "--repository-name", "img")["imageIds"]
    assert sorted(i.get("imageTag") for i in ids) == ["prod", "v1", "v2"]
    assert "RepositoryNotEmptyException" in ecr.aws_fail("delete-repository",
                                                        "--repository-name", "img")
    ecr.aws("delete-repository", "--repository-name", "img", "--force")
    assert c.req("GET", "/v2/img/manifests/v1").status_code == 404


def test_every_action_validates_against_the_model(ecr):
    """Raw calls, every response checked by check_shape (in ecr.call)."""
    st, j = ecr.call("CreateRepository", {"repositoryName": "shape", "tags": [{"Key": "a", "Value": "b"}]})
    assert st == 200
    arn = j["repository"]["repositoryArn"]
    d1, m1 = push_image(ecr, "shape", "v1")
    calls = [
        ("DescribeRepositories", {}),
        ("ListImages", {"repositoryName": "shape", "maxResults": 1}),
        ("DescribeImages", {"repositoryName": "shape"}),
        ("BatchGetImage", {"repositoryName": "shape", "imageIds": [{"imageTag": "v1"}]}),
        ("BatchCheckLayerAvailability", {"repositoryName": "shape", "layerDigests": [d1]}),
        ("PutImage", {"repositoryName": "shape", "imageManifest": m1.decode(), "imageTag": "v2"}),
        ("GetAuthorizationToken", {}),
        ("PutImageTagMutability", {"repositoryName": "shape", "imageTagMutability": "IMMUTABLE"}),
        ("SetRepositoryPolicy", {"repositoryName": "shape", "policyText": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": "pull", "Effect": "Allow",
                                                    "Principal": "*",
                                                    "Action": ["ecr:BatchGetImage"]}]})}),
        ("GetRepositoryPolicy", {"repositoryName": "shape"}),
        ("DeleteRepositoryPolicy", {"repositoryName": "shape"}),
        ("PutLifecyclePolicy", {"repositoryName": "shape", "lifecyclePolicyText": json.dumps({
            "rules": [{"rulePriority": 1, "selection": {"tagStatus": "any",
                       "countType": "imageCountMoreThan", "countNumber": 5},
                       "action": {"type": "expire"}}]})}),
        ("GetLifecyclePolicy", {"repositoryName": "shape"}),
        ("StartLifecyclePolicyPreview", {"repositoryName": "shape"}),
        ("GetLifecyclePolicyPreview", {"repositoryName": "shape"}),
        ("DeleteLifecyclePolicy", {"repositoryName": "shape"}),
        ("TagResource", {"resourceArn": arn, "tags": [{"Key": "c", "Value": "d"}]}),
        ("ListTagsForResource", {"resourceArn": arn}),
        ("UntagResource", {"resourceArn": arn, "tagKeys": ["a"]}),
        ("BatchDeleteImage", {"repositoryName": "shape", "imageIds": [{"imageTag": "v2"}]}),
        ("DeleteRepository", {"repositoryName": "shape", "force": True}),
    ]
    for action, body in calls:
        st, j = ecr.call(action, body)
        assert st == 200, (action, j)
    # the errors the model names, in ECR's shape
    for action, body, typ in [
        ("GetRepositoryPolicy", {"repositoryName": "nope"}, "RepositoryNotFoundException"),
        ("DescribeImages", {"repositoryName": "nope"}, "RepositoryNotFoundException"),
        ("ListImages", {"repositoryName": "x", "maxResults": 0}, "InvalidParameterException"),
        ("Frobnicate", {}, "UnknownOperationException"),
    ]:
        st, j = ecr.call(action, body) if action != "Frobnicate" else (None, None)
        if action == "Frobnicate":
            import requests
            r = requests.post(ecr.endpoint + "/", data=b"{}", headers={
                "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.Frobnicate"})
            assert r.status_code == 403
            assert r.json()["__type"] == "MissingAuthenticationTokenException"
            continue
        assert st == 400 and j["__type"] == typ, j


def test_lifecycle_and_policy_documents_errors_name_the_field(ecr):
    ecr.aws("create-repository", "--repository-name", "docs")
    e = ecr.aws_fail("put-lifecycle-policy", "--repository-name", "docs",
                     "--lifecycle-policy-text", json.dumps({"rules": [{
                         "rulePriority": 1, "selection": {"tagStatus": "tagged",
                                                          "tagPrefixList": ["v"],
                                                          "countType": "imageCountMoreThan",
                                                          "countUnit": "days",
                                                          "countNumber": 3},
                         "action": {"type": "expire"}}]}))
    assert "InvalidParameterException" in e and "countUnit" in e and "rules[0]" in e
    assert "LifecyclePolicyNotFoundException" in ecr.aws_fail(
        "get-lifecycle-policy", "--repository-name", "docs")
    assert "LifecyclePolicyPreviewNotFoundException" in ecr.aws_fail(
        "get-lifecycle-policy-preview", "--repository-name", "docs")
    e = ecr.aws_fail("set-repository-policy", "--repository-name", "docs", "--policy-text",
                     json.dumps({"Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow", "Principal": {"AWS": "bob"},
                         "Action": "ecr:BatchGetImage"}]}))
    assert "InvalidParameterException" in e and "Principal" in e
    e = ecr.aws_fail("set-repository-policy", "--repository-name", "docs", "--policy-text",
                     json.dumps({"Version": "2012-10-17", "Statement": [{
                         "Effect": "Allow", "Principal": "*", "Action": "ecr:Frob"}]}))
    assert "InvalidParameterException" in e and "ecr:Frob" in e
    assert "RepositoryPolicyNotFoundException" in ecr.aws_fail(
        "get-repository-policy", "--repository-name", "docs")


def test_signatures_dates_and_keys_are_checked(ecr):
    st, j = ecr.call("DescribeRepositories", {})
    assert st == 200
    st, j = ecr.call("DescribeRepositories", {}, tamper=lambda b: b.replace(b"{}", b"[]"))
    assert st == 400 and j["__type"] == "InvalidSignatureException"
    bad = dict(ecr.admin, SecretAccessKey="x" * 40)
    st, j = ecr.call("DescribeRepositories", {}, key=bad)
    assert st == 400 and j["__type"] == "InvalidSignatureException"
    st, j = ecr.call("DescribeRepositories", {}, key=dict(ecr.admin, AccessKeyId="AKIAAAAAAAAAAAAAAAAA"))
    assert st == 403 and j["__type"] == "UnrecognizedClientException"
    stale = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    st, j = ecr.call("DescribeRepositories", {}, date=stale)
    assert st == 400 and j["__type"] == "InvalidSignatureException"
    assert "Signature expired" in j["message"]
    assert "InvalidSignatureException" in ecr.aws_fail("describe-repositories", key=bad)
    # a key disabled, re-enabled, expired, and a user removed: effective at once
    other = user_add(ecr.data, "ci", perms="ecr:DescribeRepositories")
    assert ecr.call("DescribeRepositories", {}, key=other)[0] == 200
    wharf_user(ecr.data, "key", "disable", other["AccessKeyId"])
    assert ecr.call("DescribeRepositories", {}, key=other)[1]["__type"] == \
        "UnrecognizedClientException"
    wharf_user(ecr.data, "key", "enable", other["AccessKeyId"])
    assert ecr.call("DescribeRepositories", {}, key=other)[0] == 200
    wharf_user(ecr.data, "key", "expire", other["AccessKeyId"], "--at", "2020-01-01T00:00:00Z")
    assert ecr.call("DescribeRepositories", {}, key=other)[0] == 403
    k2 = json.loads(wharf_user(ecr.data, "key", "create", "ci", "--json").stdout)
    assert ecr.call("DescribeRepositories", {}, key=k2)[0] == 200
    # registry-level permissions: ci may describe but not create
    st, j = ecr.call("CreateRepository", {"repositoryName": "nope"}, key=k2)
    assert st == 400 and j["__type"] == "AccessDeniedException"
    assert ":user/ci" in j["message"]
    wharf_user(ecr.data, "remove", "ci")
    assert ecr.call("DescribeRepositories", {}, key=k2)[0] == 403


def test_hostile_bodies(ecr):
    """Signed, but not what a client of the model would send."""
    for raw, typ in [(b"not json", "SerializationException"),
                     (b"[1, 2]", "SerializationException"),
                     (b'{"a": 1, "a": 2}', "SerializationException"),
                     (b"x" * (9 << 20), "InvalidParameterException")]:
        st, j = ecr.call("DescribeRepositories", {}, tamper=lambda _b, raw=raw: raw,
                         sign_body=True)
        assert st == 400 and j["__type"] == typ, j
    for body in [{"repositoryName": 5}, {"repositoryName": "a" * 300},
                 {"repositoryName": "../etc"}, {"repositoryName": "ok", "registryId": "1"}]:
        st, j = ecr.call("CreateRepository", body)
        assert st == 400 and j["__type"] == "InvalidParameterException", (body, j)
    assert ecr.call("CreateRepository", {"repositoryName": "hh"})[0] == 200
    st, j = ecr.call("BatchGetImage", {"repositoryName": "hh", "imageIds": [{}, 5]})
    assert st == 400 and "imageIds[1]" in j["message"]
    for action, body in [("BatchGetImage", {"repositoryName": "hh", "imageIds": [{}]}),
                         ("BatchDeleteImage", {"repositoryName": "hh",
                                               "imageIds": [{"imageDigest": "sha256:zz"}]}),
                         ("BatchCheckLayerAvailability", {"repositoryName": "hh",
                                                          "layerDigests": [7, ""]})]:
        st, j = ecr.call(action, body)
        assert st == 200 and j["failures"], (action, j)
    st, j = ecr.call("TagResource", {"resourceArn": "arn:aws:ecr:us-east-1:1:repository/hh",
                                     "tags": [{"Key": "a", "Value": "b"}]})
    assert st == 400 and j["__type"] == "InvalidParameterException"
    st, j = ecr.call("ListImages", {"repositoryName": "hh", "nextToken": "garbage!"})
    assert st == 400 and j["__type"] == "InvalidParameterException"
