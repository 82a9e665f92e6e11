#!/usr/bin/env bash
# Runs the libFuzzer targets: fuzz/run.sh TARGET|all SECONDS
#
# Installs what is missing (cargo-fuzz, a nightly toolchain), then fuzzes
# each target for SECONDS, one after another. The working corpus is
# fuzz/corpus/TARGET (git-ignored); fuzz/seeds/TARGET,
# fuzz/regressions/TARGET and fuzz/minimized/TARGET (the last campaign's
# corpus, minimised by fuzz/finish.sh) are read as extra corpora, so a fresh
# checkout starts where the last campaign ended. Crashes land in fuzz/artifacts/TARGET:
# replay one with
#   cargo run -p pipelining-fuzzing --example replay --features trace -- TARGET FILE
# and commit it under fuzz/regressions/TARGET once fixed.
#
# Environment: FUZZ_SANITIZER (default none: the crate forbids unsafe code;
# `address` checks the dependencies' unsafe code too), FUZZ_JOBS (parallel
# libFuzzer jobs per target, default 1), CARGO_TARGET_DIR (honoured).
set -euo pipefail

TARGETS=(h1_response connection_ops pool_ops request_encode dns_ops resp_reply dispatch_ops)
usage() {
    echo "usage: $0 TARGET|all SECONDS   (targets: ${TARGETS[*]})" >&2
    exit 2
}
[ $# -eq 2 ] || usage
case "$2" in '' | *[!0-9]*) usage ;; esac
seconds=$2
if [ "$1" = all ]; then
    targets=("${TARGETS[@]}")
else
    [[ " ${TARGETS[*]} " == *" $1 "* ]] || usage
    targets=("$1")
fi

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

sanitizer=${FUZZ_SANITIZER:-none}
jobs=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then
    jobs=(-jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS")
fi
target_dir=()
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    target_dir=(--target-dir "$CARGO_TARGET_DIR")
fi

for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "seeds/$target" "regressions/$target" "minimized/$target" "artifacts/$target"
    log="artifacts/$target/run.log"
    echo "== $target: ${seconds}s, sanitizer $sanitizer, log $log"
    status=0
    cargo +nightly fuzz run "${target_dir[@]}" -s "$sanitizer" "$target" \
        "corpus/$target" "seeds/$target" "regressions/$target" "minimized/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        "${jobs[@]}" \
        >"$log" 2>&1 || status=$?
    # libFuzzer's last status line holds coverage (cov) and features (ft).
    final=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
    runs=$(grep -E '^stat::number_of_executed_units' "$log" | tail -n 1 | awk '{print $2}' || true)
    echo "   final: ${final:-none}"
    echo "   executions: ${runs:-unknown}"
    if [ "$status" -ne 0 ]; then
        echo "   FAILED (exit $status): see $log and artifacts/$target/" >&2
        grep -E 'panicked at|^Test unit written|SUMMARY' "$log" >&2 || true
        exit "$status"
    fi
done
