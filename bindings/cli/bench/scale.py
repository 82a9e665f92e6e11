#!/usr/bin/env python3
"""Scale: memory per connection and per outstanding request (docs/BENCHMARKS.md, "Scale").

One command:

  python3 bindings/cli/bench/scale.py

builds `cargo build --release -p pipelining-tests --example scale`, raises
this process's open-file limit (the client and the servers inherit it), and
runs a few rounds of:

  scale serve PORTS                 scripted servers on PORTS loopback ports,
                                    in a process of their own
  scale client PER_ORIGIN DEPTH DELAY_MS ADDR...
                                    one client, PER_ORIGIN connections to each
                                    port: its resident set idle, with every
                                    connection open and idle, and with DEPTH
                                    requests unanswered on every connection

Per connection:  (RSS with the connections - RSS idle) / connections
Per request:     (RSS with the requests outstanding - RSS with the
                 connections) / requests; the caller's futures included.

While the client holds its requests, the servers' own counts are read: every
port must have accepted exactly PER_ORIGIN connections and received every
request, and seen every connection DEPTH deep.

Writes results-scale.json next to this script, naming the commit measured:
the checkout must have no uncommitted changes to tracked files, unless
--commit names what was measured. Standard library only.
"""

import argparse
import json
import os
import re
import resource
import subprocess
import time

import bench  # the machine's facts, the load average and medians, shared with bench.py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
RESULTS = "results-scale.json"
EXAMPLE = os.path.join(ROOT, "target", "release", "examples", "scale")
TIMEOUT = 120  # seconds one round may take

log = bench.log


def raise_file_limit(needed):
    """Raises the soft open-file limit to at least `needed` (the hard one too, as root)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft
    if hard != resource.RLIM_INFINITY and hard < needed:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (needed, needed))
            return needed
        except (ValueError, OSError):
            raise SystemExit(f"the open-file limit is {hard} and cannot be raised to {needed}: "
                             f"run as root, or raise it (ulimit -n) first")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed


def read_until(proc, last):
    """Lines from `proc`'s standard output up to the line `last`."""
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the servers ended early: {lines}\n{proc.stderr.read()}")
        line = line.strip()
        if line == last:
            return lines
        lines.append(line)


def fields(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def one_round(args):
    servers = subprocess.Popen([EXAMPLE, "serve", str(args.ports)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    client = None
    try:
        addrs = [line.split()[1] for line in read_until(servers, "ready")]
        client = subprocess.Popen([EXAMPLE, "client", str(args.per_origin), str(args.depth), str(args.delay_ms), *addrs],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + TIMEOUT
        line = client.stdout.readline()
        if not line:
            client.wait(timeout=max(1, deadline - time.time()))
            raise RuntimeError(f"the client failed: {client.stderr.read()}")
        measured = json.loads(line)
        # The servers' counts while the client still holds every request.
        servers.stdin.write("stats\n")
        servers.stdin.flush()
        served = [fields(line) for line in read_until(servers, "end")]
    finally:
        for proc in (client, servers):
            if proc is not None:
                try:
                    proc.stdin.close()
                    proc.wait(timeout=10)
                except (OSError, subprocess.TimeoutExpired):
                    proc.kill()
                    proc.wait()
    connections = args.per_origin * args.ports
    requests = connections * args.depth
    problems = []
    if measured["connections"] != connections or measured["pending"] != requests:
        problems.append(f"the client held {measured['connections']} connections and {measured['pending']} requests")
    for s in served:
        if int(s["connections"]) != args.per_origin:
            problems.append(f"{s['addr']} accepted {s['connections']} connections, not {args.per_origin}")
        if int(s["received"]) != args.per_origin * (1 + args.depth):
            problems.append(f"{s['addr']} received {s['received']} requests, not {args.per_origin * (1 + args.depth)}")
        if int(s["deepest"]) != args.depth:
            problems.append(f"{s['addr']} saw a connection {s['deepest']} deep, not {args.depth}")
    if problems:
        raise RuntimeError("; ".join(problems))
    measured["served"] = served
    measured["per_connection"] = (measured["rss_connections"] - measured["rss_start"]) / connections
    measured["per_request"] = (measured["rss_outstanding"] - measured["rss_connections"]) / requests
    return measured


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--connections", type=int, default=1000, help="connections in all (default 1000)")
    ap.add_argument("--ports", type=int, default=8, help="server ports, one origin each (default 8)")
    ap.add_argument("--depth", type=int, default=16, help="requests outstanding per connection (default 16)")
    ap.add_argument("--delay-ms", type=int, default=5000, help="the servers' wait before each response (default 5000)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, each with fresh processes (default 5)")
    ap.add_argument("--commit", help="the full hash of the commit measured (default: the checkout around, which must "
                    "then have no uncommitted changes to tracked files)")
    ap.add_argument("--no-build", action="store_true", help="use the example already built")
    args = ap.parse_args()
    if args.connections % args.ports:
        ap.error("--connections must be a multiple of --ports")
    args.per_origin = args.connections // args.ports

    machine = bench.machine()
    # Every results file names the commit it measured (docs/BENCHMARKS.md).
    commit = args.commit or machine["git"].get("commit")
    if not args.commit and machine["git"].get("modified"):
        ap.error("uncommitted changes to " + ", ".join(machine["git"]["modified"]) +
                 ": commit them first, or measure a clean tree and pass --commit")
    if not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        ap.error("no commit to name: pass --commit with the full hash of what is measured")

    # Each process holds one socket per connection, plus a few.
    limit = raise_file_limit(args.connections + 256)
    if not args.no_build:
        log("building the scale example")
        subprocess.run(["cargo", "build", "--release", "-p", "pipelining-tests", "--example", "scale"], cwd=ROOT,
                       check=True)

    results = {
        "commit": commit,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_start": bench.loadavg(),
        "machine": machine,
        "open_file_limit": limit,
        "settings": {"connections": args.connections, "ports": args.ports, "per_origin": args.per_origin,
                     "depth": args.depth, "delay_ms": args.delay_ms, "rounds": args.rounds},
        "command": f"scale client {args.per_origin} {args.depth} {args.delay_ms} ADDR×{args.ports}",
        "rounds": [],
    }
    for n in range(args.rounds):
        measured = one_round(args)
        log(f"round {n + 1}: {measured['per_connection']:.0f} B per connection, "
            f"{measured['per_request']:.0f} B per outstanding request "
            f"(RSS {measured['rss_start'] / 2**20:.1f} → {measured['rss_connections'] / 2**20:.1f} → "
            f"{measured['rss_outstanding'] / 2**20:.1f} MiB)")
        results["rounds"].append(measured)

    results["summary"] = {key: bench.summary([r[key] for r in results["rounds"]]) for key in
                          ("per_connection", "per_request", "rss_start", "rss_connections", "rss_outstanding")}
    results["load_end"] = bench.loadavg()
    path = os.path.join(HERE, RESULTS)
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    s = results["summary"]
    log(f"wrote {path}: median {s['per_connection']['median']:.0f} B per connection, "
        f"{s['per_request']['median']:.0f} B per outstanding request")


if __name__ == "__main__":
    main()
