"""Lifecycle policies from the ECR user guide's examples, unchanged,
previewed with `aws ecr start/get-lifecycle-policy-preview` and applied by
`wharf-registry lifecycle run` and by the server's schedule, over
repositories whose images have known tags and push times. Push times are
set with the test-only hook of writing manifests.pushed_at in meta.db
(the registry reads them from there), so no test waits for days."""
import json
import sqlite3
import subprocess
import time

import pytest
import requests

from ecrutil import Ecr
from regclient import OCI_MANIFEST, Client
from wharfutil import bin_path, wait_for

DAY = 86400

# "Filtering on multiple rules", Example A, as published.
EXAMPLE_A = """{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Rule 1",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["prod"],
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        },
        {
            "rulePriority": 2,
            "description": "Rule 2",
            "selection": {
                "tagStatus": "tagged",
                "tagPrefixList": ["beta"],
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"""

# "Filtering on image age", as published.
IMAGE_AGE = """{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Expire images older than 14 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 14
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"""

# "Filtering on image count", as published.
IMAGE_COUNT = """{
    "rules": [
        {
            "rulePriority": 1,
            "description": "Keep only one untagged image, expire all others",
            "selection": {
                "tagStatus": "untagged",
                "countType": "imageCountMoreThan",
                "countNumber": 1
            },
            "action": {
                "type": "expire"
            }
        }
    ]
}"""


def push(ecr, repo, tags, age_days, n):
    """An image with these tags (none: untagged), pushed age_days ago."""
    c = Client(ecr.endpoint)
    c.s.auth = ("admin", "admin-pw")
    m = c.image(repo, layers=(f"{repo}-{n}".encode(),))
    ct = {"Content-Type": OCI_MANIFEST}
    d = None
    for t in (tags or [None]):
        ref = t if t else None
        if ref is None:
            from regclient import sha256
            ref = sha256(m)
        r = c.req("PUT", f"/v2/{repo}/manifests/{ref}", data=m, headers=ct)
        assert r.status_code == 201, r.text
        d = r.headers["Docker-Content-Digest"]
    db = sqlite3.connect(str(ecr.data / "meta.db"), timeout=30)
    with db:
        db.execute("UPDATE manifests SET pushed_at=? WHERE digest=? AND repo_id="
                   "(SELECT id FROM repos WHERE name=?)",
                   ((int(time.time()) - age_days * DAY) * 10**9, d, repo))
    db.close()
    return d


def expire_lines(ecr):
    path = ecr.data / "audit.log"
    if not path.exists():
        return []
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    return [x for x in lines if x["event"] == "lifecycle_expire"]


def digests(ecr, repo):
    st, j = ecr.call("DescribeImages", {"repositoryName": repo})
    assert st == 200
    return {i["imageDigest"] for i in j["imageDetails"]}


