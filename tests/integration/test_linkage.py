"""Each program links only the libraries it uses (DESIGN.md: start-up cost).

wharf-runtime must load none of libcurl, OpenSSL, SQLite or
libmicrohttpd; the registry needs no runtime or engine libraries.
wharf-runtime is linked statically outside sanitizer builds; then no
forbidden library may have been linked into it either."""
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


# one function each forbidden library would bring in if linked statically
FORBIDDEN_SYMBOLS = ["curl_easy_init", "EVP_DigestInit_ex", "SSL_new", "sqlite3_open_v2",
                     "MHD_start_daemon", "gnutls_init", "archive_read_new", "nft_ctx_new"]


def is_static(prog):
    out = subprocess.run(["readelf", "-l", bin_path(prog)], capture_output=True,
                         text=True, check=True).stdout
    return "INTERP" not in out


def sanitized_build():
    out = subprocess.run(["readelf", "-d", bin_path("wharf-runtime")], capture_output=True,
                         text=True, check=True).stdout
    return "libasan" in out or "libubsan" in out


def test_runtime_is_static_outside_sanitizer_builds():
    if sanitized_build():
        pytest.skip("sanitizer build: linked dynamically")
    assert is_static("wharf-runtime"), "wharf-runtime should be a static-pie binary"
    assert needed("wharf-runtime") == set()
    syms = subprocess.run(["nm", "--defined-only", bin_path("wharf-runtime")],
                          capture_output=True, text=True, check=True).stdout
    names = {line.split()[-1] for line in syms.splitlines() if line.strip()}
    assert "seccomp_init" in names and "json_loadb" in names and "cap_get_proc" in names
    bad = [f for f in FORBIDDEN_SYMBOLS if f in names]
    assert bad == [], f"wharf-runtime has {bad} linked in"


@pytest.mark.parametrize("prog", sorted(FORBIDDEN))
def test_program_links_only_what_it_uses(prog):
    libs = needed(prog)
    bad = [l for l in libs if any(l.startswith(f + ".") or l.startswith(f + "-")
                                  for f in FORBIDDEN[prog])]
    assert bad == [], f"{prog} needs {bad}; it should not"


def test_registry_links_its_server_and_metadata_libraries():
    libs = needed("wharf-registry")
    assert any(l.startswith("libmicrohttpd.") for l in libs)
