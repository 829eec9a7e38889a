#!/usr/bin/env bash
# Builds every cargo-fuzz target of fuzz/Cargo.toml once, then runs each for
# TARGET_SECONDS (default 60) and prints its execution count. Exits non-zero if
# any target crashed; crash inputs stay under fuzz/artifacts/<target>/.
#
# Usage: fuzz/run.sh [TARGET_SECONDS]
# Needs cargo-fuzz (cargo install cargo-fuzz --locked). Works on stable Rust through
# RUSTC_BOOTSTRAP=1, since cargo-fuzz passes -Z flags for the sanitizer.
# FUZZ_SANITIZER=none builds without AddressSanitizer (cargo fuzz -s none) where the
# toolchain cannot build it; the default is address. The crates forbid unsafe code, so
# ASan mostly guards the dependencies; panics and hangs are caught either way.
# Corpus: fuzz/corpus/<target> (scratch, git-ignored) plus committed seeds in
# fuzz/seeds/<target> when that folder exists.
set -euo pipefail

secs="${1:-60}"
case "$secs" in
'' | *[!0-9]*)
    echo "usage: $0 [TARGET_SECONDS]" >&2
    exit 2
    ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export RUSTC_BOOTSTRAP=1
san="${FUZZ_SANITIZER:-address}"

targets=$(cargo fuzz list)
echo "building (sanitizer: $san): $(echo "$targets" | tr '\n' ' ')"
cargo fuzz build -s "$san"

logs="$(mktemp -d -t kerbgate-fuzz.XXXXXX)"
failed=()
summary=()
for t in $targets; do
    mkdir -p "corpus/$t"
    dirs=("corpus/$t")
    if [ -d "seeds/$t" ]; then
        dirs+=("seeds/$t")
    fi
    log="$logs/$t.log"
    echo "== $t: ${secs}s"
    if cargo fuzz run -s "$san" "$t" "${dirs[@]}" -- -max_total_time="$secs" -print_final_stats=1 \
        >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$t")
        tail -n 40 "$log"
    fi
    # `|| true`: a target that failed to build prints no stats.
    execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -n 1 || true)
    rate=$(grep -E '^stat::average_exec_per_sec:' "$log" | awk '{print $2}' | tail -n 1 || true)
    cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 | sed -E 's/.*cov: ([0-9]+).*/\1/' || true)
    summary+=("$(printf '%-12s %-6s execs=%-10s execs/s=%-8s cov=%s' \
        "$t" "$status" "${execs:-?}" "${rate:-?}" "${cov:-?}")")
done

echo "== summary (${secs}s per target; logs in $logs)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]} (crash inputs in fuzz/artifacts/)" >&2
    exit 1
fi
