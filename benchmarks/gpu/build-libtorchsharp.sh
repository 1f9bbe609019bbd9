#!/usr/bin/env bash
# Builds TorchSharp 0.107's native glue, libLibTorchSharp.so, against another LibTorch: the one inside a PyTorch
# installation (torch/include, torch/lib), for when libtorch-symbols.sh finds LibTorch symbols the packaged glue needs
# and that LibTorch lacks (issue 16). Plain g++, no CMake: the sources' CMake project expects TorchSharp's whole build.
#   bash benchmarks/gpu/build-libtorchsharp.sh SOURCES_TARBALL TORCH_DIR OUT_DIR
# SOURCES_TARBALL is ../shared/vendor/torchsharp-native-0.107.0.tar.gz (src/Native of dotnet/TorchSharp at 0.107.0);
# TORCH_DIR is $(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))'). Writes OUT_DIR/libLibTorchSharp.so
# with a run path to TORCH_DIR/lib, and the compiler's messages of any file that failed. JOBS overrides the parallelism.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 SOURCES_TARBALL TORCH_DIR OUT_DIR" >&2; exit 64; }
tarball=$1 torch_dir=$(cd "$2" && pwd) out=$3
[ -f "$tarball" ] || { echo "no sources tarball at '$tarball'" >&2; exit 2; }
[ -d "$torch_dir/include/torch/csrc/api/include" ] || { echo "'$torch_dir' has no LibTorch headers (include/torch/csrc/api/include)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
src=$(echo "$work"/*/src/Native)
[ -d "$src/LibTorchSharp" ] || { echo "the tarball has no src/Native/LibTorchSharp" >&2; exit 2; }

# LibTorch's headers must be compiled with the ABI its libraries were built with (PyTorch 2.x wheels: the C++11 ABI).
abi=${TORCH_CXX11_ABI:-$(python3 -c 'import torch; print(int(torch.compiled_with_cxx11_abi()))' 2>/dev/null || echo 1)}
echo "g++: $(g++ --version | head -n 1); LibTorch: $torch_dir; _GLIBCXX_USE_CXX11_ABI=$abi; jobs: ${JOBS:-$(nproc)}"
export FLAGS="-O1 -fPIC -DNDEBUG -D_GLIBCXX_USE_CXX11_ABI=$abi -w -I$src -I$src/LibTorchSharp -I$torch_dir/include -I$torch_dir/include/torch/csrc/api/include"
export OBJ=$work/obj
mkdir -p "$OBJ"

# One translation unit: C++17 as the sources' CMake asks; if a newer LibTorch's headers need it, C++20.
compile() {
  local file=$1 name
  name=$(basename "$file")
  case "$file" in
    *.c) gcc $FLAGS -c "$file" -o "$OBJ/$name.o" 2> "$OBJ/$name.err" ;;
    *) g++ -std=c++17 $FLAGS -c "$file" -o "$OBJ/$name.o" 2> "$OBJ/$name.err" \
         || g++ -std=c++20 $FLAGS -c "$file" -o "$OBJ/$name.o" 2>> "$OBJ/$name.err" ;;
  esac || { echo "FAILED: $name"; return 1; }
  echo "compiled $name"
}
export -f compile
started=$SECONDS
status=0
ls "$src"/LibTorchSharp/*.cpp "$src"/LibTorchSharp/*.c | xargs -P "${JOBS:-$(nproc)}" -I{} bash -c 'compile {}' || status=$?
echo "compiled in $((SECONDS - started)) s"
if [ "$status" -ne 0 ]; then
  for err in "$OBJ"/*.err; do
    [ -e "${err%.err}.o" ] && continue
    cp "$err" "$out/"
    echo "--- $(basename "${err%.err}"): first errors"
    grep -m 12 -E 'error' "$err" || head -n 12 "$err"
  done
  exit 1
fi

libs=(-ltorch -ltorch_cpu -lc10)
[ -e "$torch_dir/lib/libtorch_cuda.so" ] && libs+=(-ltorch_cuda -lc10_cuda)
# --no-as-needed keeps libtorch_cuda a dependency: loading it registers LibTorch's CUDA backend.
link=(g++ -shared -o "$out/libLibTorchSharp.so" "$OBJ"/*.o -L"$torch_dir/lib" -Wl,--no-as-needed "${libs[@]}" -Wl,-rpath,"$torch_dir/lib")
if ! "${link[@]}" -Wl,--no-undefined 2> "$work/link.err"; then
  echo "linking with --no-undefined failed (symbols the glue uses that LibTorch does not define):"
  grep -m 20 'undefined reference' "$work/link.err" | sed 's/.*undefined reference to/  /' | sort -u
  "${link[@]}"
  echo "linked without --no-undefined: a call of one of those functions will fail at run time"
fi
echo "built $out/libLibTorchSharp.so ($(nm -D --defined-only "$out/libLibTorchSharp.so" | grep -c ' T THS') THS functions) in $((SECONDS - started)) s"
