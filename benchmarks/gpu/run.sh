#!/usr/bin/env bash
# GPU verification of the ILGPU and native CUDA kernels (issue 8), on a machine with an NVIDIA GPU, the CUDA toolkit
# (nvcc, ptxas, compute-sanitizer) and PyTorch with CUDA, but no .NET: it runs the self-contained GPU check published
# to artifacts/gpu-check (see README.md here). Every step runs even if an earlier one failed; the summary says which.
#
# usage: benchmarks/gpu/run.sh [RESULTS_DIR]    (default: $OUT, else gpu-results)
set -uo pipefail
cd "$(dirname "$0")/../.."
results="${1:-${OUT:-gpu-results}}"
work="${WORK:-/tmp/fashionnet-gpu}"   # large tensor dumps stay here, out of the results
check=artifacts/gpu-check/FashionNet.GpuCheck
export PATH="$PATH:/usr/local/cuda/bin"
mkdir -p "$results" "$work"
declare -A status

step() { echo; echo "== $1"; }

step "device"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv 2>&1 | tee "$results/nvidia-smi.txt"

step "GPU check: ILGPU and native PTX vs ILGPU's CPU accelerator, CUDA-event timings (N=32, 256)"
"$check" --out "$work/check" --batches 32,256 --iterations 100 2>&1 | tee "$results/check.txt"
status[check]=${PIPESTATUS[0]}
cp "$work/check/results.json" "$results/" 2>/dev/null
cp -r "$work/check/ptx" "$results/" 2>/dev/null

step "PyTorch reference formulation on the same GPU: cross-check of the N=32 outputs, timings"
python3 benchmarks/gpu/reference.py "$work/check" 2>&1 | tee "$results/reference.txt"
status[reference]=${PIPESTATUS[0]}
cp "$work/check/reference.json" "$results/" 2>/dev/null

step "ptxas accepts the PTX of both backends for sm_90"
status[ptxas]=0
for ptx in "$work"/check/ptx/*.ptx; do
  if ptxas -arch=sm_90 -v "$ptx" -o "$work/$(basename "$ptx" .ptx).cubin" >"$work/ptxas.log" 2>&1; then
    echo "ok   $(basename "$ptx"): $(grep -o 'Used [0-9]* registers' "$work/ptxas.log" | head -1)"
  else
    status[ptxas]=1; echo "FAIL $(basename "$ptx")"; cat "$work/ptxas.log"
  fi
done >"$results/ptxas.txt" 2>&1
cat "$results/ptxas.txt"

step "nvcc builds the same native/ sources"
status[nvcc]=0
for source in native/*.cu; do
  if nvcc -arch=sm_90 --ptx "$source" -o "$work/nvcc-$(basename "$source" .cu).ptx" 2>"$work/nvcc.log"; then
    echo "ok   $source"
  else
    status[nvcc]=1; echo "FAIL $source"; cat "$work/nvcc.log"
  fi
done >"$results/nvcc.txt" 2>&1
cat "$results/nvcc.txt"

for tool in memcheck racecheck; do
  step "compute-sanitizer --tool $tool (both backends, --quick: N=2)"
  timeout "${SANITIZER_TIMEOUT:-240}" compute-sanitizer --tool "$tool" --error-exitcode 99 "$check" --quick --out "$work/sanitizer-$tool" >"$results/sanitizer-$tool.txt" 2>&1
  status[$tool]=$?
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY|matches|MISMATCH|skipped" "$results/sanitizer-$tool.txt"
done

step "summary (exit status per step; 0 = passed)"
for name in check reference ptxas nvcc memcheck racecheck; do
  echo "$name: ${status[$name]:-not run}"
done | tee "$results/summary.txt"
