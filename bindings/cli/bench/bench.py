#!/usr/bin/env python3
"""The benchmark suite behind docs/BENCHMARKS.md (run it through run.sh).

Three parts, one machine, one session:

  loopback  nginx on 127.0.0.1 serving a 1 KiB file, one connection:
            `pipelining bench` vs wrk (our pipeline.lua) at each depth, and
            curl fetching N URLs over one keep-alive connection; runs
            alternate, medians with min-max.
  wan       `pipelining demo --json` through the in-process delay line:
            sequential and pipelined time as a percentage of C3's floor.
  core      instructions per response under callgrind, from
            core/examples/decode_cost.rs at two iteration counts.

Writes results.json (every sample) and results.md (the tables), both naming
the commit measured. Standard library only.
"""

import argparse
import json
import math
import os
import platform
import resource
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Prepended to nginx, every loopback client and the demo (`--nice`).
PREFIX = []
FILE_NAME = "1k.bin"
FILE_SIZE = 1024


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def summary(samples):
    """Median, min and max of a list of numbers."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    tools = {}
    for name, cmd in [
        ("nginx", ["nginx", "-v"]),
        ("wrk", ["wrk", "-v"]),
        ("curl", ["curl", "--version"]),
        ("valgrind", ["valgrind", "--version"]),
        ("rustc", ["rustc", "--version"]),
    ]:
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            out = (p.stdout + p.stderr).strip().splitlines()
            tools[name] = out[0] if out else ""
        except (OSError, subprocess.TimeoutExpired):
            tools[name] = None
    git = {}
    try:
        root = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
        git["commit"] = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True,
                                       check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, check=True).stdout.splitlines()
        git["modified"] = [line[3:] for line in changed]
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "git": git,
        "nproc": os.cpu_count(),
        "cpu": model,
        "kernel": platform.release(),
        "tools": tools,
    }


def loadavg():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


# ---------------------------------------------------------------- nginx


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx from nginx.conf.template in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pipelining-bench-nginx-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        www = os.path.join(self.dir, "www")
        os.mkdir(www)
        os.chmod(www, 0o755)
        path = os.path.join(www, FILE_NAME)
        with open(path, "wb") as f:
            f.write(bytes(ord("a") + i % 26 for i in range(FILE_SIZE)))
        os.chmod(path, 0o644)
        with open(os.path.join(HERE, "nginx.conf.template")) as f:
            conf = f.read()
        user = "user root;" if os.geteuid() == 0 else "# not root: no user directive"
        conf = conf.replace("@DIR@", self.dir).replace("@PORT@", str(self.port)).replace("@USER@", user)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(
            PREFIX + ["nginx", "-p", self.dir, "-c", self.conf, "-e", os.path.join(self.dir, "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.url = f"http://127.0.0.1:{self.port}/{FILE_NAME}"
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("nginx did not start listening")
        # One request to check the file is served.
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", self.url],
                             capture_output=True, text=True, check=True).stdout
        if out.strip() != f"200 {FILE_SIZE}":
            raise RuntimeError(f"nginx serves {out!r}, not 200 {FILE_SIZE}")

    def worker_cpu(self):
        """CPU seconds the nginx worker has used so far."""
        total = 0.0
        for pid in subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                  text=True).stdout.split():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except OSError:
                pass
        return total

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- loopback


def children_cpu():
    """CPU seconds (user + system) of every finished child so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_ours(binary, url, depth, duration):
    cmd = [binary, "bench", url, "--depth", str(depth), "--connections", "1", "--duration", str(duration), "--json"]
    cpu = children_cpu()
    p = subprocess.run(PREFIX + cmd, capture_output=True, text=True)
    cpu = children_cpu() - cpu
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    result = json.loads(p.stdout)
    if result["errors"]:
        raise RuntimeError(f"pipelining bench: {result['errors']} errors")
    return result["rps"], result["requests"], cpu


