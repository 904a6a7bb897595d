"""Per-repository storage quotas: set and shown with `wharf-registry repo
quota`, applied at once to a running server, usage counted from the
distinct blobs and manifests a repository holds, a push over quota
refused with 403 DENIED saying quota and usage, GC giving space back."""
import json
import os
import subprocess

import pytest

from regclient import Client, error_code, sha256
from wharfutil import bin_path


def quota(data_dir, *args):
    p = subprocess.run([bin_path("wharf-registry"), "repo", "quota", *args, "--data",
                        str(data_dir)], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def usage_of(data_dir, repo):
    rc, out = quota(data_dir, repo)
    assert rc == 0, out
    return int(out.split("usage ")[1].split(" ")[0])


@pytest.fixture
def reg(registry_factory):
    return registry_factory(extra_args=["--gc-interval", "0", "--gc-grace", "0"])


def test_quota_refuses_the_push_that_goes_over(reg):
    c = Client(reg.url)
    rc, out = quota(reg.data_dir, "q/app", "20000")
    assert rc == 0 and "quota 20000 bytes, usage 0 bytes" in out, out
    shared = os.urandom(6000)
    body1, _ = c.push_image("q/app", "v1", layers=(shared,))
    body2, _ = c.push_image("q/app", "v2", layers=(shared, os.urandom(1000)))
    # The shared layer counts once.
    configs = [json.loads(b)["config"]["size"] for b in (body1, body2)]
    want = len(shared) + 1000 + sum(configs) + len(body1) + len(body2)
    assert usage_of(reg.data_dir, "q/app") == want

    big = os.urandom(15000)
    body = c.image("q/app", layers=(big,))
    r = c.put_manifest("q/app", "v3", body)
    assert r.status_code == 403 and error_code(r) == "DENIED", r.text
    msg = r.json()["errors"][0]["message"]
    assert "quota of 20000 bytes" in msg and "q/app" in msg and "uses" in msg, msg
    assert c.req("GET", "/v2/q/app/manifests/v3").status_code == 404
    # Over quota now (the big layer is linked): no new uploads either.
    r = c.req("POST", f"/v2/q/app/blobs/uploads/?digest={sha256(b'x')}", data=b"x")
    assert r.status_code == 403 and error_code(r) == "DENIED", r.text
    # Other repositories are not limited.
    c.push_image("q/other", "v1", layers=(big,))

    # GC removes the big layer nobody references: usage is back under.
    p = subprocess.run([bin_path("wharf-registry"), "gc", "--data", reg.data_dir, "--grace", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert usage_of(reg.data_dir, "q/app") == want
    c.push_image("q/app", "v4", layers=(b"small",))

    with open(os.path.join(reg.data_dir, "audit.log")) as f:
        lines = [json.loads(x) for x in f]
    denied = [x for x in lines if x["event"] == "quota_denied"]
    assert [x["repository"] for x in denied] == ["q/app", "q/app"]
    assert denied[0]["digest"] == sha256(body)
    assert [x["bytes"] for x in lines if x["event"] == "quota_set"] == [20000]
    assert "wharf_registry_quota_denied_total 2\n" in c.req("GET", "/metrics").text


def test_quota_removed_and_units(reg):
    c = Client(reg.url)
    rc, out = quota(reg.data_dir, "q/units", "1KiB")
    assert rc == 0 and "quota 1024 bytes" in out
    r = c.put_manifest("q/units", "v1", c.image("q/units", layers=(os.urandom(2000),)))
    assert r.status_code == 403
    rc, out = quota(reg.data_dir, "q/units", "none")
    assert rc == 0 and "no quota" in out
    c.push_image("q/units", "v1", layers=(os.urandom(2000),))
    rc, out = quota(reg.data_dir, "q/units", "2G")
    assert rc == 0 and "quota 2000000000 bytes" in out
    quota(reg.data_dir, "q/more", "1TiB")
    # Without a name: every quota, one per line (name, quota, usage).
    rc, out = quota(reg.data_dir)
    rows = [line.split("\t") for line in out.splitlines()]
    assert rc == 0 and [r[:2] for r in rows] == [["q/more", str(1 << 40)],
                                                  ["q/units", "2000000000"]]
    assert int(rows[1][2]) == usage_of(reg.data_dir, "q/units") > 2000


@pytest.mark.parametrize("args, needle", [
    (["q/app", "12X"], "is not a size"),
    (["q/app", "-5"], "bad option '-5'"),
    (["Bad_Name", "100"], "not a valid repository name"),
    (["q/app", "1", "2"], "usage: wharf-registry repo quota"),
])
def test_quota_bad_input(reg, args, needle):
    rc, out = quota(reg.data_dir, *args)
    assert rc == 2 and needle in out, out
