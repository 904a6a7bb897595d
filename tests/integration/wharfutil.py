"""Helpers shared by the integration suites (imported as `wharfutil`).

The suites drive the real programs from the build directory named by
WHARF_BUILD_DIR (default: build/ at the top of the tree), so the same tests
run against the normal build and the sanitizer build. Helpers that start
processes stop only the processes they started, by PID.
"""
import os
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("WHARF_BUILD_DIR", os.path.join(ROOT, "build"))
ASAN = os.path.basename(os.path.normpath(BUILD_DIR)).startswith("build-asan")


def bin_path(name):
    """Path of a program in the build directory (build/wharf-registry, …)."""
    p = os.path.join(BUILD_DIR, name)
    if not os.access(p, os.X_OK):
        pytest.fail(f"{p} is not built; run `make` first")
    return p


def wait_for(pred, timeout=10.0, interval=0.01, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """A wharf-registry started for one test on a free loopback port."""

    def __init__(self, data_dir, log_path, extra_args=(), host="127.0.0.1"):
        self.data_dir = str(data_dir)
        self.log_path = str(log_path)
        self.extra_args = list(extra_args)
        self.host = host
        self.proc = None
        self.port = None

    @property
    def url(self):
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{h}:{self.port}"

    @property
    def hostport(self):
        h = f"[{self.host}]" if ":" in self.host else self.host
        return f"{h}:{self.port}"

    def start(self, timeout=15.0):
        port_file = self.log_path + ".port"
        if os.path.exists(port_file):
            os.unlink(port_file)
        h = f"[{self.host}]" if ":" in self.host else self.host
        cmd = [bin_path("wharf-registry"), "serve", "--listen", f"{h}:0",
               "--data", self.data_dir, "--port-file", port_file] + self.extra_args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"wharf-registry exited with {self.proc.returncode}:\n"
                                   + self.read_log())
            try:
                with open(port_file) as f:
                    txt = f.read().strip()
                return int(txt) if txt else None
            except (FileNotFoundError, ValueError):
                return None

        self.port = wait_for(ready, timeout, what="wharf-registry to listen")
        return self

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        """Stop the process this object started; returns its exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.log.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

