#!/usr/bin/env bash
# Branded image set: our renderer vs the Pillow peer, side by side in one run.
#
# usage: scripts/bench-images.sh [N_SETS] [ROUNDS]   (defaults 20 and 3; or N=, ROUNDS= in the env)
#
# Builds api/examples/bench_images.rs in release mode, makes a Pillow venv in
# $HOME/.cache/campaign-studio/pillow-venv when missing, then renders the full
# four-ratio set (PNG + JPEG per ratio) N times with each implementation on 1
# and 2 cores: ours with a 1- and a 2-thread pool, Pillow (single-threaded) as
# 1 process and as 2 concurrent processes. Prints a table and writes it to
# results/bench-images-<date>.txt.
#
# The four configurations run interleaved, ROUNDS times; each row reports its
# fastest round (the one least disturbed by whatever else the machine runs)
# and all rounds are listed below the table, so the noise stays visible.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-${N:-20}}"
rounds="${2:-${ROUNDS:-3}}"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$HOME/.cache/campaign-studio/pillow-venv"
peer_dir="${BENCH_PEER_DIR:-}"
if [[ -z "$peer_dir" ]]; then
  for d in "$root/../shared/bench-peer" "$root/shared/bench-peer" /work/shared/bench-peer; do
    [[ -f "$d/pillow_set.py" ]] && { peer_dir="$d"; break; }
  done
fi
[[ -n "$peer_dir" && -f "$peer_dir/pillow_set.py" ]] || { echo "pillow_set.py not found; set BENCH_PEER_DIR" >&2; exit 1; }
peer_dir="$(cd "$peer_dir" && pwd -P)"
font="$root/api/assets/fonts/DejaVuSans-Bold.ttf"

echo "== building the release example (the first build takes several minutes)" >&2
(cd "$root" && cargo build --release -p api --example bench_images) >&2
bin="$target/release/examples/bench_images"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import PIL' 2>/dev/null; then
  echo "== creating the Pillow venv in $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet pillow >&2
fi
py="$venv/bin/python"

if [[ ! -x /usr/bin/time ]] && command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
  echo "== installing GNU time for peak RSS" >&2
  (apt-get install -y -q time || (apt-get update -q && apt-get install -y -q time)) >/dev/null 2>&1 || true
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# run NAME CMD...: runs CMD under GNU time; stdout -> $tmp/NAME.out, peak RSS (kB) -> $tmp/NAME.rss
run() {
  local name="$1"; shift
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out"
    awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/$name.time" >"$tmp/$name.rss"
  else
    "$@" >"$tmp/$name.out"
    # Ours reports its own VmHWM; Pillow's stays unknown without GNU time.
    sed -n 's/.*vm_hwm_kb=\([0-9]*\).*/\1/p' "$tmp/$name.out" >"$tmp/$name.rss"
  fi
}

for r in $(seq 1 "$rounds"); do
  echo "== round $r/$rounds: ours 1 thread, pillow 1 process, ours 2 threads, pillow 2 processes" >&2
  run "ours1.$r" "$bin" --sets "$n" --threads 1
  run "pil1.$r" "$py" "$peer_dir/pillow_set.py" "$n" "$font"
  run "ours2.$r" "$bin" --sets "$n" --threads 2
  run "pil2a.$r" "$py" "$peer_dir/pillow_set.py" "$n" "$font" &
  pa=$!
  run "pil2b.$r" "$py" "$peer_dir/pillow_set.py" "$n" "$font" &
  pb=$!
  wait "$pa" "$pb"
done
resize_line="$("$bin" --compare-resize)"
pillow_version="$("$py" -c 'import PIL; print(PIL.__version__)')"
pillow_bytes="$(cd "$peer_dir" && "$py" -c '
import sys; sys.argv = ["pillow_set.py", "1", sys.argv[1]]
import pillow_set as p
outs = p.render_set(p.source(), p.logo())
print(sum(a for a, _ in outs), sum(b for _, b in outs))' "$font")"

