#!/usr/bin/env python3
"""Runs gort's benchmarks beside their Go twins and prints the ratios.

    ./gort bench [FILTER...]
    python3 bench/compare.py --build build --go /usr/lib/go-1.19/bin/go [FILTER...]

Pairing is by name, with no table to maintain: the C++ benchmark BM_<Name>
(bench/*_bench.cc, all in build/bench/gort_bench) and the Go benchmark
Benchmark<Name> (bench/go/*_test.go) are the workload <Name>. Google
Benchmark's option suffixes (/real_time, /process_time, ...) and Go's
GOMAXPROCS suffix (-2) are not part of the name.

A FILTER is a Python regular expression searched for in workload names (so
a plain substring works); a workload runs when any FILTER matches. The
selection is made here and handed to both sides as an exact list, so both
run the same workloads.

Each side runs --count times (rounds of gort_bench, `go test -count`); the
figure for a side is the median ns/op (wall clock) of its
runs. The output is the gort section (Google Benchmark's console table), the
Go section (`go test` output), then one line per workload, last:

    <Name> gort=<ns/op> go=<ns/op> ratio=<gort/go>

Extra figures a workload reports under the same name on both sides (Google
Benchmark user counters, Go's b.ReportMetric units and b.SetBytes' MB/s)
are listed, median of the runs, in a section just before that table:

    <Name> <metric> gort=<value> go=<value>
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GO_DIR = os.path.join(HERE, "go")

GBENCH_PREFIX = "BM_"
GO_PREFIX = "Benchmark"
# Name parts Google Benchmark appends for a benchmark's options.
GBENCH_OPTION_PART = re.compile(
    r"^(real_time|process_time|manual_time|threads:\d+|repeats:\d+|min_time:.*|"
    r"min_warmup_time:.*|iterations:\d+)$")
GO_PROCS_SUFFIX = re.compile(r"-\d+$")
# BenchmarkX-2   1000000   1255 ns/op   16 B/op   1 allocs/op
GO_RESULT = re.compile(
    r"^(Benchmark\S+)\s+(\d+)\s+([0-9.]+) ns/op"
    r"(?:\s+([0-9.]+) B/op)?(?:\s+([0-9.]+) allocs/op)?")
TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# "<value> <unit>" pairs of a Go result line, after the iteration count.
GO_METRIC = re.compile(r"([-+0-9.eE]+) (\S+)")
GO_BUILTIN_UNITS = {"ns/op", "B/op", "allocs/op"}
# Keys of a Google Benchmark JSON entry that are not user counters.
GBENCH_STD_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time",
    "cpu_time", "time_unit", "label", "error_occurred", "error_message",
    "aggregate_name", "aggregate_unit"}


class Failed(Exception):
    pass


def canon_gbench(name):
    parts = name.split("/")
    if parts[0].startswith(GBENCH_PREFIX):
        parts[0] = parts[0][len(GBENCH_PREFIX):]
    return "/".join([parts[0]] + [p for p in parts[1:] if not GBENCH_OPTION_PART.match(p)])


def canon_go(name):
    if name.startswith(GO_PREFIX):
        name = name[len(GO_PREFIX):]
    return GO_PROCS_SUFFIX.sub("", name)


def regex_escape(s):
    # Only the metacharacters: Google Benchmark's regex and Go's agree on these.
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", s)


def fmt_ns(v):
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def fmt_metric(v):
    return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"


def section(title):
    print(f"\n== {title} ==", flush=True)


def busy_fraction(seconds=0.5):
    """How busy the CPUs are with other work, from /proc/stat; None if unknown."""
    def sample():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)  # idle + iowait
        return sum(v), idle
    try:
        t0, i0 = sample()
        time.sleep(seconds)
        t1, i1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1.0 - (i1 - i0) / (t1 - t0) if t1 > t0 else None


# ---------------------------------------------------------------------------
# gort side: Google Benchmark


def gort_list(binary):
    """Full Google Benchmark names, in registration order."""
    try:
        out = subprocess.run([binary, "--benchmark_list_tests=true"], check=True,
                             capture_output=True, text=True).stdout
    except subprocess.CalledProcessError as e:
        raise Failed(f"{binary} --benchmark_list_tests failed (exit {e.returncode}):\n{e.stderr}")
    return [line.strip() for line in out.splitlines() if line.strip()]


def gort_run(binary, full_names, count, min_time):
    """Runs the named benchmarks; returns {workload: {"ns": [...], "errors": [...]}}.

    One process per round, each running every selected benchmark once,
    rather than --benchmark_repetitions: Google Benchmark sizes the
    iteration count in the first repetition only, so a run that fails there
    would leave the others too short to mean anything; and a process that
    dies then costs one round, not the whole side."""
    results = {}
    regex = "^(" + "|".join(regex_escape(n) for n in full_names) + ")$"
    with tempfile.TemporaryDirectory(prefix="gort-bench-") as tmp:
        for rnd in range(1, count + 1):
            print(f"-- round {rnd} of {count}", flush=True)
            out_json = os.path.join(tmp, f"round{rnd}.json")
            cmd = [binary, f"--benchmark_filter={regex}", "--benchmark_format=console",
                   f"--benchmark_out={out_json}", "--benchmark_out_format=json"]
            if min_time:
                cmd.append(f"--benchmark_min_time={min_time}")
            # The console table streams as the readable section; the JSON
            # copy is what gets parsed.
            rc = subprocess.run(cmd).returncode
            sys.stdout.flush()
            sys.stderr.flush()
            try:
                with open(out_json) as f:
                    data = json.load(f)
            except (OSError, ValueError) as e:
                if rc == 0:
                    raise Failed(f"cannot read Google Benchmark's JSON output: {e}")
                data = {}  # died before finishing the file: every benchmark failed
            seen = set()
            for b in data.get("benchmarks", []):
                if b.get("run_type", "iteration") != "iteration":
                    continue
                name = canon_gbench(b.get("run_name", b["name"]))
                seen.add(name)
                r = results.setdefault(name, {"ns": [], "errors": [], "metrics": {}})
                if b.get("error_occurred"):
                    r["errors"].append(b.get("error_message", "error"))
                else:
                    r["ns"].append(b["real_time"] * TIME_UNIT_NS[b.get("time_unit", "ns")])
                    for k, v in b.items():
                        if k not in GBENCH_STD_KEYS and isinstance(v, (int, float)):
                            r["metrics"].setdefault(k, []).append(float(v))
            if rc != 0:
                how = f"exited with status {rc}"
                if rc < 0:
                    try:
                        how = f"was killed by {signal.Signals(-rc).name}"
                    except ValueError:
                        how = f"was killed by signal {-rc}"
                # Died part-way (a crash the runtime could not capture): the
                # benchmarks it had not reported count as failed runs.
                for full in full_names:
                    name = canon_gbench(full)
                    if name not in seen:
                        results.setdefault(name, {"ns": [], "errors": [], "metrics": {}})["errors"].append(
                            f"gort_bench {how}")
    return results


# ---------------------------------------------------------------------------
# Go side: go test


def go_env(build):
    env = os.environ.copy()
    env["GO111MODULE"] = "on"  # bench/go/go.mod: module gortbench, no dependencies
    env["GOFLAGS"] = ""
    env["GOWORK"] = "off"
    env["GOPROXY"] = "off"  # never the network
    if not env.get("GOCACHE") and not env.get("XDG_CACHE_HOME") and not env.get("HOME"):
        env["GOCACHE"] = os.path.join(build, "bench", "go-cache")
    if not env.get("GOPATH") and not env.get("HOME"):
        env["GOPATH"] = os.path.join(build, "bench", "gopath")
    return env


def go_check(go):
    path = go if os.sep in go else shutil.which(go)
    if not path or not os.path.isfile(path) or not os.access(path, os.X_OK):
        raise Failed(f"Go toolchain not found at {go}: install golang-1.19-go "
                     "(./gort setup does) or pass --go PATH")
    try:
        return subprocess.run([path, "version"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as e:
        raise Failed(f"{path} version failed: {e}")


def go_list(go, env):
    """Workload names of the Go benchmarks. Builds the test binary, so a
    broken Go twin is reported here, before anything runs."""
    p = subprocess.run([go, "test", "-list", "^" + GO_PREFIX], cwd=GO_DIR, env=env,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise Failed(f"building the Go benchmarks in {GO_DIR} failed:\n{p.stdout}{p.stderr}")
    return [canon_go(line.strip()) for line in p.stdout.splitlines()
            if line.startswith(GO_PREFIX)]


def go_run(go, env, names, count, benchtime):
    """Runs the named benchmarks; returns {workload: {"ns": [...], "bop": [...], "allocs": [...]}}."""
    regex = "^" + GO_PREFIX + "(" + "|".join(regex_escape(n) for n in names) + ")$"
    cmd = [go, "test", "-run", "^$", "-bench", regex, "-benchmem",
           "-count", str(count), "-benchtime", benchtime]
    print(f"$ cd bench/go && go test -run '^$' -bench '{regex}' -benchmem -count {count} "
          f"-benchtime {benchtime}", flush=True)
    results = {}
    p = subprocess.Popen(cmd, cwd=GO_DIR, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, bufsize=1)
    for line in p.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        m = GO_RESULT.match(line)
        if not m:
            continue
        r = results.setdefault(canon_go(m.group(1)),
                               {"ns": [], "bop": [], "allocs": [], "metrics": {}})
        r["ns"].append(float(m.group(3)))
        for value, unit in GO_METRIC.findall(line[m.end(2):]):
            if unit not in GO_BUILTIN_UNITS:
                try:
                    r["metrics"].setdefault(unit, []).append(float(value))
                except ValueError:
                    pass
        if m.group(4) is not None:
            r["bop"].append(float(m.group(4)))
        if m.group(5) is not None:
            r["allocs"].append(float(m.group(5)))
    rc = p.wait()
    if rc != 0:
        raise Failed(f"go test exited with status {rc} (its output is above)")
    return results


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description="gort's benchmarks beside their Go twins.")
    ap.add_argument("--build", required=True, help="the build directory (holds bench/gort_bench)")
    ap.add_argument("--go", default="go", help="the go command (default: go on PATH)")
    ap.add_argument("--count", type=int, default=3,
                    help="runs per side; each side's figure is the median (default 3)")
    ap.add_argument("--go-benchtime", default="1s", help="go test -benchtime (default 1s)")
    ap.add_argument("--min-time", default="",
                    help="Google Benchmark --benchmark_min_time in seconds (default: its own, 0.5)")
    ap.add_argument("--list", action="store_true", help="list the selected workloads and exit")
    ap.add_argument("filters", nargs="*", metavar="FILTER",
                    help="regular expressions searched for in workload names")
    args = ap.parse_args()

    try:
        filters = [re.compile(f) for f in args.filters]
    except re.error as e:
        print(f"compare.py: bad FILTER: {e}", file=sys.stderr)
        return 2

    binary = os.path.join(os.path.abspath(args.build), "bench", "gort_bench")
    try:
        if not os.access(binary, os.X_OK):
            raise Failed(f"{binary} not found: build first (./gort build); benchmarks are "
                         "built only without sanitizers and with GORT_BUILD_BENCHMARKS=ON")
        go_version = go_check(args.go)
        env = go_env(os.path.abspath(args.build))

        gort_full = gort_list(binary)
        gort_names = {}  # workload -> full Google Benchmark names, in order
        for full in gort_full:
            gort_names.setdefault(canon_gbench(full), []).append(full)
        go_names = go_list(args.go, env)

        order = list(gort_names) + [n for n in go_names if n not in gort_names]
        selected = [n for n in order if not filters or any(f.search(n) for f in filters)]
        if not selected:
            raise Failed("no workload matches " + " ".join(args.filters) +
                         " (workloads: " + ", ".join(order) + ")")
        notes = []
        for n in selected:
            if n not in go_names:
                notes.append(f"{n}: no Go twin (Benchmark{n} in bench/go/)")
            if n not in gort_names:
                notes.append(f"{n}: no gort benchmark (BM_{n} in bench/*_bench.cc)")
        if args.list:
            for n in selected:
                print(n)
            for note in notes:
                print("warning: " + note)
            return 0

        busy = busy_fraction()
        if busy is not None and busy > 0.25:
            notes.append(f"other work kept {busy:.0%} of the CPUs busy at the start: "
                         "figures may be inflated, gort's and Go's unevenly")
        gort_sel = [full for n in selected for full in gort_names.get(n, [])]
        go_sel = [n for n in selected if n in go_names]

        gort_res = {}
        if gort_sel:
            section(f"gort: build/bench/gort_bench, parallel mode, {args.count} rounds")
            gort_res = gort_run(binary, gort_sel, args.count, args.min_time)
        go_res = {}
        if go_sel:
            section(f"Go: bench/go, {go_version}, -count {args.count}")
            go_res = go_run(args.go, env, go_sel, args.count, args.go_benchtime)
    except Failed as e:
        sys.stdout.flush()
        print(f"compare.py: {e}", file=sys.stderr)
        return 1

    rows = []
    for n in selected:
        g = gort_res.get(n, {"ns": [], "errors": []})
        o = go_res.get(n, {"ns": []})
        runs = len(g["errors"]) + len(g["ns"])
        for err in sorted(set(g["errors"])):
            notes.append(f"{n}: {g['errors'].count(err)} of {runs} gort runs failed: {err}")
        if n in go_names and not o["ns"]:
            notes.append(f"{n}: go test printed no result")
        gv = statistics.median(g["ns"]) if g["ns"] else None
        ov = statistics.median(o["ns"]) if o["ns"] else None
        gs = fmt_ns(gv) if gv is not None else ("failed" if g["errors"] else "n/a")
        os_ = fmt_ns(ov) if ov is not None else "n/a"
        ratio = f"{gv / ov:.2f}" if gv is not None and ov else "n/a"
        rows.append(f"{n} gort={gs} go={os_} ratio={ratio}")

    extra = []
    for n in selected:
        gm = gort_res.get(n, {}).get("metrics", {})
        om = go_res.get(n, {}).get("metrics", {})
        for k in sorted(set(gm) | set(om), key=str.lower):
            gs = fmt_metric(statistics.median(gm[k])) if gm.get(k) else "n/a"
            os_ = fmt_metric(statistics.median(om[k])) if om.get(k) else "n/a"
            extra.append(f"{n} {k} gort={gs} go={os_}")
    if extra:
        section(f"extra metrics: median of {args.count} runs")
        for line in extra:
            print(line)

    section(f"gort vs Go: median ns/op of {args.count} runs; ratio = gort/go, lower is better")
    for note in notes:
        print("warning: " + note)
    for row in rows:
        print(row)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
