"""`wharf run` pays only for what running needs (DESIGN.md): the `wharf`
binary links the engine and the image store, never the registry client
or a TLS library; image commands run in `wharf-image`, which it execs."""
import subprocess

from wharfutil import bin_path


def needed(prog):
    out = subprocess.run(["readelf", "-d", bin_path(prog)], capture_output=True, text=True,
                         check=True).stdout
    return {l.split("[", 1)[1].split("]", 1)[0] for l in out.splitlines() if "(NEEDED)" in l}


def test_wharf_links_no_registry_client():
    libs = needed("wharf")
    bad = [l for l in libs if l.split(".so")[0] in ("libcurl", "libssl", "libgnutls", "libnghttp2",
                                                   "libmicrohttpd")]
    assert bad == [], f"wharf needs {bad}"
    assert any(l.startswith("libcurl.") for l in needed("wharf-image"))


def test_wharf_loads_nftables_only_when_a_network_needs_it():
    """libnftables (and libnftnl, libxtables, libgmp behind it) is opened
    with dlopen by the engine's nft code, so `run --network none` never
    loads it; the network tests show it still works when loaded."""
    libs = {l.split(".so")[0] for l in needed("wharf")}
    assert not libs & {"libnftables", "libnftnl", "libxtables", "libgmp"}, libs
    syms = subprocess.run(["nm", "-D", "--undefined-only", bin_path("wharf")],
                          capture_output=True, text=True, check=True).stdout
    assert "dlopen" in syms and "nft_ctx_new" not in syms


def test_image_commands_go_through_the_helper(tmp_path):
    p = subprocess.run([bin_path("wharf"), "--root", str(tmp_path / "r"), "images"],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "REPOSITORY" in p.stdout
    p = subprocess.run([bin_path("wharf"), "--help"], capture_output=True, text=True)
    assert "Container commands" in p.stdout and "pull IMAGE" in p.stdout
