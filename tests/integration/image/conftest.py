"""Fixtures for the image tests.

`oci_registry` is THE registry the image tests talk to: wharf-registry
from the build directory. Debian's docker-registry (CNCF Distribution) is
the other implementation behind the same fixture; switching is the one
line REGISTRY_IMPL below (every test passes against both)."""
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

# imgutil.py sits next to this file (pytest runs with --import-mode=importlib)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wharfutil import free_port, wait_for, Registry
from imgutil import Wharf


class DockerRegistry:
    """Debian's docker-registry on 127.0.0.1:<free port>, storage in tmp."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None
        self.port = None

    def start(self):
        self.port = free_port()
        cfg = os.path.join(self.tmp, "docker-registry.yml")
        with open(cfg, "w") as f:
            f.write(f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {self.tmp}/docker-registry-data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{self.port}
""")
        self.log = open(os.path.join(self.tmp, "docker-registry.log"), "ab")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        import urllib.request

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("docker-registry exited")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/", timeout=1)
                return True
            except Exception:
                return False
        wait_for(up, 15, what="docker-registry")
        return self

    @property
    def hostport(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"http://{self.hostport}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None


class WharfRegistry:
    """wharf-registry from the build directory."""

    def __init__(self, tmp):
        self.r = Registry(os.path.join(tmp, "wharf-registry-data"),
                          os.path.join(tmp, "wharf-registry.log"))

    def start(self):
        self.r.start()
        return self

    hostport = property(lambda self: self.r.hostport)
    port = property(lambda self: self.r.port)
    url = property(lambda self: self.r.url)

    def stop(self):
        rc = self.r.stop()
        if rc != 0:
            pytest.fail(f"wharf-registry exited with {rc} at SIGTERM:\n{self.r.read_log()[-4000:]}")


# The one line to switch the image tests to wharf-registry:
REGISTRY_IMPL = WharfRegistry


@pytest.fixture
def oci_registry(tmp_path):
    d = tmp_path / "registry"
    d.mkdir()
    r = REGISTRY_IMPL(str(d)).start()
    yield r
    r.stop()


@pytest.fixture
def wharf(tmp_path):
    return Wharf(str(tmp_path))


@pytest.fixture
def wharf_factory():
    """Another wharf with its own store: wharf_factory(root_dir)."""
    return lambda root: Wharf(str(root))
