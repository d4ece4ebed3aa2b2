#!/usr/bin/env bash
# The one script to run on a GPU machine, from the repository root of a working tree that carries
# the native build made on a CPU machine (`DW_CUDA=ON npm run build:native`: native/build/Release
# with dw_native.node and libdw_cuda.so, native/build/bin with the test/benchmark executables).
#
#   OUT=/some/dir bash tools/gpu/run-gpu-checks.sh      # OUT defaults to ./gpu-out
#
# Steps (each with its own timeout; a failure is recorded and the script goes on):
#   1. nvidia-smi, library path for libcublas.so.13 (system toolkit and/or torch's venv)
#   2. rebuild libdw_cuda + GPU tests with the machine's toolkit, only if the carried build is
#      missing or cannot load (or DW_GPU_REBUILD=1)
#   3. test_cuda_ops: every CUDA op against the CPU op
#   4. bench_cuda_ops (ours) and benchmarks/cuda/torch_baseline.py (PyTorch, same shapes)
#   5. summary.md with the two side by side, and a Node smoke test when tools/gpu/node.xz exists
# Writes $OUT/results.json, $OUT/summary.md and one log per step; finishes in about 6 minutes at
# most (DW_GPU_BUDGET_S, default 330 s). Exits 0 unless the GPU tests failed.
set -u

start=$(date +%s)
budget=${DW_GPU_BUDGET_S:-330}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUT:-./gpu-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
build=${DW_BUILD_DIR:-$root/native/build}
declare -A status

log() { echo "[gpu-checks $(($(date +%s) - start))s] $*"; }
remaining() { echo $((budget - ($(date +%s) - start))); }

write_results() {
  {
    echo "{"
    echo "  \"gpu\": $1,"
    echo "  \"elapsed_s\": $(($(date +%s) - start)),"
    echo "  \"build_dir\": \"$build\","
    echo "  \"steps\": {"
    local first=1
    for k in "${!status[@]}"; do
      [[ $first == 1 ]] || echo ","
      first=0
      printf '    "%s": "%s"' "$k" "${status[$k]}"
    done
    echo ""
    echo "  }"
    echo "}"
  } >"$OUT/results.json"
}

# run_step NAME MAX_SECONDS CMD... : runs with a timeout bounded by the remaining budget, logs to
# $OUT/NAME.log (and stdout), records ok / failed (rc) / skipped (77) / timeout / no-time.
run_step() {
  local name=$1 max=$2
  shift 2
  local left
  left=$(($(remaining) - 10))
  if ((left < 15)); then
    status[$name]="no-time"
    log "$name: skipped, out of time"
    return 0
  fi
  local t=$((max < left ? max : left))
  log "$name (timeout ${t}s): $*"
  timeout --kill-after=5 "$t" "$@" 2>&1 | tee "$OUT/$name.log"
  local rc=${PIPESTATUS[0]}
  case $rc in
    0) status[$name]="ok" ;;
    77) status[$name]="skipped" ;;
    124 | 137) status[$name]="timeout" ;;
    *) status[$name]="failed (rc $rc)" ;;
  esac
  log "$name: ${status[$name]}"
  return 0
}

# ---- 1. device and libraries --------------------------------------------------------------
log "repo $root, build $build, out $OUT"
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1; then
  log "no GPU: nvidia-smi missing or failing"
  status[nvidia-smi]="no GPU"
  gpu=false
else
  cat "$OUT/nvidia-smi.txt"
  status[nvidia-smi]="ok"
  gpu=true
fi

libdirs=()
for d in /usr/local/cuda-13.0/lib64 /usr/local/cuda/lib64 \
  /opt/torch/.venv/lib/python3*/site-packages/nvidia/cu13/lib \
  /opt/torch/.venv/lib/python3*/site-packages/nvidia/cublas/lib; do
  [[ -e $d/libcublas.so.13 ]] && libdirs+=("$d")
done
if command -v python3 >/dev/null 2>&1; then
  pyd=$(python3 -c 'import nvidia, os; p = list(nvidia.__path__)[0]; print(p)' 2>/dev/null || true)
  for d in "$pyd/cu13/lib" "$pyd/cublas/lib"; do
    [[ -n $pyd && -e $d/libcublas.so.13 ]] && libdirs+=("$d")
  done
