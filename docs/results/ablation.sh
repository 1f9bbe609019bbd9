#!/usr/bin/env bash
# Issue 13's ablation, as run for docs/RESULTS.md: (b) the global branch alone and (c) the full FashionNet, same config
# and data, three seeds each, one training at a time. Each run is trained, tested on the In-shop test split (query vs
# gallery; categories from the image path) and on the hand-annotated robot set (landmarks); the small result files of
# each run (config.json, summary.json, test.json, robot.json, metrics.jsonl, and the robot set's predicted landmarks as
# robot-landmarks.csv.gz, for docs/results/sleeve_length.py) are kept under docs/results/ablation/, and
# `fashionnet ablation` gathers them into docs/results/ablation.json. Runs whose results are kept are skipped, so the
# script continues where it stopped. Run from anywhere after a Release build:
#   bash docs/results/ablation.sh [--name NAME] [--config FILE] [SEED ...]      (default: ablation,
#        configs/inshop-landmarks.json, seeds 1 2 3; runs under runs/NAME/, kept under docs/results/NAME/ and
#        gathered into docs/results/NAME.json; the longer ablation: --name ablation-long --config configs/inshop-landmarks-long.json)
#   --variant full|global runs one variant only, and then nothing is gathered (the ablation needs both).
#   --normalize-pooled trains with the pooled landmark features batch-normalized (`train --normalize-pooled`).
#   --landmark-data synthetic|DIR gives the training landmark images for a config's landmarkImagesPerBatch (`train --landmark-data`).
set -euo pipefail
cd "$(dirname "$0")/../.."

fashionnet=(dotnet samples/FashionNet.Cli/bin/Release/net10.0/fashionnet.dll)
sample=../shared/data/deepfashion-inshop-sample
name=ablation
config=configs/inshop-landmarks.json
variants=(full global)
model_flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --variant) variants=("$2"); shift 2 ;;
    --normalize-pooled) model_flags+=(--normalize-pooled); shift ;;
    --landmark-data) model_flags+=(--landmark-data "$2"); shift 2 ;;
    *) break ;;
  esac
done
training=(--config "$config" --data "$sample" --format inshop --categories-from-path
  --landmarks-from ../shared/data/deepfashion-inshop-landmarks --stage1-data data+synthetic
  --validation-items 100 --image-size 224 --pooled-map stride8 "${model_flags[@]}")
if [ $# -gt 0 ]; then seeds=("$@"); else seeds=(1 2 3); fi

for seed in "${seeds[@]}"; do
  for variant in "${variants[@]}"; do
    run=runs/$name/$variant-s$seed
    kept=docs/results/$name/$variant-s$seed
    if [ -f "$kept/test.json" ] && [ -f "$kept/robot.json" ]; then continue; fi
    mkdir -p "$run"
    variant_flag=()
    [ "$variant" = global ] && variant_flag=(--global-only)
    echo "== $variant, seed $seed ($(date -u +%H:%M:%S))"
    # A finished training (its summary.json written last) is evaluated, not trained again.
    if [ ! -f "$run/summary.json" ]; then
      "${fashionnet[@]}" train "${training[@]}" "${variant_flag[@]}" --seed "$seed" --out "$run" > "$run.log" 2>&1
    fi
    "${fashionnet[@]}" evaluate --checkpoint "$run/best.ckpt" --data "$sample" --format inshop --categories-from-path \
      --out "$run/test.json" --contact-sheet "$run/test-queries.png" > "$run-test.log" 2>&1
    "${fashionnet[@]}" evaluate --checkpoint "$run/best.ckpt" --data ../shared/data/fashion-landmarks-robot --format landmarks \
      --out "$run/robot.json" --landmarks-csv "$run/robot-landmarks.csv" > "$run-robot.log" 2>&1
    mkdir -p "$kept"
    cp "$run"/{config.json,summary.json,test.json,robot.json,metrics.jsonl} "$kept/"
    gzip -9 -c "$run/robot-landmarks.csv" > "$kept/robot-landmarks.csv.gz"
  done
done

[ "${#variants[@]}" -eq 2 ] || exit 0
globals=() fulls=()
for seed in "${seeds[@]}"; do globals+=("docs/results/$name/global-s$seed"); fulls+=("docs/results/$name/full-s$seed"); done
"${fashionnet[@]}" ablation --global "${globals[@]}" --full "${fulls[@]}" --config "$config" --out "docs/results/$name.json"
