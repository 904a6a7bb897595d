"""Fixtures for the registry suites; the HTTP client is regclient.py."""
import os
import signal
import sys

import pytest

# --import-mode=importlib puts only tests/integration on sys.path; the
# registry suites share regclient.py from this directory.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from regclient import Client  # noqa: E402
from wharfutil import Registry


@pytest.fixture
def client(registry):
    return Client(registry.url)


@pytest.fixture(scope="module")
def shared_registry(tmp_path_factory):
    """One registry for a whole module of independent checks (each uses
    its own repository names); must stop cleanly at the end."""
    d = tmp_path_factory.mktemp("shared-registry")
    reg = Registry(d / "data", d / "registry.log")
    reg.start()
    yield reg
    rc = reg.stop(signal.SIGTERM)
    assert rc == 0, reg.read_log()[-4000:]


@pytest.fixture
def sclient(shared_registry):
    return Client(shared_registry.url)