fi
ld=$(IFS=:; echo "${libdirs[*]:-}")
export LD_LIBRARY_PATH="${ld}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
[[ ${#libdirs[@]} -gt 0 ]] || log "warning: no libcublas.so.13 found in the usual places"

# ---- 2. the build ----------------------------------------------------------------------------
lib="$build/Release/libdw_cuda.so"
bin="$build/bin"
# Rebuild only when the carried library itself cannot be loaded (missing, glibc/soname mismatch):
# "no device" would not get better with a rebuild.
carried_broken() {
  [[ -x $bin/test_cuda_ops && -f $lib ]] || return 0
  local msg
  msg=$(DW_CUDA_LIB=$lib "$bin/test_cuda_ops" --probe 2>&1)
  log "probe: $msg"
  [[ $msg == *"libdw_cuda"* || $msg == *"ABI"* ]]
}
if $gpu && { [[ ${DW_GPU_REBUILD:-0} == 1 ]] || carried_broken; }; then
  log "carried build missing or not loadable: rebuilding with the machine's toolkit"
  [[ -f $lib ]] && { ldd "$lib" >"$OUT/ldd-carried.txt" 2>&1; cat "$OUT/ldd-carried.txt"; }
  nvcc=/usr/local/cuda-13.0/bin/nvcc
  [[ -x $nvcc ]] || nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  rb=/tmp/dw-gpu-build
  run_step rebuild 200 bash -c "cmake -S '$root/native' -B '$rb' -DDW_CUDA=ON -DCMAKE_CUDA_COMPILER='$nvcc' \
    -DCMAKE_CUDA_ARCHITECTURES=90-real >/dev/null && cmake --build '$rb' -j16 --target dw_cuda test_cuda_ops bench_cuda_ops"
  if [[ ${status[rebuild]} == ok ]]; then
    build=$rb
    lib="$rb/Release/libdw_cuda.so"
    bin="$rb/bin"
  fi
fi
ls -la "$build/Release" "$bin" 2>&1 | tee "$OUT/build-files.txt" >/dev/null
export DW_CUDA_LIB=$lib

# ---- 3. GPU tests -----------------------------------------------------------------------------
if [[ -x $bin/test_cuda_ops ]]; then
  run_step test_cuda_ops 150 "$bin/test_cuda_ops"
else
  status[test_cuda_ops]="missing ($bin/test_cuda_ops)"
  log "test_cuda_ops: ${status[test_cuda_ops]}"
fi
if ! $gpu; then
  write_results false
  log "no GPU: nothing else to run. results: $OUT/results.json"
  exit 0
fi

# ---- 4. benchmarks ----------------------------------------------------------------------------
quick=()
[[ ${DW_GPU_QUICK:-0} == 1 ]] && quick=(--quick)
if [[ -x $bin/bench_cuda_ops ]]; then
  run_step bench_ours 90 "$bin/bench_cuda_ops" --json "$OUT/bench_ours.json" "${quick[@]}"
else
  status[bench_ours]="missing"
fi
write_results true
if command -v python3 >/dev/null 2>&1; then
  run_step bench_torch 150 python3 "$root/benchmarks/cuda/torch_baseline.py" --json "$OUT/bench_torch.json" "${quick[@]}"
  python3 "$root/benchmarks/cuda/summarize.py" "$OUT/bench_ours.json" "$OUT/bench_torch.json" >"$OUT/summary.md" 2>&1 || true
else
  status[bench_torch]="no python3"
fi
write_results true

# ---- 5. Node smoke test (optional) --------------------------------------------------------------
if [[ -f $root/tools/gpu/node.xz ]]; then
  node=/tmp/dw-node
  if xz -dc "$root/tools/gpu/node.xz" >"$node" 2>"$OUT/node-unpack.log" && chmod +x "$node"; then
    run_step node_smoke 40 "$node" "$root/tools/gpu/node-smoke.cjs" "$build/Release/dw_native.node"
    # The Whisper graph on cuda (bundle made by esbuild from benchmarks/cuda/model_gpu.ts).
    if [[ -f $root/.cache/gpu/model_gpu.mjs ]]; then
      OUT=$OUT DW_NATIVE_PATH=$build/Release/dw_native.node \
        run_step model_gpu 150 "$node" "$root/.cache/gpu/model_gpu.mjs"
    fi
  else
    status[node_smoke]="unpack failed"
  fi
else
  status[node_smoke]="skipped (no tools/gpu/node.xz)"
fi

write_results true
echo
echo "================ summary ================"
for k in "${!status[@]}"; do printf '  %-16s %s\n' "$k" "${status[$k]}"; done
[[ -f $OUT/summary.md ]] && cat "$OUT/summary.md"
grep -E "^FAIL|checks," "$OUT/test_cuda_ops.log" 2>/dev/null | head -40
log "done; results in $OUT"
[[ ${status[test_cuda_ops]:-} == ok ]]
