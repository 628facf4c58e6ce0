#!/usr/bin/env bash
# Benchmark of `nines report` on a synthetic access log: lines per second and peak memory.
#
# Usage: bench/run.sh [SIZE] [DAYS]
#   SIZE  size of the generated log, as `nines demo --size` takes it (default 2G)
#   DAYS  days the log spans (default 30)
#
# Environment:
#   NINES_BENCH_DIR  where the log and the timing go (default bench/out, which git ignores)
#   NINES_BIN        a nines binary to measure instead of building target/release/nines
#   RUNS             runs of hyperfine, when it is installed (default 3; 0 skips it)
#
# See bench/README.md for the targets.
set -euo pipefail

size=${1:-2G}
days=${2:-30}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${NINES_BENCH_DIR:-$root/bench/out}
runs=${RUNS:-3}
spec=$root/examples/demo/slos.yaml
nines=${NINES_BIN:-$root/target/release/nines}

# Targets (bench/README.md).
target_lines_per_second=2400000
target_peak_mb=64

if [[ ! -x /usr/bin/time ]]; then
    echo "error: /usr/bin/time is missing" >&2
    echo "  hint: install GNU time: sudo apt-get install time" >&2
    exit 2
fi

if [[ -z ${NINES_BIN:-} ]]; then
    echo "== building nines (release)" >&2
    cargo build --release --quiet -p nines --manifest-path "$root/Cargo.toml"
fi

echo "== generating a $size log over $days days in $out" >&2
mkdir -p "$out"
log=$out/access.log
"$nines" demo --size "$size" --days "$days" --output "$log"
lines=$(wc -l <"$log")
bytes=$(stat -c %s "$log")
slos=$("$nines" validate "$spec" 2>&1 | grep -o '[0-9]* SLO(s)' || echo "? SLO(s)")

# Read the log once so that the timed run measures nines, not the disk.
cat "$log" >/dev/null

echo "== timing: nines report $(basename "$spec") --input access=$log --format json" >&2
timing=$out/time.txt
status=0
/usr/bin/time -v -o "$timing" \
    "$nines" report "$spec" --input "access=$log" --format json >/dev/null || status=$?
# Exit 1 means "an SLO is breaching", which is an answer, not a failure.
if ((status > 1)); then
    echo "error: nines report failed with exit code $status" >&2
    cat "$timing" >&2
    exit "$status"
fi

# GNU time's report: wall clock as [h:]m:ss.ss, memory in KiB.
read -r seconds rss_kb user system cpu < <(awk -F': ' '
    /Elapsed \(wall clock\) time/ {
        n = split($2, part, ":"); wall = 0
        for (i = 1; i <= n; i++) wall = wall * 60 + part[i]
    }
    /Maximum resident set size/ { rss = $2 }
    /User time \(seconds\)/ { user = $2 }
    /System time \(seconds\)/ { sys = $2 }
    /Percent of CPU this job got/ { cpu = $2 }
    END { print wall, rss, user, sys, cpu }
' "$timing")

awk -v lines="$lines" -v bytes="$bytes" -v seconds="$seconds" -v rss_kb="$rss_kb" \
    -v user="$user" -v sys="$system" -v cpu="$cpu" -v slos="$slos" -v days="$days" \
    -v cores="$(nproc)" -v target_rate="$target_lines_per_second" \
    -v target_mb="$target_peak_mb" '
    function verdict(ok) { return ok ? "met" : "MISSED" }
    BEGIN {
        if (seconds <= 0) seconds = 0.01
        rate = lines / seconds
        peak_mb = rss_kb / 1024
        printf "nines report, %s, %d lines (%.1f MB over %s days), %d cores\n",
            slos, lines, bytes / 1e6, days, cores
        printf "  wall time     %.2f s (user %.2f s, system %.2f s, CPU %s)\n",
            seconds, user, sys, cpu
        printf "  throughput    %.0f lines/s, %.0f MB/s    target >= %d lines/s: %s\n",
            rate, bytes / 1e6 / seconds, target_rate, verdict(rate >= target_rate)
        printf "  peak memory   %.1f MB                     target <= %d MB: %s\n",
            peak_mb, target_mb, verdict(peak_mb <= target_mb)
    }'
echo "  (GNU time report: $timing)"

if command -v hyperfine >/dev/null && ((runs > 0)); then
    echo "== hyperfine, $runs runs" >&2
    hyperfine --warmup 1 --runs "$runs" --ignore-failure \
        "$(printf '%q ' "$nines" report "$spec" --input "access=$log" --format json)"
fi