WRK_RPS = re.compile(r"Requests/sec:\s+([0-9.]+)")
WRK_COUNT = re.compile(r"(\d+) requests in")
WRK_ERRORS = re.compile(r"Socket errors:.*|Non-2xx or 3xx responses: \d+")


def run_wrk(url, depth, duration):
    cmd = ["wrk", "-t1", "-c1", f"-d{duration:g}s", "-s", os.path.join(HERE, "pipeline.lua"), url, "--", str(depth)]
    cpu = children_cpu()
    p = subprocess.run(PREFIX + cmd, capture_output=True, text=True)
    cpu = children_cpu() - cpu
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    m = WRK_RPS.search(p.stdout)
    if not m:
        raise RuntimeError(f"wrk printed no Requests/sec:\n{p.stdout}")
    errors = WRK_ERRORS.search(p.stdout)
    if errors:
        raise RuntimeError(f"wrk reported errors: {errors.group(0)}\n{p.stdout}")
    return float(m.group(1)), int(WRK_COUNT.search(p.stdout).group(1)), cpu


def run_curl(url, count):
    """N URLs on one curl command line: one keep-alive connection, one
    request at a time (curl no longer pipelines). Timed like
    `date +%s.%N` around the command, process start-up included."""
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{num_connects} %{http_code} %{size_download}\\n",
           f"{url}?[1-{count}]"]
    start = time.perf_counter()
    p = subprocess.run(PREFIX + cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"curl: exit {p.returncode}: {p.stderr}")
    lines = p.stdout.split()
    rows = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    connects = sum(int(r[0]) for r in rows)
    ok = sum(1 for r in rows if r[1] == "200" and int(r[2]) == FILE_SIZE)
    if len(rows) != count or ok != count:
        raise RuntimeError(f"curl: {ok} of {count} responses were 200 with {FILE_SIZE} bytes")
    return count / seconds, {"seconds": seconds, "connects": connects}


def loopback(args, binary):
    nginx = Nginx()
    log(f"nginx on {nginx.url} (config {nginx.conf})")
    samples = {d: {"ours": [], "wrk": []} for d in args.depths}
    # CPU microseconds per request: the client's, and nginx's while serving it.
    cpu = {d: {t: {"client": [], "nginx": []} for t in ("ours", "wrk")} for d in args.depths}
    curl = []
    curl_connects = set()
    loads = []
    try:
        # Warm-up, not recorded.
        run_ours(binary, nginx.url, 16, 1)
        run_wrk(nginx.url, 16, 1)
        for r in range(args.runs):
            loads.append(loadavg())
            for d in args.depths:
                order = ["ours", "wrk"] if (r + args.depths.index(d)) % 2 == 0 else ["wrk", "ours"]
                for tool in order:
                    server = nginx.worker_cpu()
                    if tool == "ours":
                        rps, count, client = run_ours(binary, nginx.url, d, args.duration)
                    else:
                        rps, count, client = run_wrk(nginx.url, d, args.duration)
                    server = nginx.worker_cpu() - server
                    samples[d][tool].append(rps)
                    cpu[d][tool]["client"].append(client / count * 1e6)
                    cpu[d][tool]["nginx"].append(server / count * 1e6)
                    log(f"  round {r + 1}/{args.runs} depth {d:>2} {tool:<4} {rps:>10.0f} req/s, CPU per request: "
                        f"client {client / count * 1e6:.1f} µs, nginx {server / count * 1e6:.1f} µs")
            rps, info = run_curl(nginx.url, args.curl_count)
            curl.append(rps)
            curl_connects.add(info["connects"])
            log(f"  round {r + 1}/{args.runs} curl {args.curl_count} URLs {rps:>10.0f} req/s "
                f"({info['connects']} connection{'s' if info['connects'] != 1 else ''})")
    finally:
        nginx.stop()
    rows = []
    for d in args.depths:
        ours, wrk = samples[d]["ours"], samples[d]["wrk"]
        paired = [o / w for o, w in zip(ours, wrk)]
        rows.append({
            "depth": d,
            "ours_rps": summary(ours),
            "wrk_rps": summary(wrk),
            "ratio": statistics.median(ours) / statistics.median(wrk),
            "paired_ratio": summary(paired),
            "cpu_us_per_request": {t: {k: summary(v) for k, v in cpu[d][t].items()} for t in ("ours", "wrk")},
        })
    return {
        "runs": args.runs,
        "nice": args.nice,
        "duration_s": args.duration,
        "file_bytes": FILE_SIZE,
        "rows": rows,
        "curl": {"urls": args.curl_count, "rps": summary(curl), "connections": sorted(curl_connects)},
        "load_at_rounds": loads,
    }


