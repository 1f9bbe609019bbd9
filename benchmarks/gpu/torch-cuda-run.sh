#!/usr/bin/env bash
# Issue 16 on the GPU machine, in one go: TorchSharp on the LibTorch of the machine's PyTorch, then the kernels inside
# TorchSharp autograd on CUDA tensors, a FashionNet training step per backend, a short CUDA training through the
# `fashionnet` command, and torchvision's roi_pool beside the kernels. Needs what torch-cuda-pack.sh built
# (artifacts/torch-cuda, carried along); no .NET.
#   bash benchmarks/gpu/torch-cuda-run.sh OUT_DIR
# Writes OUT_DIR/summary.txt (each step's exit status and seconds), results.json (the .NET check), roi_pool.json and
# logs.tar.gz (every step's whole output, the training's metrics, both evaluations' results). Each step has its own time limit, and a failed
# step does not stop the next ones that do not need it. DEVICE=cpu rehearses the .NET steps on a machine without a GPU.
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 64; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
pack=${PACK:-$repo/artifacts/torch-cuda}
device=${DEVICE:-cuda}
work=${WORK:-/tmp/torch-cuda}
rm -rf "$work"
mkdir -p "$work/logs"
summary=$out/summary.txt
: > "$summary"

# step NAME SECONDS COMMAND...: runs COMMAND with a limit, its output in logs/NAME.txt; prints its tail and status.
step() {
  local name=$1 limit=$2 started=$SECONDS rc
  shift 2
  echo "=== $name"
  timeout "$limit" "$@" > "$work/logs/$name.txt" 2>&1
  rc=$?
  tail -n "${TAIL:-25}" "$work/logs/$name.txt"
  echo "$name: exit $rc in $((SECONDS - started)) s" | tee -a "$summary"
  return $rc
}

finish() {
  cp "$work"/check/results.json "$out/" 2>/dev/null
  cp "$work"/roi/roi_pool.json "$out/" 2>/dev/null
  cp "$work"/run-cuda/metrics.jsonl "$work/logs/train-metrics.jsonl" 2>/dev/null
  cp "$work"/run-cuda/summary.json "$work/logs/train-summary.json" 2>/dev/null
  cp -r "$work/glue" "$work/logs/" 2>/dev/null
  tar -czf "$out/logs.tar.gz" -C "$work" logs
  echo "=== summary"
  cat "$summary"
}
trap finish EXIT

torch_dir=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')
step machine 60 bash -c "nvidia-smi; python3 -c 'import torch, torchvision; print(\"torch\", torch.__version__, \"CUDA\", torch.version.cuda, \"cuDNN\", torch.backends.cudnn.version(), torch.cuda.get_device_name(0), \"torchvision\", torchvision.__version__, \"cxx11 ABI\", torch.compiled_with_cxx11_abi())'; g++ --version | head -n 1; ldd --version | head -n 1; nproc"

step unpack 60 tar -xJf "$pack/app.tar.xz" -C "$work"
app=$work/app
# Does TorchSharp's packaged glue find every LibTorch symbol it needs in this LibTorch? If not, build it against it.
if step symbols 30 bash "$here/libtorch-symbols.sh" "$pack/libLibTorchSharp-nuget.so" "$torch_dir/lib"; then
  cp "$pack/libLibTorchSharp-nuget.so" "$app/libLibTorchSharp.so"
  echo "glue: the packaged libLibTorchSharp.so" >> "$summary"
else
  step glue 330 bash "$here/build-libtorchsharp.sh" "$pack/torchsharp-native-0.107.0.tar.gz" "$torch_dir" "$work/glue" \
    && cp "$work/glue/libLibTorchSharp.so" "$app/" && echo "glue: built against $torch_dir" >> "$summary"
fi
export LD_LIBRARY_PATH=$torch_dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 PYTHONUNBUFFERED=1

if [ -e "$app/libLibTorchSharp.so" ]; then
  TAIL=60 step check 240 "$app/FashionNet.TorchCudaCheck" --device "$device" --iterations 200 --out "$work/check"
  step synth 60 "$app/fashionnet" data synth --items 100 --out "$work/synth"
  (cd "$repo" && TAIL=30 step train-cuda 240 "$app/fashionnet" train --data "$work/synth" --format synthetic --weights random \
    --config configs/gpu-synthetic.json --device "$device" --workers "$(nproc)" --out "$work/run-cuda")
  step index-cuda 90 "$app/fashionnet" index --checkpoint "$work/run-cuda/best.ckpt" --data "$work/synth" --format synthetic \
    --split gallery --device "$device" --out "$work/gallery.index"
  # The same checkpoint evaluated on the GPU and on the CPU: the retrieval figures must agree.
  for on in "$device" cpu; do
    TAIL=12 step "evaluate-$on" 120 "$app/fashionnet" evaluate --checkpoint "$work/run-cuda/best.ckpt" --data "$work/synth" \
      --format synthetic --device "$on" --out "$work/logs/evaluate-$on.json"
  done
else
  echo "no libLibTorchSharp.so for this LibTorch: the .NET steps did not run" | tee -a "$summary"
fi
# The peer a PyTorch user would reach for, on the same GPU, after the .NET steps (timings are not shared with them).
(cd "$here" && step roi_pool 120 python3 roi_pool.py "$work/roi")
