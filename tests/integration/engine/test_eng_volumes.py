"""Volumes: named ones that keep data between runs, anonymous ones, binds
(rw and ro), --mount, and the volume commands."""
import json
import os

from engutil import leftovers


def test_named_volume_keeps_data_between_runs(wharf):
    wharf.run("--rm", "-v", "data:/data", "sh", "-c", "echo kept > /data/f")
    assert wharf.run("--rm", "-v", "data:/data", "cat", "/data/f").stdout == "kept\n"
    vols = json.loads(wharf("volume", "ls", "--format", "json").stdout)
    assert [v["Name"] for v in vols] == ["data"]
    info = json.loads(wharf("volume", "inspect", "data").stdout)[0]
    assert info["Driver"] == "local"
    with open(os.path.join(info["Mountpoint"], "f")) as f:
        assert f.read() == "kept\n"


def test_volume_commands(wharf):
    assert wharf("volume", "create", "v1").stdout == "v1\n"
    wharf("volume", "create", "v2")
    assert wharf("volume", "ls", "-q").stdout.split() == ["v1", "v2"]
    wharf.run("-d", "--name", "user", "-v", "v1:/v", "sleep", "60")
    p = wharf("volume", "rm", "v1", check=False)
    assert p.returncode == 125 and "in use" in p.stderr
    assert wharf("volume", "prune").stdout.split() == ["v2"]
    wharf("rm", "-f", "user")
    wharf("volume", "rm", "v1")
    assert wharf("volume", "ls", "-q").stdout == ""
    p = wharf("volume", "inspect", "nope", check=False)
    assert p.returncode == 125 and "no such volume" in p.stderr
    assert wharf("volume", "create", "bad/name", check=False).returncode == 125


def test_anonymous_volume_goes_with_rm_v(wharf):
    wharf.run("--name", "anon", "-v", "/scratch", "sh", "-c", "echo x > /scratch/x")
    vols = wharf("volume", "ls", "-q").stdout.split()
    assert len(vols) == 1 and len(vols[0]) == 64
    wharf("rm", "-v", "anon")
    assert wharf("volume", "ls", "-q").stdout == ""


def test_bind_mounts_rw_and_ro(wharf, tmp_path):
    (tmp_path / "in").write_text("host file\n")
    p = wharf.run("--rm", "-v", f"{tmp_path}:/host", "sh", "-c", "cat /host/in; echo new > /host/out")
    assert p.stdout == "host file\n"
    assert (tmp_path / "out").read_text() == "new\n"
    p = wharf.run("--rm", "-v", f"{tmp_path}:/host:ro", "sh", "-c",
                  "echo x > /host/out2 2>/dev/null && echo rw || echo ro")
    assert p.stdout == "ro\n"
    assert not (tmp_path / "out2").exists()
    p = wharf.run("--rm", "--mount", f"type=bind,source={tmp_path},target=/m,readonly",
                  "sh", "-c", "cat /m/in; touch /m/z 2>/dev/null || echo ro")
    assert p.stdout == "host file\nro\n"
    p = wharf.run("--rm", "--mount", "type=volume,source=mv,target=/mv", "sh", "-c",
                  "echo in-volume > /mv/f")
    assert wharf.run("--rm", "--mount", "source=mv,target=/again", "cat", "/again/f").stdout == "in-volume\n"
    p = wharf.run("--rm", "--mount", "type=tmpfs,target=/t,tmpfs-size=2m", "grep", " /t ", "/proc/mounts")
    assert "size=2048k" in p.stdout
    assert leftovers(wharf, []) == []


def test_empty_volume_is_seeded_from_the_image(wharf):
    p = wharf.run("--rm", "-v", "etcvol:/etc", "cat", "/etc/data.txt")
    assert p.stdout == "from the image\n"
    # Not empty any more: what the container wrote stays, the image's
    # files are not copied again.
    wharf.run("--rm", "-v", "etcvol:/etc", "sh", "-c", "echo mine > /etc/data.txt")
    assert wharf.run("--rm", "-v", "etcvol:/etc", "cat", "/etc/data.txt").stdout == "mine\n"
    # A bind mount is never seeded.
