#!/usr/bin/env bash
# On-demand kernel benchmark: GEMM GFLOP/s at the Whisper encoder shapes, the one-token logits
# products as GB/s of weights next to a streaming-read bandwidth, and attention, each with
# numpy/OpenBLAS timed interleaved in the same process (so machine load hits both alike).
#
#   benchmarks/kernels/run.sh            # threads 1 and 2, writes benchmarks/results/kernels.json
#   benchmarks/kernels/run.sh --quick    # fewer repetitions
#   DW_BENCH_THREADS="1 2 4" benchmarks/kernels/run.sh
#
# Builds native/ (Release, no CUDA) into benchmarks/results/.kernels-build and a small shared
# library with a C ABI over the kernels (native/bench/bench_capi.cpp). Needs cmake, g++ and
# python3; numpy is installed from PyPI when missing (its column is skipped if that fails).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${DW_BENCH_BUILD_DIR:-$root/benchmarks/results/.kernels-build}"
mkdir -p "$build"

cmake -S "$root/native" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDW_CUDA=OFF -DDW_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target dw_cpu >/dev/null
g++ -std=c++17 -O3 -fPIC -shared -I"$root/native/include" -I"$root/native/src/cpu" \
  "$root/native/bench/bench_capi.cpp" "$build/libdw_cpu.a" "$build/libdw_tensor.a" -lpthread -ldl \
  -o "$build/libdw_bench.so"

cpp_only() {
  echo "note: $1, so the numpy/OpenBLAS column is skipped; running the C++ benchmark alone." >&2
  g++ -std=c++17 -O3 -I"$root/native/include" -I"$root/native/src/cpu" "$root/native/bench/bench_gemm.cpp" \
    "$build/libdw_cpu.a" "$build/libdw_tensor.a" -lpthread -ldl -o "$build/bench_gemm"
  exec "$build/bench_gemm" ${DW_BENCH_THREADS:-1 2}
}
command -v python3 >/dev/null || cpp_only "python3 is not installed"
if ! python3 -c 'import numpy' 2>/dev/null; then
  python3 -m pip install --quiet --user numpy >/dev/null 2>&1 || python3 -m pip install --quiet numpy >/dev/null 2>&1 || true
  python3 -c 'import numpy' 2>/dev/null || cpp_only "numpy could not be installed"
fi
mkdir -p "$root/benchmarks/results"
exec python3 "$here/bench.py" --lib "$build/libdw_bench.so" --out "$root/benchmarks/results/kernels.json" \
  --threads ${DW_BENCH_THREADS:-1 2} "$@"