ours_ms() { sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' "$tmp/$1.out"; }
pil_ms() { sed -n 's/.*median \([0-9.]*\) ms\/set.*/\1/p' "$tmp/$1.out"; }
rss_mb() { awk '{printf "%.0f", $1 / 1024}' "$tmp/$1.rss" 2>/dev/null || echo "n/a"; }
# best NAME: the round with the lowest median ms/set -> "ms round"
best() {
  local name="$1" fn="$2" r ms out=""
  for r in $(seq 1 "$rounds"); do
    ms="$($fn "$name.$r")"
    out+="$ms $r"$'\n'
  done
  grep . <<<"$out" | sort -n | head -n1
}
# pillow on 2 cores: both processes' medians of one round, that round chosen by their mean
best_pil2() {
  local r a b out=""
  for r in $(seq 1 "$rounds"); do
    a="$(pil_ms "pil2a.$r")"; b="$(pil_ms "pil2b.$r")"
    out+="$(awk -v a="$a" -v b="$b" 'BEGIN {print (a + b) / 2}') $a $b $r"$'\n'
  done
  grep . <<<"$out" | sort -n | head -n1
}
read -r o1 r_o1 < <(best ours1 ours_ms)
read -r p1 r_p1 < <(best pil1 pil_ms)
read -r o2 r_o2 < <(best ours2 ours_ms)
read -r _ p2a p2b r_p2 < <(best_pil2)
read -r our_png our_jpg < <(sed -n 's/.*png_bytes=\([0-9]*\) jpeg_bytes=\([0-9]*\).*/\1 \2/p' "$tmp/ours1.1.out")
read -r pil_png pil_jpg <<<"$pillow_bytes"
all_rounds="$(for r in $(seq 1 "$rounds"); do
  printf "round %d: ours 1t %s ms, pillow 1p %s ms, ours 2t %s ms, pillow 2p %s + %s ms\n" "$r" \
    "$(ours_ms "ours1.$r")" "$(pil_ms "pil1.$r")" "$(ours_ms "ours2.$r")" "$(pil_ms "pil2a.$r")" "$(pil_ms "pil2b.$r")"
done)"

report="$(awk -v n="$n" -v o1="$o1" -v o2="$o2" -v p1="$p1" -v p2a="$p2a" -v p2b="$p2b" \
  -v ro1="$(rss_mb "ours1.$r_o1")" -v ro2="$(rss_mb "ours2.$r_o2")" -v rp1="$(rss_mb "pil1.$r_p1")" -v rp2="$(rss_mb "pil2a.$r_p2")" '
function row(name, cores, ms, sps, rss) {
  printf "%-28s %5d %9.1f %8.2f %13.2f %9s\n", name, cores, ms, sps, sps / cores, rss
}
BEGIN {
  so1 = 1000 / o1; so2 = 1000 / o2; sp1 = 1000 / p1; sp2 = 1000 / p2a + 1000 / p2b
  printf "%-28s %5s %9s %8s %13s %9s\n", "implementation", "cores", "ms/set", "sets/s", "sets/s/core", "peak RSS"
  row("ours, 1 thread", 1, o1, so1, ro1 " MB")
  row("pillow, 1 process", 1, p1, sp1, rp1 " MB")
  row("ours, 2 threads", 2, o2, so2, ro2 " MB")
  row("pillow, 2 processes", 2, (p2a + p2b) / 2, sp2, rp2 " MB each")
  printf "\nours/pillow throughput: %.2fx on 1 core, %.2fx on 2 cores (goal: 3x per core)\n", so1 / sp1, so2 / sp2
  printf "ms/set = median of %d sets after one warm-up, fastest of the rounds below; a set = 4 ratios x (PNG level 6 + JPEG q85) from a 2048x2048 source\n", n
}')"

{
  echo "bench-images $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command: scripts/bench-images.sh $n $rounds   (Pillow $pillow_version, peer $peer_dir/pillow_set.py)"
  echo
  echo "$report"
  echo "$all_rounds"
  echo "bytes per set: ours PNG $our_png + JPEG $our_jpg; pillow PNG $pil_png + JPEG $pil_jpg"
  echo "$resize_line"
} | tee /dev/stderr >"$tmp/report.txt"

mkdir -p "$root/results"
out="$root/results/bench-images-$(date +%Y%m%d-%H%M%S).txt"
cp "$tmp/report.txt" "$out"
echo "written to $out" >&2
