#!/usr/bin/env bash
# Which LibTorch symbols TorchSharp's native glue (libLibTorchSharp.so) needs that another LibTorch does not define:
# the check to run before pointing TorchSharp 0.107 at the LibTorch inside a PyTorch installation (issue 16). An empty
# list means the glue links against that LibTorch; otherwise the glue has to be rebuilt against its headers.
#   bash benchmarks/gpu/libtorch-symbols.sh [LIBTORCHSHARP_SO] TORCH_LIB_DIR
# TORCH_LIB_DIR holds libtorch.so, libtorch_cpu.so (and libtorch_cuda.so), libc10.so (and libc10_cuda.so), e.g.
# $(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))').
set -euo pipefail
if [ $# -eq 1 ]; then
  glue=$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/torchsharp" -name libLibTorchSharp.so | head -n 1)
  lib=$1
else
  glue=$1
  lib=$2
fi
[ -f "$glue" ] || { echo "no libLibTorchSharp.so at '$glue'" >&2; exit 2; }
[ -d "$lib" ] || { echo "no LibTorch folder '$lib'" >&2; exit 2; }

needed=$(mktemp) defined=$(mktemp)
trap 'rm -f "$needed" "$defined"' EXIT
# The C++ symbols of the glue's undefined list, without version suffixes (LibTorch's are unversioned).
nm -D --undefined-only "$glue" | awk '{print $2}' | grep -E '^_Z(N|K)?[0-9]*(at|c10|torch|caffe2)' | sed 's/@.*//' | sort -u > "$needed"
for so in "$lib"/libtorch*.so "$lib"/libc10*.so; do
  [ -e "$so" ] && nm -D --defined-only "$so" | awk '{print $3}'
done | sed 's/@.*//' | sort -u > "$defined"

missing=$(comm -23 "$needed" "$defined" | wc -l)
echo "glue: $glue"
echo "libtorch: $lib ($(ls "$lib"/libtorch*.so "$lib"/libc10*.so 2>/dev/null | wc -l) libraries)"
echo "LibTorch symbols the glue needs: $(wc -l < "$needed"); not defined there: $missing"
comm -23 "$needed" "$defined" | head -n 40 | c++filt
[ "$missing" -eq 0 ]
