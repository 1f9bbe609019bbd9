#!/usr/bin/env bash
# FashionNet.Core side by side with its peers on this machine (issue 17; benchmarks/README.md, "Peers"):
#   train-step        one training step, batch 32 at 160 px, median of 20 after 3 warm-up steps   vs PyTorch
#   train-epoch       one stage-2 epoch on the In-shop sample (P x K 8 x 4, 160 px), loader included vs PyTorch + torchvision, DataLoader of 2 workers
#   embed-baseline    the In-shop test photos through the ImageNet ResNet18 baseline, decoding included vs ONNX Runtime
#   embed-fashionnet  the In-shop test photos through a FashionNet checkpoint, decoding included   vs PyTorch (eval mode)
#   and the two embeddings again with the library's InferenceOptions.MemoryFormat = ChannelsLast (NAME-channels-last;
#   PyTorch then runs channels_last too; ONNX Runtime picks its own layouts and is timed once), and through the
#   library's own ONNX Runtime path, FashionNet.Core.Onnx (NAME-onnx: the network exported by the library, batched)
#   and, for embed-fashionnet, that path with the convolutions in int8 (embed-fashionnet-onnx-int8: calibrated on 256
#   training photos; its retrieval quality is checked apart, FashionNet.Peers recall --runtimes torch,onnx-int8)
# Each comparison first checks that both sides compute the same thing, then times them one after the other, and the
# script ends with one line per comparison, `ratio NAME: X`, X > 1 meaning FashionNet.Core is faster. It takes about
# 30 minutes on a quiet 2-core machine (--quick: about 2); run it when nothing else does.
#
# usage: benchmarks/peers/run.sh [--quick] [--checkpoint FILE] [--out DIR] [--only NAME,...] [--openblas]
#   --quick            a few steps on small batches and 64 test photos: proves every path, measures nothing useful
#   --checkpoint FILE  the trained FashionNet for embed-fashionnet (default: an untrained one made here; same speed)
#   --out DIR          where every side writes its files (default artifacts/peers/YYYYMMDD-HHMMSS)
#   --only NAMES       run only these comparisons (comma-separated)
#   --openblas         install Debian's OpenBLAS (libopenblas0-openmp) for PyTorch first, instead of the BLAS found
# Both frameworks get OMP_WAIT_POLICY=PASSIVE (threads sleep while waiting; ONNX Runtime then does not spin either)
# unless the environment sets it, and PyTorch gets as many intra-op threads as LibTorch (the cores).
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=0 checkpoint="" out="" only="train-step,train-epoch,embed-baseline,embed-fashionnet" openblas=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --checkpoint) checkpoint="${2:?--checkpoint needs a file}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --only) only="${2:?--only needs names}"; shift 2 ;;
    --openblas) openblas=1; shift ;;
    *) echo "error: unknown option '$1' (see the usage at the top of $0)" >&2; exit 1 ;;
  esac
