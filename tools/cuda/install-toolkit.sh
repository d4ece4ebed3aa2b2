#!/usr/bin/env bash
# Installs the pieces of the CUDA 13.0 toolkit the native build needs (nvcc, the runtime, cuBLAS
# and the headers) from PyPI wheels into a cache outside the repository, so machines without a
# system toolkit can still compile libdw_cuda.so. Idempotent: a complete install is reused.
# Prints the CUDA root on the last line of stdout (everything else goes to stderr), e.g.
#   export DW_CUDA_HOME=$(bash tools/cuda/install-toolkit.sh)
# 13.0 because the GPU machines run driver 580 (CUDA 13.0) and ship libcublas.so.13.
set -euo pipefail

root="${DW_CUDA_HOME:-$HOME/.cache/distil-whisper/cuda-13.0}"
stamp="$root/.dw-toolkit-13.0-v1"
packages=(
  "nvidia-cuda-nvcc==13.0.*"
  "nvidia-cuda-runtime==13.0.*"
  "nvidia-cuda-crt==13.0.*"
  "nvidia-cuda-cccl==13.0.*"
  "nvidia-cublas==13.0.*"
  "nvidia-nvvm==13.0.*"
)

log() { echo "install-toolkit: $*" >&2; }

# DW_CUDA_HOME may already name a toolkit root (what this script prints, or a system toolkit).
if [[ -x "$root/bin/nvcc" && -e "$root/lib/libcublas.so.13" || -x "$root/bin/nvcc" && -e "$root/lib64/libcublas.so.13" ]]; then
  log "using the toolkit at $root"
  echo "$root"
  exit 0
fi
if [[ -f "$stamp" && -x "$root/cuda/bin/nvcc" ]]; then
  log "toolkit already installed in $root"
  echo "$root/cuda"
  exit 0
fi

py="${PYTHON:-$(command -v python3 || command -v python || true)}"
if [[ -z "$py" ]]; then
  log "python3 with pip is needed to fetch the toolkit wheels"
  exit 1
fi

# The wheels unpack under site/nvidia/cu13/{bin,include,lib,nvvm}; the root we hand to CMake
# is that cu13 directory, laid out like a classic /usr/local/cuda.
site="$root/site"
rm -rf "$site"
mkdir -p "$site"
log "installing ${packages[*]} into $site"
"$py" -m pip install --quiet --disable-pip-version-check --no-deps --target "$site" "${packages[@]}" >&2

cu="$site/nvidia/cu13"
if [[ ! -x "$cu/bin/nvcc" ]]; then
  log "nvcc not found at $cu/bin/nvcc after install; layout:"
  find "$site/nvidia" -maxdepth 3 >&2
  exit 1
fi
# Linkers look for the unversioned names; the wheels ship only the sonames.
for lib in "$cu"/lib/*.so.[0-9]*; do
  base="${lib%%.so.*}.so"
  [[ -e "$base" ]] || ln -s "$(basename "$lib")" "$base"
done
# CMake's FindCUDAToolkit expects lib64 next to lib on Linux layouts.
[[ -e "$cu/lib64" ]] || ln -s lib "$cu/lib64"
ln -sfn "site/nvidia/cu13" "$root/cuda"
touch "$stamp"
log "CUDA root: $root/cuda ($("$cu/bin/nvcc" --version | tail -1))"
echo "$root/cuda"
