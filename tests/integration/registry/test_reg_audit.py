"""The audit log: one JSON object per line for every push, delete, tag
delete, blob delete and quota decision, whole lines even when many
requests write at once; --audit-log PATH and off."""
import json
import os
import threading

from regclient import Client


def read_audit(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def test_audit_records_pushes_and_deletes(registry):
    c = Client(registry.url)
    body, d = c.push_image("aud/app", "v1", layers=(b"audited layer",))
    blob = c.push_blob("aud/app", b"a blob to delete")
    assert c.req("DELETE", f"/v2/aud/app/blobs/{blob}").status_code == 202
    assert c.req("DELETE", "/v2/aud/app/manifests/v1").status_code == 202
    assert c.req("DELETE", f"/v2/aud/app/manifests/{d}").status_code == 202
    assert c.req("DELETE", "/v2/aud/app/manifests/v1").status_code == 404  # not audited
    lines = read_audit(os.path.join(registry.data_dir, "audit.log"))
    assert [x["event"] for x in lines] == ["push", "blob_delete", "tag_delete", "delete"]
    push = lines[0]
    assert list(push)[:4] == ["time", "event", "principal", "repository"]
    assert push["principal"] is None and push["repository"] == "aud/app"
    assert (push["tag"], push["digest"], push["size"]) == ("v1", d, len(body))
    assert push["media_type"] == "application/vnd.oci.image.manifest.v1+json"
    assert push["time"].endswith("Z")
    assert lines[1]["digest"] == blob
    assert lines[2]["tag"] == "v1"
    assert lines[3]["digest"] == d


def test_audit_lines_stay_whole_under_concurrent_pushes(registry):
    n_threads, per_thread = 4, 15
    errors = []

    def work(n):
        try:
            c = Client(registry.url)
            for i in range(per_thread):
                # Long tags make long lines: interleaving would show.
                c.push_image(f"aud/c{n}", f"t{i}-" + "x" * 100, layers=(f"l{n}-{i}".encode(),))
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    ts = [threading.Thread(target=work, args=(n,)) for n in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    assert not errors, errors
    lines = read_audit(os.path.join(registry.data_dir, "audit.log"))
    pushes = {(x["repository"], x["tag"]) for x in lines if x["event"] == "push"}
    assert len(pushes) == n_threads * per_thread


def test_audit_log_path_and_off(registry_factory, tmp_path):
    path = tmp_path / "elsewhere.jsonl"
    r = registry_factory(extra_args=["--audit-log", str(path)])
    Client(r.url).push_image("aud/path", "v1")
    assert [x["event"] for x in read_audit(path)] == ["push"]
    assert not os.path.exists(os.path.join(r.data_dir, "audit.log"))
    off = registry_factory(extra_args=["--audit-log", "off"])
    Client(off.url).push_image("aud/off", "v1")
    assert not os.path.exists(os.path.join(off.data_dir, "audit.log"))
