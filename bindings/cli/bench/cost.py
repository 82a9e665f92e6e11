#!/usr/bin/env python3
"""Cost per request: the benchmark of issue 18 (docs/BENCHMARKS.md, "Cost per request").

One command, one machine, one session:

  python3 bindings/cli/bench/cost.py

builds the release `pipelining` binary, starts nginx (nginx.conf.template:
a 1 KiB file, one worker) and redis-server on loopback ports of its own, and
measures, for our client and for the fastest pipelining tool beside it:

  instructions  per request, under callgrind:
                (Ir at -n 20000 - Ir at -n 2000) / 18000, so start-up
                cancels out;
  allocations   per request, the same way from dhat's total blocks;
  requests/s    in alternating runs (3 rounds of 5 s by default), medians
                and their ratio.

HTTP (nginx, one connection, depth 16):
  ours    pipelining bench URL --depth 16 --connections 1 -n N --json
  wrk     wrk -t1 -c1 -d600s -s pipeline-count.lua URL -- 16 N
Redis (redis-server, one connection, depth 16, GET of one 3-byte value):
  ours    pipelining redis --host H:P --depth 16 --json < N lines of GET
  redis-benchmark -P 16 -c 1 -t get -n N
Requests/s pairs: bench --depth 16 vs wrk 16, --depth 64 vs wrk 64,
--batch --depth 16 vs wrk 16 (pipeline.lua), and 200,000 GETs vs
redis-benchmark -n 200000.

Every count is checked against the server's own counter (nginx's
stub_status, Redis's total_commands_processed).

Writes results-cost.json (every sample) and results-cost.md (the tables)
next to this script, both naming the commit measured: the checkout around
must have no uncommitted changes to tracked files, unless --commit names
what was measured. Standard library only.
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

import bench  # nginx, the machine's facts, CPU accounting: shared with bench.py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
PIPELINE_LUA = os.path.join(HERE, "pipeline.lua")
COUNT_LUA = os.path.join(HERE, "pipeline-count.lua")
RESULTS = "results-cost"
REDIS_KEY = "key:__rand_int__"  # the key redis-benchmark's GET test reads without -r
REDIS_VALUE = "xxx"  # redis-benchmark's default 3-byte value
TIMEOUT = 900  # seconds any one tool may run before the benchmark gives up

# Issue 18's targets: reported, never enforced.
TARGETS = {
    "bench_instructions": 10_000,
    "bench_allocations": 4,
    "redis_instructions": 4_000,
    "rps_depth16": 1.5,
    "rps_depth64": 1.2,
    "rps_batch16": 1.0,
    "rps_redis": 1.0,
}

log = bench.log


def run(cmd, what, **kwargs):
    """Runs `cmd`, failing the benchmark with its output if it fails."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, **kwargs)
    if p.returncode != 0:
        raise RuntimeError(f"{what}: {' '.join(cmd)}: exit {p.returncode}\n{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
    return p


# ---------------------------------------------------------------- servers


def nginx_requests(nginx):
    """nginx's count of requests served, from stub_status (this request included)."""
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=10) as s:
        s.sendall(b"GET /nginx-status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    m = re.search(rb"server accepts handled requests\s+\d+\s+\d+\s+(\d+)", data)
    if not m:
        raise RuntimeError(f"nginx stub_status: {data!r}")
    return int(m.group(1))


class Redis:
    """redis-server on a free loopback port, in a temporary directory, with no persistence."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pipelining-cost-redis-")
        self.port = bench.free_port()
        self.proc = subprocess.Popen(
            bench.PREFIX + ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--dir", self.dir, "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.host = f"127.0.0.1:{self.port}"
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.proc.stderr.read().decode()}")
            try:
                if self.command("PING") == "PONG":
                    break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("redis-server did not start listening")
                time.sleep(0.05)
        if self.command("SET", REDIS_KEY, REDIS_VALUE) != "OK":
            raise RuntimeError("redis-server refused SET")

    def command(self, *args):
        """One command on a fresh connection; the reply as a string."""
        request = f"*{len(args)}\r\n" + "".join(f"${len(a)}\r\n{a}\r\n" for a in args)
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(request.encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
                kind, _, rest = data.partition(b"\r\n")
                if data[:1] in b"+-:" and rest == b"":
                    return data[1:].split(b"\r\n", 1)[0].decode()
                if data[:1] == b"$" and len(rest) >= int(kind[1:]) + 2:
                    return rest[: int(kind[1:])].decode()
        raise RuntimeError(f"redis-server: incomplete reply {data!r}")

    def commands_processed(self):
        info = self.command("INFO", "stats")
        m = re.search(r"total_commands_processed:(\d+)", info)
        return int(m.group(1))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- tools


class Tools:
    """The commands measured: each returns an argv for N requests, and checks a finished run."""

    def __init__(self, binary, nginx, redis, depth, workdir):
        self.binary, self.nginx, self.redis, self.depth, self.workdir = binary, nginx, redis, depth, workdir

    def gets(self, n):
        """A file of n GET lines (stdin of `pipelining redis`)."""
        path = os.path.join(self.workdir, f"get.{n}")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write(f"GET {REDIS_KEY}\n" * n)
        return path

    def cases(self):
        """name -> (server, argv for n, stdin for n, check(run, n), served(before, after) -> requests)."""
        d = str(self.depth)
        url = self.nginx.url

        def check_ours(p, n):
            result = json.loads(p.stdout)
            if (result["requests"], result["errors"]) != (n, 0):
                raise RuntimeError(f"pipelining bench: {result}")

        def check_wrk(p, n):
            if f"pipeline-count.lua: {n} responses" not in p.stderr:
                raise RuntimeError(f"wrk did not report {n} responses:\n{p.stdout}\n{p.stderr[-2000:]}")

        def check_redis_ours(p, n):
            pass  # exit 0: every command got its reply (C1's exit codes); the server's count is checked too

        def check_redis_benchmark(p, n):
            if '"GET"' not in p.stdout:
                raise RuntimeError(f"redis-benchmark printed no GET row:\n{p.stdout}")

        http = lambda before, after: after - before - 1  # noqa: E731 (the stub_status request counts itself)
        redis = lambda before, after: after - before - 1  # noqa: E731 (the first INFO is counted by the second)
        return {
            "bench": ("nginx", lambda n: [self.binary, "bench", url, "--depth", d, "--connections", "1", "-n", str(n),
                                          "--json"], None, check_ours, http, 0),
            "wrk": ("nginx", lambda n: ["wrk", "-t1", "-c1", "-d600s", "-s", COUNT_LUA, url, "--", d, str(n)], None,
                    check_wrk, http, 0),
            "redis": ("redis", lambda n: [self.binary, "redis", "--host", self.redis.host, "--depth", d, "--json"],
                      self.gets, check_redis_ours, redis, 0),
            # redis-benchmark first reads two settings with CONFIG GET.
            "redis-benchmark": ("redis", lambda n: ["redis-benchmark", "-h", "127.0.0.1", "-p", str(self.redis.port),
                                                    "-P", d, "-c", "1", "-t", "get", "-n", str(n), "--csv"],
                                None, check_redis_benchmark, redis, 2),
        }

    def served(self, server):
        return nginx_requests(self.nginx) if server == "nginx" else self.redis.commands_processed()


# Valgrind counts every iteration of `rep movsb` / `rep stosb` as one
# instruction; these make glibc use its vector loops for every tool alike
# (as bench.py does for the core).
VALGRIND_ENV = dict(os.environ, GLIBC_TUNABLES=bench.NO_REP_STRINGS)


def under_valgrind(tools, name, tool, n, outdir):
    """One run of `name` for n requests under a valgrind tool; returns its total (Ir or blocks)."""
    server, argv, stdin_for, check, served, extra = tools.cases()[name]
    out = os.path.join(outdir, f"{tool}.{name}.{n}")
    if tool == "callgrind":
        vg = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
    else:
        # redis-benchmark allocates through libjemalloc: intercept it too.
        vg = ["valgrind", "--tool=dhat", f"--dhat-out-file={out}", "--soname-synonyms=somalloc=*jemalloc*"]
    before = tools.served(server)
    stdin = open(stdin_for(n)) if stdin_for else subprocess.DEVNULL
    try:
        p = run(vg + argv(n), f"{name} under {tool}", stdin=stdin, env=VALGRIND_ENV)
    finally:
        if stdin_for:
            stdin.close()
    check(p, n)
    got = served(before, tools.served(server)) - extra
    if got != n:
        raise RuntimeError(f"{name} under {tool}: the server counted {got} requests, not {n}")
    if tool == "callgrind":
        with open(out) as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1])
        raise RuntimeError(f"no totals in {out}")
    m = re.search(r"Total:\s+[\d,]+ bytes in ([\d,]+) blocks", p.stderr)
    if not m:
        raise RuntimeError(f"no dhat totals for {name}:\n{p.stderr[-2000:]}")
    return int(m.group(1).replace(",", ""))


def cost(args, tools):
    """Instructions and allocations per request, for each tool."""
    n1, n2 = args.counts
    rows = {}
    with tempfile.TemporaryDirectory(prefix="pipelining-cost-valgrind-") as outdir:
        for name in ["bench", "wrk", "redis", "redis-benchmark"]:
            row = {}
            for tool, key in [("callgrind", "instructions"), ("dhat", "allocations")]:
                totals = {n1: [], n2: []}
                for _ in range(args.valgrind_runs):
                    for n in (n1, n2):
                        totals[n].append(under_valgrind(tools, name, tool, n, outdir))
                lo, hi = statistics.median(totals[n1]), statistics.median(totals[n2])
                per = (hi - lo) / (n2 - n1)
                row[key] = {"per_request": per, f"total_at_{n1}": totals[n1], f"total_at_{n2}": totals[n2]}
                log(f"  {name:<16} {tool:<9} {n1}: {lo:>13,.0f}  {n2}: {hi:>13,.0f}  -> {per:,.2f} per request")
            rows[name] = row
    commands = {}
    for name, (_, argv, stdin_for, *_) in tools.cases().items():
        commands[name] = " ".join(argv("N")) + (" < N lines of `GET key`" if stdin_for else "")
    return {"counts": [n1, n2], "valgrind_runs": args.valgrind_runs, "depth": args.depth, "commands": commands,
            "rows": rows}


# ---------------------------------------------------------------- requests/s


def rps_ours(binary, url, depth, duration, batch):
    cmd = [binary, "bench", url, "--depth", str(depth), "--connections", "1", "--duration", str(duration), "--json"]
    if batch:
        cmd.insert(2, "--batch")
    cpu = bench.children_cpu()
    p = run(bench.PREFIX + cmd, "pipelining bench")
    cpu = bench.children_cpu() - cpu
    result = json.loads(p.stdout)
    if result["errors"]:
        raise RuntimeError(f"pipelining bench: {result['errors']} errors")
    return result["rps"], cpu / result["requests"] * 1e6


def rps_wrk(url, depth, duration):
    rps, count, cpu = bench.run_wrk(url, depth, duration)
    return rps, cpu / count * 1e6


def rps_redis_ours(binary, redis, depth, gets, n):
    before = redis.commands_processed()
    cpu = bench.children_cpu()
    with open(gets) as stdin:
        start = time.perf_counter()
        run(bench.PREFIX + [binary, "redis", "--host", redis.host, "--depth", str(depth), "--json"],
            "pipelining redis", stdin=stdin)
        seconds = time.perf_counter() - start
    cpu = bench.children_cpu() - cpu
    if redis.commands_processed() - before - 1 != n:
        raise RuntimeError("pipelining redis: the server did not count every GET")
    return n / seconds, cpu / n * 1e6


CSV_GET = re.compile(r'^"GET","([0-9.]+)"', re.M)


def rps_redis_benchmark(redis, depth, n):
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis.port), "-P", str(depth), "-c", "1", "-t", "get",
           "-n", str(n), "--csv"]
    cpu = bench.children_cpu()
    start = time.perf_counter()
    p = run(bench.PREFIX + cmd, "redis-benchmark")
    seconds = time.perf_counter() - start
    cpu = bench.children_cpu() - cpu
    m = CSV_GET.search(p.stdout)
    if not m:
        raise RuntimeError(f"redis-benchmark printed no GET row:\n{p.stdout}")
    # Timed around the process like ours; its own figure is kept beside.
    return n / seconds, cpu / n * 1e6, float(m.group(1))


def rps(args, binary, nginx, redis, gets):
    """Alternating rounds of each pair; medians and ratios."""
    d, dd = args.depth, args.deep_depth
    pairs = [
        (f"depth{d}", f"`pipelining bench --depth {d}`", f"wrk + pipeline.lua, depth {d}",
         lambda: rps_ours(binary, nginx.url, d, args.duration, False), lambda: rps_wrk(nginx.url, d, args.duration)),
        (f"depth{dd}", f"`pipelining bench --depth {dd}`", f"wrk + pipeline.lua, depth {dd}",
         lambda: rps_ours(binary, nginx.url, dd, args.duration, False),
         lambda: rps_wrk(nginx.url, dd, args.duration)),
        (f"batch{d}", f"`pipelining bench --batch --depth {d}`", f"wrk + pipeline.lua, depth {d}",
         lambda: rps_ours(binary, nginx.url, d, args.duration, True), lambda: rps_wrk(nginx.url, d, args.duration)),
        ("redis", f"`pipelining redis --depth {d}`, {args.redis_requests:,} GETs",
         f"`redis-benchmark -P {d} -c 1 -t get -n {args.redis_requests}`",
         lambda: rps_redis_ours(binary, redis, d, gets, args.redis_requests),
         lambda: rps_redis_benchmark(redis, d, args.redis_requests)),
    ]
    samples = {key: {"ours": [], "theirs": [], "ours_cpu": [], "theirs_cpu": [], "theirs_reported": []}
               for key, *_ in pairs}
    # Warm-up, not recorded.
    rps_ours(binary, nginx.url, d, 1, False)
    rps_wrk(nginx.url, d, 1)
    rps_redis_ours(binary, redis, d, gets, args.redis_requests)
    rps_redis_benchmark(redis, d, args.redis_requests)
    loads = []
    for r in range(args.rounds):
        loads.append(bench.loadavg())
        for i, (key, _, _, ours, theirs) in enumerate(pairs):
            order = [("ours", ours), ("theirs", theirs)]
            if (r + i) % 2:
                order.reverse()
            for side, measure in order:
                result = measure()
                samples[key][side].append(result[0])
                samples[key][f"{side}_cpu"].append(result[1])
                if len(result) > 2:
                    samples[key]["theirs_reported"].append(result[2])
                log(f"  round {r + 1}/{args.rounds} {key:<8} {side:<6} {result[0]:>10,.0f} req/s, "
                    f"client CPU {result[1]:.2f} µs per request")
    rows = []
    for key, ours_label, theirs_label, *_ in pairs:
        s = samples[key]
        row = {
            "pair": key,
            "ours_label": ours_label,
            "theirs_label": theirs_label,
            "ours_rps": bench.summary(s["ours"]),
            "theirs_rps": bench.summary(s["theirs"]),
            "ratio": statistics.median(s["ours"]) / statistics.median(s["theirs"]),
            "paired_ratio": bench.summary([o / t for o, t in zip(s["ours"], s["theirs"])]),
            "cpu_us_per_request": {"ours": bench.summary(s["ours_cpu"]), "theirs": bench.summary(s["theirs_cpu"])},
        }
        if s["theirs_reported"]:
            row["theirs_reported_rps"] = bench.summary(s["theirs_reported"])
            row["ratio_to_reported"] = statistics.median(s["ours"]) / statistics.median(s["theirs_reported"])
        rows.append(row)
    return {"rounds": args.rounds, "duration_s": args.duration, "redis_requests": args.redis_requests,
            "nice": args.nice, "rows": rows, "load_at_rounds": loads}


# ---------------------------------------------------------------- targets and output


def targets(results):
    """Issue 18's targets beside what this run measured."""
    out = []
    c = results.get("cost")
    if c:
        rows = c["rows"]
        out += [
            {"target": f"`pipelining bench` instructions per request ≤ {TARGETS['bench_instructions']:,}",
             "measured": rows["bench"]["instructions"]["per_request"], "unit": "instructions",
             "met": rows["bench"]["instructions"]["per_request"] <= TARGETS["bench_instructions"]},
            {"target": f"`pipelining bench` allocations per request ≤ {TARGETS['bench_allocations']}",
             "measured": rows["bench"]["allocations"]["per_request"], "unit": "allocations",
             "met": rows["bench"]["allocations"]["per_request"] <= TARGETS["bench_allocations"]},
            {"target": f"`pipelining redis` instructions per GET ≤ {TARGETS['redis_instructions']:,}",
             "measured": rows["redis"]["instructions"]["per_request"], "unit": "instructions",
             "met": rows["redis"]["instructions"]["per_request"] <= TARGETS["redis_instructions"]},
        ]
    r = results.get("rps")
    if r:
        by = {row["pair"]: row for row in r["rows"]}
        d, dd = results["options"]["depth"], results["options"]["deep_depth"]
        for key, target, what in [
            (f"depth{d}", TARGETS["rps_depth16"], f"requests/s ≥ {TARGETS['rps_depth16']}× wrk, depth {d}"),
            (f"depth{dd}", TARGETS["rps_depth64"], f"requests/s ≥ {TARGETS['rps_depth64']}× wrk, depth {dd}"),
            (f"batch{d}", TARGETS["rps_batch16"], f"`--batch` requests/s ≥ {TARGETS['rps_batch16']}× wrk, depth {d}"),
            ("redis", TARGETS["rps_redis"], "`pipelining redis` requests/s ≥ redis-benchmark"),
        ]:
            if key in by:
                out.append({"target": what, "measured": by[key]["ratio"], "unit": "ratio",
                            "met": by[key]["ratio"] >= target})
    return out


def fmt_range(s, digits=0):
    f = f"{{:,.{digits}f}}"
    return f"{f.format(s['median'])} ({f.format(s['min'])}–{f.format(s['max'])})"


def markdown(results):
    m = results["machine"]
    out = [f"commit: {results['commit']}", ""]
    parts = ", ".join(f"{name} {results[key]['elapsed_s']:.0f} s" for key, name in
                      [("cost", "callgrind and dhat"), ("rps", "requests/s")] if key in results)
    out.append(f"- Written by `bindings/cli/bench/cost.py`, started {results['started']}, "
               f"in {results['elapsed_s']:.0f} s ({parts}).")
    out.append(f"- Machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}; "
               f"1-minute load average {results['load_start']:.2f} at start, {results['load_end']:.2f} at end.")
    shown = ["nginx", "wrk", "redis-server", "redis-benchmark", "valgrind", "rustc"]
    out.append("- Tools: " + "; ".join(m["tools"][k] for k in shown if m["tools"].get(k)) + ".")
    out.append("")
    c = results.get("cost")
    if c:
        n1, n2 = c["counts"]
        rows = c["rows"]
        out.append(f"### Cost per request (one connection, depth {c['depth']}; "
                   f"(total at -n {n2:,} − total at -n {n1:,}) / {n2 - n1:,}, median of {c['valgrind_runs']} runs)")
        out.append("")
        out.append("| client | server | instructions / request | allocations / request |")
        out.append("|---|---|---:|---:|")
        labels = [("bench", "`pipelining bench`", "nginx"), ("wrk", "wrk + pipeline-count.lua", "nginx"),
                  ("redis", "`pipelining redis` (GET)", "redis-server"),
                  ("redis-benchmark", "`redis-benchmark -t get`", "redis-server")]
        for key, label, server in labels:
            r = rows[key]
            alloc = f"{r['allocations']['per_request']:,.2f}"
            if key == "wrk":
                alloc += " (malloc only)"
            out.append(f"| {label} | {server} | {r['instructions']['per_request']:,.0f} | {alloc} |")
        out.append("")
    r = results.get("rps")
    if r:
        out.append(f"### Requests/s ({r['rounds']} alternating rounds; HTTP runs of {r['duration_s']} s; "
                   f"median (min–max))")
        out.append("")
        out.append("| ours | theirs | ours req/s | theirs req/s | ours / theirs (per-round min–max) | "
                   "client CPU µs / request, ours | theirs |")
        out.append("|---|---|---:|---:|---:|---:|---:|")
        for row in r["rows"]:
            pr = row["paired_ratio"]
            cpu = row["cpu_us_per_request"]
            out.append(f"| {row['ours_label']} | {row['theirs_label']} | {fmt_range(row['ours_rps'])} | "
                       f"{fmt_range(row['theirs_rps'])} | {row['ratio']:.2f}× ({pr['min']:.2f}–{pr['max']:.2f}) | "
                       f"{fmt_range(cpu['ours'], 2)} | {fmt_range(cpu['theirs'], 2)} |")
        out.append("")
        for row in r["rows"]:
            if "theirs_reported_rps" in row:
                out.append(f"Both Redis clients are timed around the whole process, start-up included. "
                           f"redis-benchmark's own figure was {fmt_range(row['theirs_reported_rps'])} requests/s; "
                           f"against it ours is {row['ratio_to_reported']:.2f}×.")
                out.append("")
    t = results.get("targets")
    if t:
        out.append("### Issue 18's targets")
        out.append("")
        out.append("| target | measured | met? |")
        out.append("|---|---:|---|")
        for row in t:
            value = f"{row['measured']:.2f}×" if row["unit"] == "ratio" else f"{row['measured']:,.{2 if row['measured'] < 100 else 0}f}"
            out.append(f"| {row['target']} | {value} | {'yes' if row['met'] else '**no**'} |")
        out.append("")
    return "\n".join(out)


def main():
    started = time.time()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="a release `pipelining` binary to measure (default: build it with "
                    "`cargo build --release -p pipelining-cli`)")
    ap.add_argument("--out", default=HERE, help=f"where {RESULTS}.json and {RESULTS}.md go (default: next to this script)")
    ap.add_argument("--only", choices=["cost", "rps"], help="only this part; the other is kept from the results "
                    "file when that measured the same commit")
    ap.add_argument("--counts", type=lambda s: [int(x) for x in s.split(",")], default=[2000, 20000],
                    help="the two request counts for valgrind (default 2000,20000; multiples of --depth)")
    ap.add_argument("--valgrind-runs", type=int, default=3, help="runs per tool and count; the median is used (default 3)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating requests/s rounds (default 3)")
    ap.add_argument("--duration", type=int, default=5, help="whole seconds per HTTP requests/s run (default 5)")
    ap.add_argument("--redis-requests", type=int, default=200_000, help="GETs per Redis requests/s run (default 200000)")
    ap.add_argument("--depth", type=int, default=16, help="pipeline depth (default 16)")
    ap.add_argument("--deep-depth", type=int, default=64, help="the second requests/s depth (default 64)")
    ap.add_argument("--nice", type=int, help="run the servers and the requests/s clients under `nice -n N`")
    ap.add_argument("--commit", help="the full hash of the commit measured (default: the checkout around, which must "
                    "then have no uncommitted changes to tracked files)")
    args = ap.parse_args()
    if len(args.counts) != 2 or not 0 < args.counts[0] < args.counts[1] or any(n % args.depth for n in args.counts):
        ap.error("--counts: two increasing multiples of --depth")
    if args.nice is not None:
        bench.PREFIX[:] = ["nice", "-n", str(args.nice)]
    for tool in ["nginx", "wrk", "redis-server", "redis-benchmark", "valgrind", "curl", "cargo"]:
        if not shutil.which(tool):
            ap.error(f"{tool} is not installed (apt-get install -y nginx-light wrk redis-server valgrind curl)")

    # Every results file names the commit it measured (docs/BENCHMARKS.md).
    machine = bench.machine()
    commit = args.commit or machine["git"].get("commit")
    if not args.commit and machine["git"].get("modified"):
        ap.error("uncommitted changes to " + ", ".join(machine["git"]["modified"]) +
                 ": commit them first, or measure a clean tree and pass --commit")
    if not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        ap.error("no commit to name: pass --commit with the full hash of what is measured")
    for name, cmd in [("redis-server", ["redis-server", "--version"]), ("redis-benchmark", ["redis-benchmark", "--version"])]:
        machine["tools"][name] = subprocess.run(cmd, capture_output=True, text=True).stdout.strip()

    path = os.path.join(args.out, f"{RESULTS}.json")
    kept = {}
    if args.only and os.path.exists(path):
        # One part: keep the other from the last run, if it measured the same commit.
        with open(path) as f:
            last = json.load(f)
        if last.get("commit") != commit:
            ap.error(f"{path} measured {last.get('commit')}, not {commit}: run both parts")
        other = "rps" if args.only == "cost" else "cost"
        if other in last:
            kept[other] = last[other]

    binary = args.bin
    if not binary:
        log("building: cargo build --release -p pipelining-cli")
        subprocess.run(["cargo", "build", "--release", "-p", "pipelining-cli"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        binary = os.path.join(target, "release", "pipelining")
    binary = os.path.abspath(binary)

    results = {"commit": commit, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "load_start": bench.loadavg(),
               "machine": machine,
               "options": {k: getattr(args, k) for k in ["counts", "valgrind_runs", "rounds", "duration",
                                                         "redis_requests", "depth", "deep_depth", "nice"]}}
    nginx = redis = None
    workdir = tempfile.mkdtemp(prefix="pipelining-cost-")
    try:
        nginx = bench.Nginx()
        redis = Redis()
        log(f"nginx on {nginx.url}, redis-server on {redis.host}, binary {binary}")
        tools = Tools(binary, nginx, redis, args.depth, workdir)
        if args.only in (None, "cost"):
            log("cost per request: callgrind and dhat")
            part = time.time()
            results["cost"] = cost(args, tools)
            results["cost"]["elapsed_s"] = time.time() - part
        if args.only in (None, "rps"):
            log("requests/s: alternating rounds")
            part = time.time()
            results["rps"] = rps(args, binary, nginx, redis, tools.gets(args.redis_requests))
            results["rps"]["elapsed_s"] = time.time() - part
    finally:
        for server in (nginx, redis):
            if server:
                server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    results.update(kept)
    results["targets"] = targets(results)
    results["load_end"] = bench.loadavg()
    results["elapsed_s"] = time.time() - started

    os.makedirs(args.out, exist_ok=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    md = markdown(results)
    with open(os.path.join(args.out, f"{RESULTS}.md"), "w") as f:
        f.write(md + "\n")
    print(md)
    log(f"took {results['elapsed_s']:.0f} s; wrote {RESULTS}.json and {RESULTS}.md in {args.out}")


if __name__ == "__main__":
    main()
