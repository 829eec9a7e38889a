#!/usr/bin/env bash
# Prints criterion's median (and slope, the figure it prints as "time") for every
# benchmark of the last run, from target/criterion/**/new/estimates.json.
#
#   cargo bench -p kerbgate-benches --bench accept && benches/scripts/medians.sh accept
set -euo pipefail
root="${CARGO_TARGET_DIR:-$(dirname "$0")/../../target}/criterion"
group="${1:-}"
find "$root/$group" -path '*/new/estimates.json' | sort | while read -r f; do
    name=${f#"$root/"}
    name=${name%/new/estimates.json}
    python3 - "$f" "$name" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
def us(k):
    v = e.get(k) or {}
    p = v.get("point_estimate")
    return "-" if p is None else f"{p / 1000:.3f} us"
print(f"{sys.argv[2]:60} median {us('median'):>11}  slope {us('slope'):>11}  mean {us('mean'):>11}")
PY
done
