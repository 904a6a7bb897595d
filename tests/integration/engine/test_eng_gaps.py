"""top and stats through the container's runtime (in process and a
--runtime binary)."""
import json

from engutil import leftovers


def check_top_stats(wharf, name):
    top = wharf("top", name).stdout
    assert "sleep 60" in top
    stats = json.loads(wharf("stats", "--no-stream", "--format", "json", name).stdout)
    assert stats[0]["Name"] == name
    assert stats[0]["MemLimit"] == 64 * 1024 * 1024
    assert stats[0]["MemUsage"] > 0
    assert 1 <= stats[0]["PIDs"] <= 50


def test_top_and_stats_in_process(wharf):
    wharf.run("-d", "--name", "tp", "--memory", "64m", "--pids-limit", "50", "sleep", "60")
    check_top_stats(wharf, "tp")


def test_top_and_stats_runtime_binary(wharf):
    # runc's `ps --format json` and `events --stats`: the engine reads no
    # cgroup path of its own.
    wharf.run("-d", "--name", "tr", "--runtime", "/usr/sbin/runc", "--memory", "64m",
              "--pids-limit", "50", "sleep", "60")
    check_top_stats(wharf, "tr")
    cid = wharf.inspect("tr")["Id"]
    wharf("rm", "-f", "tr")
    assert leftovers(wharf, [cid]) == []


def test_stats_unlimited_shows_host_memory(wharf):
    wharf.run("-d", "--name", "tu", "sleep", "60")
    stats = json.loads(wharf("stats", "--no-stream", "--format", "json", "tu").stdout)
    with open("/proc/meminfo") as f:
        total = int(f.readline().split()[1]) * 1024
    assert stats[0]["MemLimit"] == total
