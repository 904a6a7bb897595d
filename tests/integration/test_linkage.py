"""Each program links only the libraries it uses (DESIGN.md: start-up cost).

wharf-runtime must load none of libcurl, OpenSSL, SQLite or
libmicrohttpd; the registry needs no runtime or engine libraries."""
import subprocess

import pytest

from wharfutil import bin_path


def needed(prog):
    out = subprocess.run(["readelf", "-d", bin_path(prog)], capture_output=True,
                         text=True, check=True).stdout
    return {line.split("[", 1)[1].split("]", 1)[0]
            for line in out.splitlines() if "(NEEDED)" in line}


FORBIDDEN = {
    "wharf-runtime": ["libcurl", "libcrypto", "libssl", "libsqlite3", "libmicrohttpd",
                      "libgnutls", "libarchive", "libnftables"],
    "wharf-registry": ["libcurl", "libseccomp", "libcap", "libarchive", "libnftables",
                       "libmnl"],
}


@pytest.mark.parametrize("prog", sorted(FORBIDDEN))
def test_program_links_only_what_it_uses(prog):
    libs = needed(prog)
    bad = [l for l in libs if any(l.startswith(f + ".") or l.startswith(f + "-")
                                  for f in FORBIDDEN[prog])]
    assert bad == [], f"{prog} needs {bad}; it should not"


def test_registry_links_its_server_and_metadata_libraries():
    libs = needed("wharf-registry")
    assert any(l.startswith("libmicrohttpd.") for l in libs)
