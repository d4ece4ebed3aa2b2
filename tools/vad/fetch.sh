#!/usr/bin/env bash
# Fetches Silero VAD from PyPI (the `silero-vad` package, MIT licence), pinned by version and
# wheel sha256, and converts its ONNX model into the folder our VAD reads (model.safetensors +
# config.json). Prints that folder as the last line; point DW_VAD_MODEL_DIR at it, or leave it at
# the default location, where the runtime looks first.
#
#   bash tools/vad/fetch.sh
#
# Needs python3 with pip (standard library only otherwise). Third-party weights are never
# committed: everything lives in ${DW_VAD_CACHE:-~/.cache/distil-whisper/vad}. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${DW_VAD_CACHE:-$HOME/.cache/distil-whisper/vad}"
version=6.2.3
sha=7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8
wheel="$cache/wheels/silero_vad-$version-py3-none-any.whl"
out="$cache/silero-vad-$version"
mkdir -p "$cache/wheels"

if [ ! -f "$wheel" ]; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$cache/wheels" "silero-vad==$version" >&2
fi
sum="$(sha256sum "$wheel" | cut -d' ' -f1)"
if [ "$sum" != "$sha" ]; then
  echo "error: $wheel has sha256 $sum, expected $sha (delete it to re-download)" >&2
  exit 1
fi
if [ ! -f "$out/model.safetensors" ] || ! grep -q "$sha" "$out/config.json" 2>/dev/null; then
  python3 "$here/convert.py" "$wheel" "$out" >&2
fi
echo "$out"