done
[[ -n "$checkpoint" && ! -f "$checkpoint" ]] && { echo "error: --checkpoint: '$checkpoint' does not exist" >&2; exit 1; }
for name in ${only//,/ }; do
  [[ ",train-step,train-epoch,embed-baseline,embed-fashionnet," == *",$name,"* ]] || { echo "error: --only: unknown comparison '$name'" >&2; exit 1; }
done
for data in ../shared/data/deepfashion-inshop-sample ../shared/data/deepfashion-inshop-landmarks; do
  [[ -d "$data" ]] || { echo "error: '$data' not found: the comparisons run on the shared In-shop data beside the repository" >&2; exit 1; }
done
out="${out:-artifacts/peers/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the repository
python=/usr/bin/python3   # Debian's interpreter, where python3-torch installs (a pyenv python3 would not see it)

sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
if ! $python -c "import torch, torchvision" 2>/dev/null; then
  echo "== installing Debian's python3-torch and python3-torchvision (PyPI is not reachable here)"
  sudo_if_needed apt-get install -y python3-torch python3-torchvision
fi
if [[ $openblas -eq 1 ]] && ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  echo "== installing libopenblas0-openmp (becomes libblas.so.3 for PyTorch)"
  sudo_if_needed apt-get install -y libopenblas0-openmp
fi

echo "== building benchmarks/FashionNet.Peers"
dotnet build benchmarks/FashionNet.Peers -c Release -nologo -v q >"$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
tool=(dotnet benchmarks/FashionNet.Peers/bin/Release/net10.0/FashionNet.Peers.dll)
peer=($python benchmarks/peers/peers.py --threads "$(nproc)")

{
  echo "== machine"
  lscpu | grep -E "^(Model name|CPU\(s\)|Thread\(s\) per core|Core\(s\) per socket):"
  echo "relevant CPU flags: $(grep -o -w -E 'avx2|avx512f|avx512_bf16|avx512_vnni|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "OMP_WAIT_POLICY=$OMP_WAIT_POLICY; .NET $(dotnet --version); TorchSharp 0.107.0, LibTorch 2.10.0 (libtorch-cpu-linux-x64)"
  blas="$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
  echo "BLAS for PyTorch (libblas.so.3): $blas ($(dpkg -S "$blas" 2>/dev/null | cut -d: -f1 || echo "package unknown"))"
  echo "Debian packages: $(dpkg-query -W -f '${Package} ${Version}  ' python3-torch python3-torchvision libdnnl2 2>/dev/null)"
  "${peer[@]}" machine
} 2>&1 | tee "$out/machine.txt"

ratios=()
failed=0
# compare "NAME [MORE_NAMES]" COMMAND [:: COMMAND]...: runs one comparison's commands in order (a failing one stops it)
# and keeps the ratio line of each name (a command may print several: the library with and without channels-last).
compare() {
  local -a names=($1); shift
  [[ ",$only," == *",${names[0]},"* ]] || return 0
  echo; echo "== ${names[0]} ($(date +%H:%M:%S), load average $(cut -d' ' -f1 /proc/loadavg))"
  local log="$out/${names[0]}.log" status=0
  : >"$log"
  while [[ $# -gt 0 ]]; do
    local -a step=()
    while [[ $# -gt 0 && "$1" != "::" ]]; do step+=("$1"); shift; done
    [[ $# -gt 0 ]] && shift
    set +e
    "${step[@]}" 2>&1 | tee -a "$log"
    status=${PIPESTATUS[0]}
    set -e
    [[ $status -ne 0 ]] && break
  done
  local name line
  for name in "${names[@]}"; do
    line="$(grep -E "^ratio $name: " "$log" | tail -1 || true)"
    if [[ $status -ne 0 || -z "$line" ]]; then
      line="ratio $name: not measured (exit status $status; see $log)"
      failed=1
    fi
    ratios+=("$line")
  done
}

if [[ $quick -eq 1 ]]; then
  step_sizes=(--items-per-batch 4 --images-per-item 2 --warmup 1 --steps 3)
  epoch_sizes=(--items-per-batch 4 --images-per-item 2 --max-steps 4)
  embed_sizes=(--limit 64 --batch 16)
else
  step_sizes=(--warmup 3 --steps 20)
  epoch_sizes=()
  embed_sizes=()
fi

compare train-step \
  "${tool[@]}" train-step --out "$out/train-step" "${step_sizes[@]}" :: \
  "${peer[@]}" train-step "$out/train-step"
compare train-epoch \
  "${tool[@]}" train-epoch --out "$out/train-epoch" "${epoch_sizes[@]}" :: \
  "${peer[@]}" train-epoch "$out/train-epoch"
compare "embed-baseline embed-baseline-channels-last embed-baseline-onnx" \
  "${tool[@]}" embed-baseline --out "$out/embed-baseline" "${embed_sizes[@]}"
if [[ -z "$checkpoint" && ",$only," == *",embed-fashionnet,"* ]]; then
  checkpoint="$out/untrained.ckpt"
  echo; echo "== no --checkpoint: an untrained FashionNet (ImageNet trunk, random branches) stands in; same architecture, same speed"
  "${tool[@]}" make-checkpoint --out "$checkpoint"
fi
compare "embed-fashionnet embed-fashionnet-channels-last embed-fashionnet-onnx embed-fashionnet-onnx-int8" \
  "${tool[@]}" embed-fashionnet --out "$out/embed-fashionnet" --checkpoint "$checkpoint" "${embed_sizes[@]}" :: \
  "${peer[@]}" embed-fashionnet "$out/embed-fashionnet"

echo
echo "== ratios (X > 1: FashionNet.Core is faster; $( [[ $quick -eq 1 ]] && echo "QUICK MODE, not a measurement; " )load average after: $(cut -d' ' -f1-3 /proc/loadavg); files in $out)"
printf '%s\n' "${ratios[@]}" | tee "$out/ratios.txt"
exit $failed