def lifecycle_run(ecr, *args):
    p = subprocess.run([bin_path("wharf-registry"), "lifecycle", "run", "--data", str(ecr.data),
                        *args], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.fixture
def ecr(tmp_path):
    e = Ecr(tmp_path, extra_args=["--lifecycle-interval", "0"])
    yield e
    assert e.stop() == 0


def test_example_a_previewed_then_applied(ecr):
    ecr.aws("create-repository", "--repository-name", "multi")
    a = push(ecr, "multi", ["beta-1", "prod-1"], 10, 1)
    b = push(ecr, "multi", ["beta-2", "prod-2"], 9, 2)
    c = push(ecr, "multi", ["beta-3"], 8, 3)
    ecr.aws("put-lifecycle-policy", "--repository-name", "multi",
            "--lifecycle-policy-text", EXAMPLE_A)
    got = ecr.aws("get-lifecycle-policy", "--repository-name", "multi")
    assert got["lifecyclePolicyText"] == EXAMPLE_A
    s = ecr.aws("start-lifecycle-policy-preview", "--repository-name", "multi")
    assert s["status"] == "COMPLETE"
    pv = ecr.aws("get-lifecycle-policy-preview", "--repository-name", "multi")
    assert pv["summary"]["expiringImageTotalCount"] == 1
    assert [(r["imageDigest"], r["appliedRulePriority"], r["action"]["type"])
            for r in pv["previewResults"]] == [(a, 1, "EXPIRE")]
    assert sorted(pv["previewResults"][0]["imageTags"]) == ["beta-1", "prod-1"]
    st, raw = ecr.call("GetLifecyclePolicyPreview", {"repositoryName": "multi"})
    assert st == 200  # checked against the model's shape
    assert "would expire 1 image" in lifecycle_run(ecr, "--dry-run")
    assert digests(ecr, "multi") == {a, b, c}
    assert expire_lines(ecr) == []  # a dry run writes nothing
    assert "expired 1 image" in lifecycle_run(ecr)
    assert digests(ecr, "multi") == {b, c}
    [line] = expire_lines(ecr)
    assert (line["principal"], line["repository"], line["digest"], line["rule"]) == \
        (None, "multi", a, 1)
    assert sorted(line["tags"]) == ["beta-1", "prod-1"]
    assert "expired 0 images" in lifecycle_run(ecr)


def test_image_age_and_count_examples(ecr):
    ecr.aws("create-repository", "--repository-name", "age")
    old = push(ecr, "age", [], 20, 1)
    young = push(ecr, "age", [], 3, 2)
    tagged_old = push(ecr, "age", ["keep"], 30, 3)
    ecr.aws("put-lifecycle-policy", "--repository-name", "age",
            "--lifecycle-policy-text", IMAGE_AGE)
    ecr.aws("create-repository", "--repository-name", "count")
    u = [push(ecr, "count", [], 5 - i, 10 + i) for i in range(4)]  # u[3] newest
    t = push(ecr, "count", ["v1"], 9, 20)
    ecr.aws("put-lifecycle-policy", "--repository-name", "count",
            "--lifecycle-policy-text", IMAGE_COUNT)
    # the preview of the stored document
    ecr.aws("start-lifecycle-policy-preview", "--repository-name", "count")
    pv = ecr.aws("get-lifecycle-policy-preview", "--repository-name", "count")
    assert sorted(r["imageDigest"] for r in pv["previewResults"]) == sorted(u[:3])
    # paging through the preview, one result per page (raw calls)
    seen, tok = [], None
    while True:
        body = {"repositoryName": "count", "maxResults": 1}
        if tok:
            body["nextToken"] = tok
        st, j = ecr.call("GetLifecyclePolicyPreview", body)
        assert st == 200
        seen += [r["imageDigest"] for r in j["previewResults"]]
        tok = j.get("nextToken")
        if not tok:
            break
    assert sorted(seen) == sorted(u[:3])
    # as of 12 days from now, "young" is 15 days old too
    assert "would expire 5 images" in lifecycle_run(
        ecr, "--dry-run", "--now", time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                 time.gmtime(time.time() + 12 * DAY)))
    assert "expired 4 images" in lifecycle_run(ecr)
    assert digests(ecr, "age") == {young, tagged_old}
    assert digests(ecr, "count") == {u[3], t}
    assert old not in digests(ecr, "age")


def test_the_schedule_applies_policies(tmp_path):
    e = Ecr(tmp_path, extra_args=["--lifecycle-interval", "1s"])
    try:
        e.aws("create-repository", "--repository-name", "sched")
        old = push(e, "sched", [], 20, 1)
        keep = push(e, "sched", ["v1"], 20, 2)
        st, _ = e.call("PutLifecyclePolicy", {"repositoryName": "sched",
                                              "lifecyclePolicyText": IMAGE_AGE})
        assert st == 200
        wait_for(lambda: old not in digests(e, "sched"), timeout=15,
                 what="the schedule to expire the old untagged image")
        assert digests(e, "sched") == {keep}
        assert "lifecycle" in e.reg.read_log()
        assert [(x["digest"], x["tags"], x["rule"]) for x in expire_lines(e)] == [(old, [], 1)]
        metrics = requests.get(e.endpoint + "/metrics", timeout=10).text
        assert "\nwharf_registry_lifecycle_expired_images_total 1\n" in metrics
    finally:
        assert e.stop() == 0
