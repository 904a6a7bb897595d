#!/usr/bin/python3
"""Runs every test of wharf and ends with one line: 'N passed, M failed'.

Stages, in order (each can be chosen with --only STAGE[,STAGE]):
  build        configure and build build/ with warnings as errors
  unit         cmocka unit tests in build/ (one count per test case)
  integration  pytest suites in tests/integration against build/
  asan         build build-asan/ (ASan + UBSan), run unit and integration
               tests against it
  fuzz         build build-fuzz/ with clang and run each libFuzzer target
               briefly (FUZZ_SECONDS, default 5) on a copy of its corpus

Counts come from the runners' own reports (JUnit XML from cmocka and
pytest), so the summary counts single test cases, not executables. A stage
that cannot run (a build failure) counts as one failure and the run goes
on, so one broken module does not hide the results of the others.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTEST = ["/usr/bin/python3", "-m", "pytest"]


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures = []

    def add_junit(self, path, label):
        try:
            tree = ET.parse(path)
        except (ET.ParseError, OSError) as e:
            self.fail(f"{label}: unreadable report {path}: {e}")
            return
        for case in tree.iter("testcase"):
            name = f"{label}: {case.get('classname', '')}::{case.get('name')}"
            if case.find("failure") is not None or case.find("error") is not None:
                self.fail(name)
            elif case.find("skipped") is not None:
                self.skipped += 1
            else:
                self.passed += 1

    def fail(self, what):
        self.failed += 1
        self.failures.append(what)


def log(msg):
    print(f"== {msg}", flush=True)


def run(cmd, env=None, cwd=ROOT, timeout=None):
    log(" ".join(cmd))
    try:
        return subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        log(f"timed out after {timeout} s: {' '.join(cmd)}")
        return 124


def configure(builddir, args, env=None):
    if os.path.exists(os.path.join(ROOT, builddir, "build.ninja")):
        rc = run(["meson", "setup", "--reconfigure", builddir] + args, env=env)
    else:
        rc = run(["meson", "setup", builddir] + args, env=env)
    if rc != 0:
        return rc
    return run(["ninja", "-C", builddir], env=env)


def stage_build(t, builddir="build", extra=()):
    rc = configure(builddir, ["-Dwerror=true"] + list(extra))
    if rc != 0:
        t.fail(f"build {builddir}")
    return rc == 0


def stage_unit(t, builddir):
    xmldir = os.path.join(ROOT, builddir, "cmocka-xml")
    shutil.rmtree(xmldir, ignore_errors=True)
    os.makedirs(xmldir)
    env = dict(os.environ)
    env["CMOCKA_MESSAGE_OUTPUT"] = "xml"
    env["CMOCKA_XML_FILE"] = os.path.join(xmldir, "%g.xml")
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    rc = run(["meson", "test", "-C", builddir, "--suite", "unit", "--print-errorlogs",
              "--no-rebuild"], env=env)
    reports = sorted(glob.glob(os.path.join(xmldir, "*.xml")))
    for r in reports:
        t.add_junit(r, f"unit[{builddir}]")
    if rc != 0 and not any(f.startswith(f"unit[{builddir}]") for f in t.failures):
        # an executable crashed before writing its report
        t.fail(f"unit[{builddir}]: meson test exited {rc} (a test binary crashed?)")


def stage_integration(t, builddir, extra_args=()):
    report = os.path.join(ROOT, builddir, "pytest-junit.xml")
    if os.path.exists(report):
        os.unlink(report)
    env = dict(os.environ)
    env["WHARF_BUILD_DIR"] = os.path.join(ROOT, builddir)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    rc = run(PYTEST + ["-q", "-p", "no:cacheprovider", "--junitxml", report,
                       "-o", "junit_family=xunit2", "tests/integration"] + list(extra_args),
             env=env)
    if rc == 5:  # no tests collected
        return
    if os.path.exists(report):
        t.add_junit(report, f"integration[{builddir}]")
    if rc not in (0, 1) or not os.path.exists(report):
        t.fail(f"integration[{builddir}]: pytest exited {rc}")


def stage_asan(t):
    if not stage_build(t, "build-asan", ["-Db_sanitize=address,undefined",
                                         "-Db_lundef=false", "-Dbuildtype=debug",
                                         "-Doptimization=1"]):
        return
    stage_unit(t, "build-asan")
    # Integration tests under the sanitizers: all of them, marked or not.
    stage_integration(t, "build-asan", ["-m", "not no_asan"])


def stage_fuzz(t, seconds):
    env = dict(os.environ)
    env["CC"] = "clang"
    rc = configure("build-fuzz", ["-Dfuzz=true", "-Db_sanitize=address,undefined",
                                  "-Db_lundef=false", "-Dwerror=true"], env=env)
    if rc != 0:
        t.fail("build build-fuzz")
        return
    targets = sorted(glob.glob(os.path.join(ROOT, "build-fuzz", "tests", "fuzz", "fuzz_*")))
    targets = [p for p in targets if os.access(p, os.X_OK) and not p.endswith(".p")]
    for exe in targets:
        name = os.path.basename(exe)[len("fuzz_"):]
        seeds = os.path.join(ROOT, "tests", "fuzz", "corpus", name)
        with tempfile.TemporaryDirectory(prefix=f"wharf-fuzz-{name}-") as work:
            corpus = os.path.join(work, "corpus")
            if os.path.isdir(seeds):
                shutil.copytree(seeds, corpus)
            else:
                os.makedirs(corpus)
            cmd = [exe, f"-max_total_time={seconds}", "-timeout=10",
                   "-rss_limit_mb=2048", "-print_final_stats=1",
                   f"-artifact_prefix={work}/", corpus]
            log(" ".join(cmd))
            # libFuzzer is chatty: keep its output, show it only on failure.
            try:
                p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=seconds + 120)
                rc, out = p.returncode, p.stdout.decode(errors="replace")
            except subprocess.TimeoutExpired as e:
                rc, out = 124, (e.stdout or b"").decode(errors="replace")
            runs = [l for l in out.splitlines() if l.startswith("stat::number_of_executed_units")]
            print(f"   fuzz {name}: exit {rc}; {runs[-1] if runs else ''}", flush=True)
            if rc == 0:
                t.passed += 1
            else:
                print("\n".join(out.splitlines()[-60:]), flush=True)
                crashes = glob.glob(os.path.join(work, "crash-*")) + \
                    glob.glob(os.path.join(work, "leak-*")) + \
                    glob.glob(os.path.join(work, "timeout-*"))
                t.fail(f"fuzz {name}: exit {rc} {' '.join(os.path.basename(c) for c in crashes)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="build,unit,integration,asan,fuzz",
                    help="comma-separated stages to run")
    ap.add_argument("--fuzz-seconds", type=int,
                    default=int(os.environ.get("FUZZ_SECONDS", "5")))
    args = ap.parse_args()
    stages = args.only.split(",")
    t = Tally()
    start = time.monotonic()
    built = True
    if "build" in stages:
        built = stage_build(t)
    if built and "unit" in stages:
        stage_unit(t, "build")
    if built and "integration" in stages:
        stage_integration(t, "build")
    if "asan" in stages:
        stage_asan(t)
    if "fuzz" in stages:
        stage_fuzz(t, args.fuzz_seconds)
    elapsed = time.monotonic() - start
    if t.failures:
        print("\nFailures:")
        for f in t.failures:
            print(f"  {f}")
    print(f"\n(run took {elapsed:.0f} s)")
    line = f"{t.passed} passed, {t.failed} failed"
    if t.skipped:
        line += f", {t.skipped} skipped"
    print(line, flush=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
