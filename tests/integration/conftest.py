"""Shared fixtures for the integration suites; helpers are in wharfutil.py."""
import pytest

from wharfutil import Registry


@pytest.fixture
def registry_factory(tmp_path):
    """Start registries with chosen flags; all are stopped at the end and
    must have exited cleanly (status 0 after SIGTERM)."""
    started = []

    def make(data_dir=None, extra_args=(), host="127.0.0.1"):
        n = len(started)
        d = data_dir or (tmp_path / f"registry-data-{n}")
        r = Registry(d, tmp_path / f"registry-{n}.log", extra_args, host)
        r.start()
        started.append(r)
        return r

    yield make
    bad = []
    for r in started:
        if r.proc is not None:
            rc = r.stop()
            if rc != 0:
                bad.append((rc, r.read_log()[-4000:]))
    if bad:
        rc, log = bad[0]
        pytest.fail(f"wharf-registry exited with status {rc} at SIGTERM; log tail:\n{log}")


@pytest.fixture
def registry(registry_factory):
    """A wharf-registry on a free loopback port with an empty data dir."""
    return registry_factory()
