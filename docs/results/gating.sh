#!/usr/bin/env bash
# Issue 13, item 4: where the full models' local branch pools, per slot and clothes type, on the test photos that the
# parsing-derived landmark set covers (its query and gallery photos are sample test photos, with clothes types; the
# sample itself has none). Evaluates each full run of docs/results/ablation.sh (its best.ckpt under runs/NAME/)
# on that set and keeps the result as docs/results/NAME/full-sSEED/gating.json (also retrieval on that subset and
# the landmark error against the derived, noisy landmarks). Run after the ablation:
#   bash docs/results/gating.sh [--name NAME] [SEED ...]      (default: ablation, seeds 1 2 3; the runs of
#        `ablation.sh --name NAME`)
set -euo pipefail
cd "$(dirname "$0")/../.."

fashionnet=(dotnet samples/FashionNet.Cli/bin/Release/net10.0/fashionnet.dll)
name=ablation
if [ "${1:-}" = --name ]; then name=$2; shift 2; fi
if [ $# -gt 0 ]; then seeds=("$@"); else seeds=(1 2 3); fi

for seed in "${seeds[@]}"; do
  run=runs/$name/full-s$seed
  kept=docs/results/$name/full-s$seed
  if [ -f "$kept/gating.json" ]; then continue; fi
  echo "== full, seed $seed ($(date -u +%H:%M:%S))"
  "${fashionnet[@]}" evaluate --checkpoint "$run/best.ckpt" --data ../shared/data/deepfashion-inshop-landmarks \
    --format inshop --categories-from-path --out "$run/gating.json" > "$run-gating.log" 2>&1
  cp "$run/gating.json" "$kept/"
done
