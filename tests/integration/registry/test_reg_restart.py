"""Restart behaviour and the serve flags added for storage: data persists,
stale upload files and sessions are cleaned, a live session resumes (its
hash recomputed from the file), expiry, --sync, the config file."""
import os
import subprocess

from regclient import Client, sha256
from wharfutil import bin_path


def test_data_survives_a_restart(registry_factory, tmp_path):
    data = tmp_path / "data"
    reg = registry_factory(data_dir=data)
    c = Client(reg.url)
    body, d = c.push_image("r/keep", "v1")
    assert reg.stop() == 0
    reg2 = registry_factory(data_dir=data)
    c2 = Client(reg2.url)
    assert c2.req("GET", "/v2/r/keep/manifests/v1").content == body
    assert c2.req("GET", "/v2/_catalog").json()["repositories"] == ["r/keep"]


def test_restart_cleans_stale_uploads_and_resumes_live_ones(registry_factory, tmp_path):
    data = tmp_path / "data"
    reg = registry_factory(data_dir=data)
    c = Client(reg.url)
    live = c.open_session("r/up")
    c.req("PATCH", live, data=b"first half ")
    gone = c.open_session("r/up")
    assert reg.kill() == -9
    uploads = data / "uploads"
    (uploads / "0123abcd-0000-4000-8000-000000000000").write_bytes(b"orphan of a crash")
    os.unlink(uploads / gone.rsplit("/", 1)[1])
    reg2 = registry_factory(data_dir=data)
    c2 = Client(reg2.url)
    assert sorted(os.listdir(uploads)) == [live.rsplit("/", 1)[1]]
    assert c2.req("GET", gone).status_code == 404
    st = c2.req("GET", live)
    assert st.status_code == 204 and st.headers["Range"] == "0-10"
    whole = b"first half second half"
    r = c2.req("PUT", live + f"?digest={sha256(whole)}", data=b"second half",
               headers={"Content-Range": "11-21"})
    assert r.status_code == 201, r.text
    assert c2.req("GET", f"/v2/r/up/blobs/{sha256(whole)}").content == whole
    assert "removed 2 stale upload" in reg2.read_log()


def test_expired_sessions_are_removed_at_start(registry_factory, tmp_path):
    import time
    data = tmp_path / "data"
    reg = registry_factory(data_dir=data, extra_args=["--upload-expiry", "1s"])
    loc = Client(reg.url).open_session("r/exp")
    assert reg.stop() == 0
    time.sleep(1.2)
    reg2 = registry_factory(data_dir=data, extra_args=["--upload-expiry", "1s"])
    assert os.listdir(data / "uploads") == []
    assert Client(reg2.url).req("GET", loc).status_code == 404


def test_expired_sessions_are_swept_while_running(registry_factory, tmp_path):
    import time
    reg = registry_factory(extra_args=["--upload-expiry", "1s"])
    c = Client(reg.url)
    c.open_session("r/sweep")
    time.sleep(1.2)
    c.open_session("r/sweep")  # a POST triggers the sweep
    assert len(os.listdir(os.path.join(reg.data_dir, "uploads"))) == 1


def test_sync_full(registry_factory):
    reg = registry_factory(extra_args=["--sync", "full"])
    c = Client(reg.url)
    body, d = c.push_image("r/sync", "v1")
    assert c.req("GET", f"/v2/r/sync/manifests/{d}").content == body
    assert "sync=full" in reg.read_log()


def test_config_file_settings_and_flag_override(registry_factory, tmp_path):
    conf = tmp_path / "registry.conf"
    conf.write_text("# test config\n"
                    "max-manifest-size = 1K   # small\n"
                    "\n"
                    "sync = full\n"
                    "log-level = warn\n")
    reg = registry_factory(extra_args=["--config", str(conf), "--log-level", "info"])
    c = Client(reg.url)
    big = c.image("r/conf", extra={"annotations": {"x": "y" * 2000}})
    assert c.put_manifest("r/conf", "big", big).status_code == 413
    log = reg.read_log()
    assert "sync=full" in log
    assert "event=access" in log  # the flag's info level won over the file's warn


def test_bad_config_file_names_the_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("listen = 127.0.0.1:0\nmax-manifest-sise = 1K\n")
    p = subprocess.run([bin_path("wharf-registry"), "serve", "--data", str(tmp_path / "d"),
                        "--config", str(conf)], capture_output=True, text=True, timeout=10)
    assert p.returncode == 2
    assert "line 2" in p.stderr and "max-manifest-sise" in p.stderr
    p = subprocess.run([bin_path("wharf-registry"), "serve", "--config",
                        str(tmp_path / "missing.conf")], capture_output=True, text=True,
                       timeout=10)
    assert p.returncode != 0 and "missing.conf" in p.stderr


def test_help_documents_the_storage_flags():
    out = subprocess.run([bin_path("wharf-registry"), "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for flag in ("--upload-expiry", "--max-manifest-size", "--sync", "--config"):
        assert flag in out


def test_bad_storage_flags(tmp_path):
    for args, needle in ((["--sync", "always"], "--sync"),
                         (["--upload-expiry", "soon"], "--upload-expiry"),
                         (["--upload-expiry", "0"], "--upload-expiry"),
                         (["--max-manifest-size", "4GiB"], "--max-manifest-size")):
        p = subprocess.run([bin_path("wharf-registry"), "serve", "--data", str(tmp_path)] + args,
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2 and needle in p.stderr, (args, p.stderr)


def test_pull_time_is_recorded_by_get_not_head(registry):
    import sqlite3
    c = Client(registry.url)
    c.push_image("r/pull", "v1")
    db = f"file:{registry.data_dir}/meta.db?mode=ro"

    def pulled():
        con = sqlite3.connect(db, uri=True)
        try:
            return [r[0] for r in con.execute("SELECT pulled_at FROM manifests")]
        finally:
            con.close()
    assert pulled() == [None]
    c.req("HEAD", "/v2/r/pull/manifests/v1")
    assert pulled() == [None]
    c.req("GET", "/v2/r/pull/manifests/v1")
    first = pulled()[0]
    assert first is not None and first > 0
    c.req("GET", "/v2/r/pull/manifests/v1")  # within a minute: not rewritten
    assert pulled() == [first]


def test_second_registry_on_the_same_data_is_refused(registry_factory, tmp_path):
    data = tmp_path / "data"
    registry_factory(data_dir=data)
    p = subprocess.run([bin_path("wharf-registry"), "serve", "--data", str(data),
                        "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1
    assert "in use by another wharf-registry" in p.stderr
