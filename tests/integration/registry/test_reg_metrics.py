"""GET /metrics: the Prometheus text format parsed strictly, and counters
checked against requests the test made."""
import math
import re
import threading

from regclient import Client, sha256
from wharfutil import wait_for

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)$")


def parse(text):
    """Text format 0.0.4, strictly: HELP and TYPE once per family and
    before its samples, valid names and labels, float values, no
    duplicate series, histograms cumulative with +Inf equal to _count.
    Returns {(name, frozenset(labels)): value} and {family: type}."""
    assert text.endswith("\n")
    types, helps, series = {}, set(), {}
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert re.fullmatch(NAME, name) and name not in helps, line
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert name not in types, f"TYPE twice: {line}"
            assert typ in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = typ
            continue
        assert not line.startswith("#") and line, f"bad line {line!r}"
        m = SAMPLE.match(line)
        assert m, f"bad sample {line!r}"
        name, labels, value = m.groups()
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"sample before its TYPE: {line}"
        if types[family] != "histogram":
            assert family == name, line
        lab = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels or ""))
        key = (name, lab)
        assert key not in series, f"duplicate series {line}"
        v = float(value)
        assert not math.isnan(v)
        if types[family] == "counter":
            assert v >= 0, line
        series[key] = v
    for fam, typ in types.items():
        if typ != "histogram":
            continue
        groups = {}
        for (name, lab), v in series.items():
            if name == fam + "_bucket":
                rest = frozenset(x for x in lab if x[0] != "le")
                le = dict(lab)["le"]
                groups.setdefault(rest, []).append((math.inf if le == "+Inf" else float(le), v))
        for rest, buckets in groups.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            assert counts == sorted(counts), f"{fam}{set(rest)} not cumulative"
            assert buckets[-1][0] == math.inf
            assert series[(fam + "_count", rest)] == buckets[-1][1]
            assert (fam + "_sum", rest) in series
    return series, types


def value(series, name, **labels):
    return series.get((name, frozenset(labels.items())), 0.0)


def scrape(c):
    r = c.req("GET", "/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(r.text)


def test_metrics_count_known_requests(registry):
    c = Client(registry.url)
    body, digest = c.push_image("met/app", "v1", layers=(b"metrics layer",))
    before, types = scrape(c)
    assert types["wharf_registry_http_requests_total"] == "counter"
    assert types["wharf_registry_http_request_duration_seconds"] == "histogram"
    assert types["wharf_registry_uploads_in_progress"] == "gauge"

    for _ in range(3):
        assert c.req("GET", "/v2/met/app/manifests/v1").status_code == 200
    for _ in range(2):
        assert c.req("GET", "/v2/met/app/manifests/nope").status_code == 404
    blob = b"another blob for the counters"
    c.push_blob("met/app", blob)
    assert c.req("HEAD", f"/v2/met/app/blobs/{sha256(blob)}").status_code == 200
    assert c.req("GET", f"/v2/met/app/blobs/{sha256(blob)}").content == blob
    assert c.req("GET", "/no/such/path").status_code == 404

    after, _ = scrape(c)
    req = "wharf_registry_http_requests_total"

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(req, route="manifest", method="GET", status="200") == 3
    assert delta(req, route="manifest", method="GET", status="404") == 2
    assert delta(req, route="uploads", method="POST", status="201") == 1
    assert delta(req, route="blob", method="HEAD", status="200") == 1
    assert delta(req, route="blob", method="GET", status="200") == 1
    assert delta(req, route="none", method="GET", status="404") == 1
    # The first scrape is counted once it completed.
    assert delta(req, route="metrics", method="GET", status="200") == 1
    lat = "wharf_registry_http_request_duration_seconds"
    assert delta(lat + "_count", route="manifest") == 5
    assert delta(lat + "_bucket", route="manifest", le="+Inf") == 5
    assert delta(lat + "_sum", route="manifest") > 0
    assert delta("wharf_registry_http_response_bytes_total", route="blob") == len(blob)
    assert delta("wharf_registry_http_request_bytes_total", route="uploads") == len(blob)
    got = c.req("GET", "/v2/met/app/manifests/v1")
    again, _ = scrape(c)
    assert (value(again, "wharf_registry_http_response_bytes_total", route="manifest")
            - value(after, "wharf_registry_http_response_bytes_total", route="manifest")
            == len(got.content) == len(body))
    info = [k for k in after if k[0] == "wharf_registry_build_info"]
    assert len(info) == 1 and after[info[0]] == 1 and dict(info[0][1])["version"]


def test_metrics_uploads_in_progress(registry):
    c = Client(registry.url)
    loc = c.open_session("met/up")
    release = threading.Event()
    result = {}

    def slow_body():
        yield b"first part "
        release.wait(10)
        yield b"second part"

    def send():
        r = Client(registry.url).s.patch(registry.url + loc, data=slow_body())
        result["status"] = r.status_code

    t = threading.Thread(target=send)
    t.start()
    try:
        wait_for(lambda: value(scrape(c)[0], "wharf_registry_uploads_in_progress") == 1,
                 timeout=10, what="the upload to be counted")
    finally:
        release.set()
        t.join(20)
    assert result["status"] == 202
    wait_for(lambda: value(scrape(c)[0], "wharf_registry_uploads_in_progress") == 0,
             timeout=10, what="the upload to end")


def test_metrics_lifecycle_and_gc_series_exist(registry):
    c = Client(registry.url)
    series, types = scrape(c)
    for name in ("wharf_registry_gc_bytes_freed_total", "wharf_registry_gc_blobs_deleted_total",
                 "wharf_registry_gc_manifests_deleted_total",
                 "wharf_registry_lifecycle_expired_images_total",
                 "wharf_registry_quota_denied_total", "wharf_registry_audit_lines_total"):
        assert types[name] == "counter" and (name, frozenset()) in series, name
    assert value(series, "wharf_registry_gc_runs_total", result="ok", dry_run="false") == 0
    assert types["wharf_registry_gc_last_run_timestamp_seconds"] == "gauge"