# ---------------------------------------------------------------- wan


def floor(objects, size, rtt_ms, mbit, depth, connections):
    """C3's floor model (pipelining_cli::demo::floor_seconds)."""
    rtt = rtt_ms / 1000
    windows = math.ceil(max(objects - connections, 0) / (depth * connections))
    transfer = objects * size * 8 / (mbit * 1e6) if mbit else 0.0
    return rtt + windows * rtt + transfer


def wan_cases(quick):
    cases = [
        {"rtt_ms": 50, "objects": 100},
        {"rtt_ms": 50, "objects": 1000},
        {"rtt_ms": 100, "objects": 100},
        {"rtt_ms": 100, "objects": 1000},
        {"rtt_ms": 50, "objects": 1000, "mbit": 20},
        {"rtt_ms": 50, "objects": 100, "depth": 16},
    ]
    if quick:
        cases = [c for c in cases if c["objects"] == 100]
    return cases


def run_demo(binary, case, size):
    depth = case.get("depth", 8)
    cmd = [binary, "demo", "--rtt-ms", str(case["rtt_ms"]), "--objects", str(case["objects"]),
           "--size", str(size), "--depth", str(depth), "--connections", "2", "--json",
           "--svg", os.devnull]
    if case.get("mbit"):
        cmd += ["--bandwidth-mbit", str(case["mbit"])]
    p = subprocess.run(PREFIX + cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    result = json.loads(p.stdout)
    if result["bodies_checked"] != 2 * case["objects"]:
        raise RuntimeError(f"demo checked {result['bodies_checked']} bodies, not {2 * case['objects']}")
    return result


def wan(args, binary):
    cases = wan_cases(args.quick)
    raw = [[] for _ in cases]
    for r in range(args.wan_runs):
        for i, case in enumerate(cases):
            result = run_demo(binary, case, args.size)
            raw[i].append(result)
            log(f"  round {r + 1}/{args.wan_runs} {case}: sequential {result['sequential_s']} s, "
                f"pipelined {result['pipelined_s']} s (floor {result['floor_s']} s)")
    rows = []
    for case, results in zip(cases, raw):
        depth = case.get("depth", 8)
        mbit = case.get("mbit")
        seq_floor = floor(case["objects"], args.size, case["rtt_ms"], mbit, 1, 1)
        pip_floor = floor(case["objects"], args.size, case["rtt_ms"], mbit, depth, 2)
        reported = results[0]["floor_s"]
        if abs(reported - round(pip_floor, 3)) > 0.0015:
            raise RuntimeError(f"floor model differs: demo says {reported}, bench.py {pip_floor}")
        seq = [x["sequential_s"] for x in results]
        pip = [x["pipelined_s"] for x in results]
        rows.append({
            "rtt_ms": case["rtt_ms"],
            "objects": case["objects"],
            "size": args.size,
            "bandwidth_mbit": mbit,
            "depth": depth,
            "connections": 2,
            "sequential_s": summary(seq),
            "sequential_floor_s": seq_floor,
            "sequential_pct_of_floor": summary([100 * s / seq_floor for s in seq]),
            "pipelined_s": summary(pip),
            "pipelined_floor_s": pip_floor,
            "pipelined_pct_of_floor": summary([100 * p / pip_floor for p in pip]),
            "speedup": summary([s / p for s, p in zip(seq, pip)]),
        })
    return {"runs": args.wan_runs, "nice": args.nice, "rows": rows}


# ---------------------------------------------------------------- core

VARIANTS = [
    ("decoder", "ours: `h1::ResponseDecoder` (incl. the copy into its `BytesMut`)", "ours: ResponseDecoder"),
    ("httparse", "raw `httparse::Response::parse` + Content-Length skip", "raw httparse + skip"),
    ("httpnet-raw", "http-net 0.9.1: `parse_response_head` + framing skip", "http-net parse_response_head"),
    ("connection", "ours: `Connection<H1Codec>` at depth 16 (submit, encode, decode, events)",
     "ours: Connection (+ encode)"),
    ("httpnet-conn", "http-net 0.9.1: `ClientConn` at depth 16 (send_request, feed, poll)",
     "http-net ClientConn (+ encode)"),
    ("copy", "the copy into a `BytesMut` alone (included in ours: ResponseDecoder)", "copy into BytesMut"),
]


# Valgrind counts every iteration of `rep movsb` / `rep stosb` as one
# instruction, so glibc's memcpy of a 20 KiB buffer (which uses them above a
# threshold) would count ~1 instruction per byte where the CPU spends a few
# hundred cycles on the whole copy. These thresholds make glibc use its
# vector loops instead, whose instruction counts are honest.
NO_REP_STRINGS = "glibc.cpu.x86_rep_movsb_threshold=1000000000:glibc.cpu.x86_rep_stosb_threshold=1000000000"


def instructions(example, variant, k, outdir):
    out = os.path.join(outdir, f"callgrind.{variant}.{k}")
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", example, variant, str(k)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, GLIBC_TUNABLES=NO_REP_STRINGS))
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr[-2000:]}")
    with open(out) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def core(args, example):
    k1, k2 = args.k
    rows = []
    with tempfile.TemporaryDirectory(prefix="pipelining-bench-callgrind-") as outdir:
        for variant, label, short in VARIANTS:
            i1 = instructions(example, variant, k1, outdir)
            i2 = instructions(example, variant, k2, outdir)
            per = (i2 - i1) / (16 * (k2 - k1))
            log(f"  {variant:<13} K={k1}: {i1} Ir, K={k2}: {i2} Ir -> {per:.1f} per response")
            rows.append({"variant": variant, "label": label, "short": short, "k1": k1, "k2": k2, "ir_k1": i1, "ir_k2": i2,
                         "per_response": per})
    by = {r["variant"]: r["per_response"] for r in rows}
    return {
        "rows": rows,
        "decoder_vs_httparse": by["decoder"] / by["httparse"],
        "decoder_without_copy_vs_httparse": (by["decoder"] - by["copy"]) / by["httparse"],
        "decoder_vs_httpnet_raw": by["decoder"] / by["httpnet-raw"],
        "connection_vs_httpnet_conn": by["connection"] / by["httpnet-conn"],
    }


