#!/usr/bin/env bash
# Builds what torch-cuda-run.sh carries to the GPU machine (issue 16), under artifacts/torch-cuda/:
#   app.tar.xz                        `fashionnet` and FashionNet.TorchCudaCheck, self-contained for linux-x64, without
#                                     LibTorch (the GPU machine's PyTorch supplies it), ONNX Runtime, the ImageNet ONNX
#                                     files or symbols: the run uses random weights and no ONNX
#   libLibTorchSharp-nuget.so         TorchSharp 0.107's packaged glue, for libtorch-symbols.sh's check there
#   torchsharp-native-0.107.0.tar.gz  the glue's sources, in case it has to be built there (from ../shared/vendor)
# About 45 MB: the device tool carries at most 64 MiB with the working tree.
#   bash benchmarks/gpu/torch-cuda-pack.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
vendor=${VENDOR:-$repo/../shared/vendor}
sources=$vendor/torchsharp-native-0.107.0.tar.gz
[ -f "$sources" ] || { echo "no $sources: the glue's sources come from ../shared/vendor (set VENDOR to their folder)" >&2; exit 2; }
glue=$(find "${NUGET_PACKAGES:-$HOME/.nuget/packages}/torchsharp/0.107.0" -path '*linux-x64*' -name libLibTorchSharp.so | head -n 1)
[ -n "$glue" ] || { echo "TorchSharp 0.107.0's linux-x64 glue is not in the NuGet cache: build the solution first" >&2; exit 2; }

dest=artifacts/torch-cuda
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for project in samples/FashionNet.Cli benchmarks/FashionNet.TorchCudaCheck; do
  dotnet publish "$project" -c Release -r linux-x64 --self-contained -o "$stage/app" -v quiet -nologo
done
(
  cd "$stage/app"
  rm -f libtorch*.so libc10*.so libgomp-*.so* libshm.so libaoti_custom_ops.so libbackend_with_compiler.so libjitbackend_test.so \
    libnnapi_backend.so libtorchbind_test.so libLibTorchSharp.so libonnxruntime*.so ./*.pdb
  rm -rf DnnImageModels
)
rm -rf "$dest"
mkdir -p "$dest"
tar -cJf "$dest/app.tar.xz" -C "$stage" app
cp "$glue" "$dest/libLibTorchSharp-nuget.so"
cp "$sources" "$dest/"
du -sh "$dest"
