#!/usr/bin/env bash
# Issue 13, item 4: where the full models' local branch pools, per slot and clothes type, on the test photos that the
# parsing-derived landmark set covers (its query and gallery photos are sample test photos, with clothes types; the
# sample itself has none). Evaluates each full run of docs/results/ablation.sh (its best.ckpt under runs/ablation/)
# on that set and keeps the result as docs/results/ablation/full-sSEED/gating.json (also retrieval on that subset and
# the landmark error against the derived, noisy landmarks). Run after the ablation:
#   bash docs/results/gating.sh [SEED ...]      (default: 1 2 3)
set -euo pipefail
cd "$(dirname "$0")/../.."

fashionnet=(dotnet samples/FashionNet.Cli/bin/Release/net10.0/fashionnet.dll)
if [ $# -gt 0 ]; then seeds=("$@"); else seeds=(1 2 3); fi

for seed in "${seeds[@]}"; do
  run=runs/ablation/full-s$seed
  kept=docs/results/ablation/full-s$seed
  if [ -f "$kept/gating.json" ]; then continue; fi
  echo "== full, seed $seed ($(date -u +%H:%M:%S))"
  "${fashionnet[@]}" evaluate --checkpoint "$run/best.ckpt" --data ../shared/data/deepfashion-inshop-landmarks \
    --format inshop --categories-from-path --out "$run/gating.json" > "$run-gating.log" 2>&1
  cp "$run/gating.json" "$kept/"
done