# ---------------------------------------------------------------- output


def fmt_range(s, digits=0, scale=1.0):
    f = f"{{:,.{digits}f}}"
    return f"{f.format(s['median'] * scale)} ({f.format(s['min'] * scale)}–{f.format(s['max'] * scale)})"


def markdown(results):
    out = [f"commit: {results['commit']}", ""]
    m = results["machine"]
    out.append(f"- Machine: {m['nproc']} cores, {m['cpu']}, Linux {m['kernel']}.")
    if results.get("label"):
        out.append(f"- Source: {results['label']}.")
    elif m.get("git", {}).get("commit"):
        dirty = f" plus uncommitted changes to {', '.join(m['git']['modified'])}" if m["git"]["modified"] else ""
        out.append(f"- Source: commit {m['git']['commit'][:10]}{dirty}.")
    for part in ["loopback", "wan", "core"]:
        if part in results:
            r = results[part]
            out.append(f"- {part}: started {r['started']}, 1-minute load average {r['load_start']:.2f} at start, "
                       f"{r['load_end']:.2f} at end.")
    out.append("")
    lb = results.get("loopback")
    if lb:
        niced = f", all under `nice -n {lb['nice']}`" if lb.get("nice") is not None else ""
        out.append(f"### Loopback: nginx, 1 KiB file, one connection ({lb['runs']} alternating runs of "
                   f"{lb['duration_s']} s each{niced}; median (min–max) requests/s)")
        out.append("")
        out.append("| depth | `pipelining bench` | wrk + pipeline.lua | ours / wrk (median; per-run min–max) |")
        out.append("|---:|---:|---:|---:|")
        for row in lb["rows"]:
            pr = row["paired_ratio"]
            out.append(f"| {row['depth']} | {fmt_range(row['ours_rps'])} | {fmt_range(row['wrk_rps'])} | "
                       f"{row['ratio']:.2f}× ({pr['min']:.2f}–{pr['max']:.2f}) |")
        c = lb["curl"]
        out.append("")
        out.append(f"curl, {c['urls']:,} URLs on one command line (one keep-alive connection, one request at a "
                   f"time, process start-up included): {fmt_range(c['rps'])} requests/s; connections opened per "
                   f"run: {', '.join(str(n) for n in c['connections'])}.")
        out.append("")
        out.append("CPU time per request (median (min–max) µs, from the client's rusage and the nginx worker's "
                   "/proc stat; less sensitive to other load than requests/s):")
        out.append("")
        out.append("| depth | `pipelining bench` | wrk | nginx serving ours | nginx serving wrk |")
        out.append("|---:|---:|---:|---:|---:|")
        for row in lb["rows"]:
            u = row["cpu_us_per_request"]
            out.append(f"| {row['depth']} | {fmt_range(u['ours']['client'], 1)} | {fmt_range(u['wrk']['client'], 1)} | "
                       f"{fmt_range(u['ours']['nginx'], 1)} | {fmt_range(u['wrk']['nginx'], 1)} |")
        out.append("")
    w = results.get("wan")
    if w:
        niced = f", under `nice -n {w['nice']}`" if w.get("nice") is not None else ""
        out.append(f"### Emulated WAN: in-process delay line ({w['runs']} runs each{niced}; median (min–max))")
        out.append("")
        out.append("| RTT | objects | bandwidth | pipelined run | sequential | % of floor | pipelined | "
                   "% of floor | speedup |")
        out.append("|---:|---:|---:|---|---:|---:|---:|---:|---:|")
        for row in w["rows"]:
            bw = f"{row['bandwidth_mbit']} Mbit/s" if row["bandwidth_mbit"] else "unlimited"
            out.append(
                f"| {row['rtt_ms']} ms | {row['objects']:,} × {row['size']} B | {bw} | "
                f"depth {row['depth']} × {row['connections']} conn | "
                f"{fmt_range(row['sequential_s'], 2)} s | {fmt_range(row['sequential_pct_of_floor'])}% "
                f"(floor {row['sequential_floor_s']:.2f} s) | "
                f"{fmt_range(row['pipelined_s'], 3)} s | {fmt_range(row['pipelined_pct_of_floor'])}% "
                f"(floor {row['pipelined_floor_s']:.3f} s) | {fmt_range(row['speedup'], 1)}× |")
        out.append("")
    c = results.get("core")
    if c:
        k1, k2 = c["rows"][0]["k1"], c["rows"][0]["k2"]
        out.append(f"### Core cost: instructions per response (callgrind, 16 pipelined nginx-style 1 KiB "
                   f"responses, (Ir(K={k2}) − Ir(K={k1})) / (16 · {k2 - k1}))")
        out.append("")
        out.append("| what | instructions / response |")
        out.append("|---|---:|")
        for row in c["rows"]:
            out.append(f"| {row['label']} | {row['per_response']:,.0f} |")
        out.append("")
        out.append(f"Ratios: decoder / httparse = {c['decoder_vs_httparse']:.2f} "
                   f"(without the copy: {c['decoder_without_copy_vs_httparse']:.2f}); "
                   f"decoder / http-net raw = {c['decoder_vs_httpnet_raw']:.2f}; "
                   f"Connection / http-net ClientConn = {c['connection_vs_httpnet_conn']:.2f}.")
        out.append("")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the release `pipelining` binary")
    ap.add_argument("--example", help="the release decode_cost example (for core)")
    ap.add_argument("--out", default=HERE, help="where results.json and results.md go")
    ap.add_argument("--only", action="append", choices=["loopback", "wan", "core"],
                    help="run only these parts (repeatable; default all)")
    ap.add_argument("--runs", type=int, default=5, help="alternating rounds on loopback (default 5)")
    ap.add_argument("--duration", type=int, default=5, help="whole seconds per loopback run (default 5)")
    ap.add_argument("--depths", type=lambda s: [int(x) for x in s.split(",")], default=[1, 8, 16, 64])
    ap.add_argument("--curl-count", type=int, default=20000, help="URLs per curl run (default 20000)")
    ap.add_argument("--wan-runs", type=int, default=3, help="runs of each WAN case (default 3)")
    ap.add_argument("--size", type=int, default=2048, help="WAN object size in bytes (default 2048)")
    ap.add_argument("--k", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 2000],
                    help="two iteration counts for callgrind (default 1000,2000)")
    ap.add_argument("--quick", action="store_true", help="only the 100-object WAN cases")
    ap.add_argument("--nice", type=int, help="run nginx, the loopback clients and the demo under `nice -n N` (a negative N, "
                    "as root, keeps other work on a shared machine from dominating the timings)")
    ap.add_argument("--label", help="what was measured (e.g. a commit), when not the git checkout around")
    ap.add_argument("--commit", help="the full hash of the commit measured (default: the checkout around, "
                    "which must then have no uncommitted changes to tracked files)")
    args = ap.parse_args()
    parts = args.only or ["loopback", "wan", "core"]
    if "core" in parts and not args.example:
        ap.error("core needs --example")
    if args.nice is not None:
        PREFIX[:] = ["nice", "-n", str(args.nice)]

    # Every results file names the commit it measured (docs/BENCHMARKS.md,
    # checked by .ci/check-results): a figure from a dirty tree names none.
    here = machine()
    commit = args.commit or here["git"].get("commit")
    if not args.commit and here["git"].get("modified"):
        ap.error("uncommitted changes to " + ", ".join(here["git"]["modified"]) +
                 ": commit them first, or measure a clean tree and pass --commit")
    if not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        ap.error("no commit to name: pass --commit with the full hash of what is measured")

    results = {}
    path = os.path.join(args.out, "results.json")
    if args.only and os.path.exists(path):
        # Only some parts: keep the others from the last run, if they measured
        # the same commit.
        with open(path) as f:
            results = json.load(f)
        if results.get("commit") != commit:
            ap.error(f"{path} measured {results.get('commit')}, not {commit}: run every part")
    results = {"commit": commit, **results}
    results.update({"commit": commit, "machine": here, "label": args.label})
    for part, title, run in [
        ("loopback", "loopback: nginx, one connection", lambda: loopback(args, args.bin)),
        ("core", "core: instructions per response under callgrind", lambda: core(args, args.example)),
        ("wan", "wan: the demo's delay line", lambda: wan(args, args.bin)),
    ]:
        if part in parts:
            log(title)
            started, load = time.strftime("%Y-%m-%dT%H:%M:%S%z"), loadavg()
            results[part] = run()
            results[part].update({"started": started, "load_start": load, "load_end": loadavg()})

    os.makedirs(args.out, exist_ok=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    md = markdown(results)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
