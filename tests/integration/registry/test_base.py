"""The registry's base endpoint, error bodies, access log, flags and stop.

Each test starts its own wharf-registry on a free loopback port."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from wharfutil import bin_path, wait_for, Registry


def test_get_v2_answers_200_with_empty_object_and_api_version(registry):
    r = requests.get(registry.url + "/v2/")
    assert r.status_code == 200
    assert r.json() == {}
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert r.headers["Content-Type"].startswith("application/json")


def test_v2_without_trailing_slash_is_the_base_endpoint(registry):
    r = requests.get(registry.url + "/v2")
    assert r.status_code == 200
    assert r.json() == {}


def test_head_v2_has_length_and_no_body(registry):
    r = requests.head(registry.url + "/v2/")
    assert r.status_code == 200
    assert r.headers["Content-Length"] == "2"
    assert r.content == b""


@pytest.mark.parametrize("path", ["/", "/v1/", "/v2x/", "/favicon.ico", "/v2/../etc/passwd"])
def test_paths_outside_the_api_get_a_json_error(registry, path):
    r = requests.get(registry.url + path)
    assert r.status_code == 404
    body = r.json()
    assert isinstance(body["errors"], list) and body["errors"]
    err = body["errors"][0]
    assert set(err) >= {"code", "message"}
    assert err["code"]


def test_wrong_method_on_base_is_405_with_json_error(registry):
    r = requests.delete(registry.url + "/v2/")
    assert r.status_code == 405
    assert r.json()["errors"][0]["code"] == "UNSUPPORTED"


def test_access_log_has_one_line_per_request_with_fields(registry):
    requests.get(registry.url + "/v2/")
    requests.get(registry.url + "/nope")

    def lines():
        return [l for l in registry.read_log().splitlines() if "event=access" in l]
    got = wait_for(lambda: len(lines()) >= 2 and lines(), what="two access lines")
    first, second = got[0], got[1]
    for l in got:
        for key in ("method=", "path=", "status=", "bytes_out=", "ms=", "ts=", "level=info"):
            assert key in l, l
    assert "path=/v2/" in first and "status=200" in first
    assert "path=/nope" in second and "status=404" in second


def test_access_log_quotes_hostile_paths(registry):
    # A path with an encoded space and quote must not forge a field.
    s = socket.create_connection(("127.0.0.1", registry.port))
    s.sendall(b'GET /v2/a%20status=999%22 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    s.recv(4096)
    s.close()
    line = wait_for(lambda: [l for l in registry.read_log().splitlines()
                             if "event=access" in l], what="access line")[-1]
    assert " status=999" not in line.replace('"', " X")  # no bare forged field
    assert line.count(" status=") == 1


def test_sigterm_stops_cleanly_with_status_0(registry_factory):
    reg = registry_factory()
    requests.get(reg.url + "/v2/")
    assert reg.stop(signal.SIGTERM) == 0
    assert "event=stop" in reg.read_log()


def test_sigterm_waits_for_a_slow_request_then_exits(registry_factory):
    """An in-flight request is answered after SIGTERM; new connections are
    refused."""
    reg = registry_factory(extra_args=["--drain-timeout", "10"])
    s = socket.create_connection(("127.0.0.1", reg.port))
    # Headers only, the request is not finished: it is in flight.
    s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.2)
    reg.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert reg.proc.poll() is None, "exited while a request was in flight"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", reg.port), timeout=2).close()
    s.sendall(b"Connection: close\r\n\r\n")
    resp = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        resp += chunk
    s.close()
    assert resp.startswith(b"HTTP/1.1 200")
    assert reg.proc.wait(timeout=10) == 0
    reg.stop()


def test_drain_timeout_bounds_the_wait(registry_factory):
    reg = registry_factory(extra_args=["--drain-timeout", "1"])
    s = socket.create_connection(("127.0.0.1", reg.port))
    s.sendall(b"GET /v2/ HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.2)
    t0 = time.monotonic()
    reg.proc.send_signal(signal.SIGTERM)
    assert reg.proc.wait(timeout=15) == 0
    assert time.monotonic() - t0 < 10
    s.close()
    reg.stop()


def test_help_documents_every_serve_flag():
    out = subprocess.run([bin_path("wharf-registry"), "serve", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for flag in ("--listen", "--data", "--threads", "--drain-timeout", "--tls-cert",
                 "--tls-key", "--log-level", "--log-format", "--port-file", "--help"):
        assert flag in out
    top = subprocess.run([bin_path("wharf-registry"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "serve" in top


@pytest.mark.parametrize("args,needle", [
    (["--listen", "nonsense"], "ADDR:PORT"),
    (["--listen", "127.0.0.1:99999"], "port"),
    (["--listen", "example.com:5000"], "not an IPv4 or IPv6 address"),
    (["--log-level", "loud"], "--log-level"),
    (["--threads", "-1"], "--threads"),
    (["--bogus"], "unknown option"),
])
def test_bad_flags_get_a_clear_error_and_status_2(tmp_path, args, needle):
    p = subprocess.run([bin_path("wharf-registry"), "serve", "--data", str(tmp_path)] + args,
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2
    assert needle in p.stderr
    assert p.stderr.startswith("wharf-registry: ")


def test_port_in_use_is_a_clear_error(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = subprocess.run([bin_path("wharf-registry"), "serve", "--data", str(tmp_path),
                            "--listen", f"127.0.0.1:{port}"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 1
        assert "cannot listen" in p.stderr


def test_ipv6_loopback(registry_factory):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1 on this host")
    reg = registry_factory(host="::1")
    r = requests.get(reg.url + "/v2/")
    assert r.status_code == 200


def test_json_log_format(registry_factory):
    reg = registry_factory(extra_args=["--log-format", "json"])
    requests.get(reg.url + "/v2/")
    line = wait_for(lambda: [l for l in reg.read_log().splitlines() if '"access"' in l],
                    what="json access line")[0]
    rec = json.loads(line)
    assert rec["event"] == "access" and rec["status"] == 200 and rec["path"] == "/v2/"


def test_many_concurrent_clients(registry):
    errors = []

    def worker():
        with requests.Session() as s:
            for _ in range(50):
                r = s.get(registry.url + "/v2/")
                if r.status_code != 200:
                    errors.append(r.status_code)
    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
