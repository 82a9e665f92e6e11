#!/usr/bin/env bash
# The benchmark suite behind docs/BENCHMARKS.md.
#
#   bindings/cli/bench/run.sh                  # everything (about 20 minutes)
#   bindings/cli/bench/run.sh --only loopback  # one part; others kept in results.json
#   bindings/cli/bench/run.sh --quick          # only the 100-object WAN cases
#
# Options after the script name go to bench.py (see `bench.py --help`:
# --runs, --duration, --depths, --curl-count, --wan-runs, --k, ...).
#
# In one session on one machine it measures
#   loopback  nginx (nginx.conf.template) serving a 1 KiB file, one connection:
#             `pipelining bench` vs wrk with our pipeline.lua at depths 1, 8,
#             16, 64, and curl fetching N URLs over one keep-alive connection;
#             runs alternate; medians with min-max; ratio ours / wrk;
#   wan       `pipelining demo --json` through the in-process delay line,
#             sequential and pipelined as a percentage of C3's floor model;
#   core      instructions per response under callgrind
#             (core/examples/decode_cost.rs) for our decoder and Connection,
#             raw httparse, and http-net,
# and writes results.json, results.md and chart.svg next to this script.
# Run it on a clean checkout of the commit to measure: the results files name
# that commit (.ci/check-results checks it), and bench.py refuses a tree with
# uncommitted changes unless --commit names what was measured.
#
# Needs wrk, nginx, curl, valgrind and python3; as root it installs the
# missing ones with apt-get. Not part of CI: timings are never gates.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx-light)
command -v curl >/dev/null || need+=(curl)
command -v valgrind >/dev/null || need+=(valgrind)
command -v python3 >/dev/null || need+=(python3)
if ((${#need[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need[@]}"
    else
        echo "run.sh: missing ${need[*]}; install them (apt-get install -y ${need[*]}) or run as root" >&2
        exit 1
    fi
fi

target=${CARGO_TARGET_DIR:-$root/target}
echo "building release binaries in $target" >&2
cargo build --release -p pipelining-cli >&2
cargo build --release -p pipelining --example decode_cost >&2

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), Linux $(uname -r)" >&2
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min); results are only as quiet as the machine" >&2

python3 "$here/bench.py" \
    --bin "$target/release/pipelining" \
    --example "$target/release/examples/decode_cost" \
    --out "$here" "$@"
python3 "$here/chart.py" "$here/results.json" "$here/chart.svg"
echo "wrote $here/results.json, $here/results.md and $here/chart.svg" >&2
