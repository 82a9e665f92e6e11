#!/usr/bin/env bash
# After a campaign (fuzz/run.sh): minimise a target's working corpus into
# the committed fuzz/minimized/TARGET and measure which of the core's lines
# that corpus reaches.   fuzz/finish.sh TARGET|all
#
# Steps per target:
#   1. `cargo fuzz cmin` keeps the smallest set of inputs from corpus/,
#      seeds/, regressions/ and minimized/ with the same coverage, written
#      to minimized/TARGET (replacing what was there).
#   2. The minimised corpus stays within 2 MB (a corpus that a clone
#      carries should not outgrow the code it tests): over it, the largest
#      inputs are dropped.
#   3. `cargo fuzz coverage` replays it under source-based coverage, and
#      llvm-cov reports the lines of core/src reached; the summary line is
#      appended to coverage/summary.txt and printed.
# Needs nightly with llvm-tools-preview (installed when missing).
set -euo pipefail

TARGETS=(h1_response connection_ops pool_ops request_encode dns_ops resp_reply dispatch_ops)
[ $# -eq 1 ] || { echo "usage: $0 TARGET|all" >&2; exit 2; }
if [ "$1" = all ]; then targets=("${TARGETS[@]}"); else targets=("$1"); fi

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
rustup component list --toolchain nightly --installed | grep -q '^llvm-tools' ||
    rustup component add llvm-tools-preview --toolchain nightly
sysroot=$(rustc +nightly --print sysroot)
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
llvm_cov="$sysroot/lib/rustlib/$host/bin/llvm-cov"
# llvm-cov's per-file report of the core's lines only: the harness and the
# dependencies are not what a campaign measures.
core_report() {
    "$llvm_cov" report "$@" --ignore-filename-regex='(\.cargo|rustc|tests/fuzzing|/fuzz/)' 2>/dev/null
}
target_dir=${CARGO_TARGET_DIR:-$here/target}
# The coverage build is instrumented differently; in a directory of its own
# it does not overwrite the fuzzing binaries (or rebuild them after).
coverage_dir=${COVERAGE_TARGET_DIR:-$target_dir-coverage}
limit=$((2 * 1000 * 1000))

mkdir -p coverage
for target in "${targets[@]}"; do
    echo "== $target"
    # cmin minimises a directory in place: gather every input there first.
    mkdir -p "minimized/$target" "corpus/$target" "seeds/$target" "regressions/$target"
    for dir in "corpus/$target" "seeds/$target" "regressions/$target"; do
        find "$dir" -maxdepth 1 -type f ! -name '.*' -exec cp -f {} "minimized/$target"/ \;
    done
    cargo +nightly fuzz cmin --target-dir "$target_dir" -s none "$target" "minimized/$target" \
        >"coverage/$target.cmin.log" 2>&1
    bytes=$(find "minimized/$target" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    # Over the limit, the largest inputs go first: a long input mostly
    # repeats operations shorter ones already reach. The coverage below is
    # measured on what is kept.
    dropped=0
    while [ "$bytes" -gt "$limit" ]; do
        largest=$(find "minimized/$target" -type f -printf '%s %p\n' | sort -n | tail -n 1)
        rm -f "${largest#* }"
        bytes=$((bytes - ${largest%% *}))
        dropped=$((dropped + 1))
    done
    files=$(find "minimized/$target" -type f | wc -l)
    echo "   minimised: $files inputs, $bytes bytes ($dropped of the largest dropped for the 2 MB limit)"
    cargo +nightly fuzz coverage --target-dir "$coverage_dir" "$target" "minimized/$target" \
        >"coverage/$target.cov.log" 2>&1
    binary="$coverage_dir/$host/release/$target"
    report=$(core_report "$binary" -instr-profile="coverage/$target/coverage.profdata" | tail -n 1)
    # TOTAL regions missed cover% functions missed executed% lines missed cover% ...
    lines=$(awk '{print $8, $9, $10}' <<<"$report")
    echo "   core lines: total, missed, covered: $lines"
    echo "$target files=$files bytes=$bytes dropped=$dropped lines(total missed cover)=$lines" >>coverage/summary.txt
done

# Every target's lines together: one report over all the binaries and their
# merged profiles (`all` only).
if [ "$1" = all ]; then
    llvm_profdata="$sysroot/lib/rustlib/$host/bin/llvm-profdata"
    profiles=() objects=()
    for target in "${targets[@]}"; do
        profiles+=("coverage/$target/coverage.profdata")
        objects+=(-object "$coverage_dir/$host/release/$target")
    done
    "$llvm_profdata" merge -sparse "${profiles[@]}" -o coverage/all.profdata
    core_report "${objects[@]}" -instr-profile=coverage/all.profdata >coverage/all.txt
    report=$(tail -n 1 coverage/all.txt)
    lines=$(awk '{print $8, $9, $10}' <<<"$report")
    echo "== all targets: core lines: total, missed, covered: $lines"
    echo "all lines(total missed cover)=$lines" >>coverage/summary.txt
fi
