"""Networks: the default bridge (a name and subnet of the test's own),
published ports reached from the host over 127.0.0.1, user-defined
networks where containers reach each other by name, --network none, and
that rm takes the veth, the nftables elements and the address back."""
import json
import socket
import subprocess
import urllib.request

from engutil import leftovers, links, nft_table, wait_until
from wharfutil import free_port


def brun(wharf, *args, **kw):
    return wharf("run", "--rootfs", wharf.rootfs, *args, **kw)


def test_default_bridge_address_and_route(wharf):
    p = brun(wharf, "--rm", "sh", "-c", "ip -o -4 addr show eth0; ip route")
    net = wharf.subnet.rsplit(".", 1)[0]
    assert f"inet {net}.2/24" in p.stdout
    assert f"default via {net}.1 dev eth0" in p.stdout
    assert wharf.bridge in links()
    # The subnet is masqueraded and the bridge takes loopback traffic.
    table = nft_table(wharf.table)
    assert wharf.subnet in table and f'"{wharf.bridge}"' in table
    # A running container's veth is on the bridge; it goes with rm.
    cid = brun(wharf, "-d", "sleep", "60").stdout.strip()
    veth = "wh" + cid[:12]
    out = subprocess.run(["ip", "-o", "link", "show", veth], capture_output=True, text=True).stdout
    assert f"master {wharf.bridge}" in out
    wharf("rm", "-f", cid)
    assert veth not in links()
    assert leftovers(wharf, [cid]) == []


def test_network_none_has_only_loopback(wharf):
    p = brun(wharf, "--rm", "--network", "none", "cat", "/proc/net/dev")
    ifaces = [l.split(":")[0].strip() for l in p.stdout.splitlines()[2:]]
    assert ifaces == ["lo"]


def test_published_port_from_host_loopback(wharf, tmp_path):
    (tmp_path / "index.html").write_text("hello from httpd\n")
    port, port2 = free_port(), free_port()
    cid = brun(wharf, "-d", "--name", "web", "-p", f"127.0.0.1:{port}:80", "-p", f"{port2}:80",
               "-v", f"{tmp_path}:/www:ro", "httpd", "-f", "-p", "80", "-h", "/www").stdout.strip()

    def get(p):
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{p}/", timeout=2).read().decode()
        except OSError:
            return None
    assert wait_until(lambda: get(port), what="httpd on the published port") == "hello from httpd\n"
    assert get(port2) == "hello from httpd\n"
    lines = sorted(wharf("port", "web").stdout.splitlines())
    assert lines == sorted([f"80/tcp -> 127.0.0.1:{port}", f"80/tcp -> 0.0.0.0:{port2}"])
    ports = wharf.inspect("web")["NetworkSettings"]["Ports"]["80/tcp"]
    assert {"HostIp": "127.0.0.1", "HostPort": str(port)} in ports
    wharf("rm", "-f", "web")
    assert get(port) is None
    assert leftovers(wharf, [cid]) == []
    assert f"{port}" not in (nft_table(wharf.table) or "")


def test_port_already_taken_fails_cleanly(wharf):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        p = brun(wharf, "--rm", "-p", f"127.0.0.1:{port}:80", "true", check=False)
    finally:
        s.close()
    assert p.returncode == 125
    assert f"{port}" in p.stderr and "already allocated" in p.stderr
    assert wharf.rows() == []
    assert leftovers(wharf, []) == []
    # Two containers cannot publish the same port either.
    port = free_port()
    brun(wharf, "-d", "--name", "first", "-p", f"{port}:80", "sleep", "60")
    p = brun(wharf, "--rm", "-p", f"{port}:80", "true", check=False)
    assert p.returncode == 125 and "already allocated" in p.stderr


def test_publish_all(wharf):
    brun(wharf, "-d", "--name", "pa", "--expose", "8080", "-P", "sleep", "60")
    ports = json.loads(wharf("ps", "--format", "json").stdout)[0]["Ports"]
    assert ports[0]["PrivatePort"] == 8080 and ports[0]["PublicPort"] > 0


def test_user_network_by_name(wharf):
    r = wharf.subnet.split(".")
    sub = f"10.{r[1]}.{(int(r[2]) + 1) % 256}.0/24"
    wharf("network", "create", "--subnet", sub, "-o", f"bridge={wharf.bridge}n", "appnet")
    brun(wharf, "-d", "--name", "db", "--network", "appnet", "httpd", "-f", "-p", "80", "-h", "/etc")
    p = brun(wharf, "--rm", "--network", "appnet", "sh", "-c",
             "for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://db/passwd && exit 0; sleep 0.1; done; exit 1")
    assert "root:x:0:0" in p.stdout
    info = json.loads(wharf("network", "inspect", "appnet").stdout)[0]
    assert info["IPAM"]["Config"][0]["Subnet"] == sub
    assert [c["Name"] for c in info["Containers"].values()] == ["db"]
    assert "appnet" in wharf("network", "ls", "-q").stdout.split()
    p = wharf("network", "rm", "appnet", check=False)
    assert p.returncode == 125 and "active endpoints" in p.stderr
    wharf("rm", "-f", "db")
    assert wharf("network", "prune").stdout.split() == ["appnet"]
    assert f"{wharf.bridge}n" not in links()


def test_network_bad_input(wharf):
    assert wharf("network", "create", "--subnet", "10.0.0.0/99", "x", check=False).returncode == 125
    assert wharf("network", "create", "bridge", check=False).returncode == 125
    assert wharf("network", "rm", "bridge", check=False).returncode == 125
    assert wharf("network", "inspect", "nonet", check=False).returncode == 125
