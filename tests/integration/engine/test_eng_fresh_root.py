"""Commands started together on a fresh --root all succeed: the first
opener creates the databases' schema in one transaction, and the others
wait for it or find it done (a bare `PRAGMA journal_mode=WAL` switch can
answer "database is locked" without waiting)."""
import os
import sqlite3
import subprocess
import tempfile

from wharfutil import bin_path


def test_concurrent_first_commands_on_a_fresh_root(tmp_path):
    wharf = bin_path("wharf")
    for round_ in range(25):
        root = tmp_path / f"root{round_}"
        runroot = tempfile.mkdtemp(prefix="wfr-", dir="/tmp")
        try:
            tag = os.urandom(3).hex()
            # a bridge name and nft table of the test's own, never wharf0
            net = ["--bridge", f"wt{tag}", "--bridge-subnet", "10.251.7.0/24",
                   "--nft-table", f"wt_{tag}"]
            procs = [subprocess.Popen([wharf, "--root", str(root), "--runroot", runroot,
                                       *net, *args], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True)
                     for args in (["ps", "-a"], ["ps", "-a"], ["volume", "ls"],
                                  ["images"], ["images"])]
            for p in procs:
                _, err = p.communicate(timeout=60)
                assert p.returncode == 0, err
            with sqlite3.connect(root / "engine.db") as c:
                c.execute("SELECT count(*) FROM containers").fetchone()
        finally:
            subprocess.run(["rm", "-rf", runroot])
