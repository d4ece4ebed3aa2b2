#!/usr/bin/env bash
# Builds whisper.cpp from a source snapshot and converts our Hugging Face Whisper checkpoints to
# ggml f16 with whisper.cpp's own converter, for benchmarks/inference/side-by-side.
#
#   bash tools/whisper-cpp/build.sh            # whisper base
#   DW_WHISPER_CPP_MODELS="base tiny.en" bash tools/whisper-cpp/build.sh
#
# Environment:
#   WHISPER_CPP_SRC   the sources, one of: a git directory (bare, e.g. the `fetch` tool's
#                     /work/.mirror/ggml-org+whisper.cpp/repo, or a checkout's .git), a source
#                     tarball (.tar/.tar.gz/.tgz/.tar.xz) or an unpacked source directory.
#                     Default: /work/.mirror/ggml-org+whisper.cpp/repo
#   WHISPER_CPP_REF   with a git directory: the commit to export (default: the pinned one below,
#                     the commit the side-by-side benchmark was set up with; HEAD for the newest)
#   WHISPER_CPP_COMMIT  with a tarball or plain directory: the commit it is, for the record
#   DW_WHISPER_CPP_DIR  output root (default ~/.cache/distil-whisper/whisper.cpp)
#   DW_WHISPER_CPP_MODELS  HF checkpoints under ~/.cache/distil-whisper/real-weights/hf to convert
#                     (default "base"; each must exist: bash tools/real-weights/fetch.sh NAME)
#   DW_PYTHON         the python that runs the converter (default ~/.cache/distil-whisper/pyref/bin/python;
#                     needs torch, transformers and the openai-whisper package for its mel filters)
#   JOBS              build parallelism (default 2); the build runs under nice
#
# Writes under DW_WHISPER_CPP_DIR: src/ (the exported tree), build/, bin/whisper-cli,
# bin/dw-whisper-bench (our timing driver, tools/whisper-cpp/dw-whisper-bench.cpp),
# models/ggml-<name>-f16.bin and BUILD_INFO.json (commit, flags, compiler, model hashes).
# Re-running skips what is already up to date.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="$HOME/.cache/distil-whisper"
out="${DW_WHISPER_CPP_DIR:-$cache/whisper.cpp}"
src_in="${WHISPER_CPP_SRC:-/work/.mirror/ggml-org+whisper.cpp/repo}"
# whisper.cpp master of 2026-08-22 ("whisper : bypass cross-attention scaling for OpenVINO backend").
pinned=233fe1fc9b48a09e361d3594520838ca266537fe
ref="${WHISPER_CPP_REF:-$pinned}"
models="${DW_WHISPER_CPP_MODELS:-base}"
py="${DW_PYTHON:-$cache/pyref/bin/python}"
jobs="${JOBS:-2}"
say() { printf '[whisper.cpp] %s\n' "$*" >&2; }
die() {
  printf '[whisper.cpp] error: %s\n' "$*" >&2
  exit 1
}

command -v cmake >/dev/null || die "cmake not found (apt-get install cmake)"
command -v c++ >/dev/null || die "no C++ compiler (apt-get install g++)"
[ -e "$src_in" ] || die "WHISPER_CPP_SRC=$src_in does not exist (bring a snapshot with the fetch tool: github:ggml-org/whisper.cpp)"
mkdir -p "$out"

# 1. Sources -> $out/src, and which commit they are.
commit=""
source_desc=""
if git --git-dir="$src_in" rev-parse --verify -q "$ref^{commit}" >/dev/null 2>&1; then
  commit="$(git --git-dir="$src_in" rev-parse "$ref^{commit}")"
  source_desc="git:$src_in@$ref"
elif [ -d "$src_in/.git" ] && git --git-dir="$src_in/.git" rev-parse --verify -q "$ref^{commit}" >/dev/null 2>&1; then
  src_in="$src_in/.git"
  commit="$(git --git-dir="$src_in" rev-parse "$ref^{commit}")"
  source_desc="git:$src_in@$ref"
elif [ -f "$src_in" ]; then
  # Tarballs made by git archive (GitHub's source downloads are) carry their commit id.
  case "$src_in" in
    *.gz | *.tgz) tar_commit="$(gzip -dc "$src_in" | git get-tar-commit-id 2>/dev/null || true)" ;;
    *.xz) tar_commit="$(xz -dc "$src_in" | git get-tar-commit-id 2>/dev/null || true)" ;;
    *) tar_commit="$(git get-tar-commit-id <"$src_in" 2>/dev/null || true)" ;;
  esac
  commit="${WHISPER_CPP_COMMIT:-${tar_commit:-unknown (tarball sha256 $(sha256sum "$src_in" | cut -d' ' -f1))}}"
  source_desc="tarball:$src_in"
elif [ -f "$src_in/include/whisper.h" ]; then
  commit="${WHISPER_CPP_COMMIT:-unknown (source directory)}"
  source_desc="dir:$src_in"
else
  die "$src_in is neither a git directory with $ref, a tarball nor a whisper.cpp source tree"
fi

stamp="$out/src/.dw-source"
# The same commit, wherever it came from, is not exported (nor built) again.
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$commit" ] && [ "${commit#unknown}" = "$commit" ]; then
  say "sources up to date ($commit)"
else
  say "exporting $source_desc ($commit)"
  rm -rf "$out/src.tmp"
  mkdir -p "$out/src.tmp"
  case "$source_desc" in
    git:*) git --git-dir="$src_in" archive --format=tar "$commit" | tar -x -C "$out/src.tmp" ;;
    tarball:*)
      tar -xf "$src_in" -C "$out/src.tmp"
      # A tarball with one top folder (whisper.cpp-<tag>/): lift its contents.
      if [ ! -f "$out/src.tmp/include/whisper.h" ]; then
        top="$(find "$out/src.tmp" -mindepth 1 -maxdepth 1)"
        [ "$(printf '%s\n' "$top" | wc -l)" = 1 ] && [ -f "$top/include/whisper.h" ] ||
          die "$src_in does not hold a whisper.cpp tree"
        mv "$top" "$out/src.tmp.inner" && rm -rf "$out/src.tmp" && mv "$out/src.tmp.inner" "$out/src.tmp"
      fi
      ;;
    dir:*) cp -a "$src_in/." "$out/src.tmp/" ;;
  esac
  [ -f "$out/src.tmp/include/whisper.h" ] || die "exported tree has no include/whisper.h"
  echo "$commit" >"$out/src.tmp/.dw-source"
  rm -rf "$out/src" "$out/build"
  mv "$out/src.tmp" "$out/src"
fi

# 2. Build: Release, GGML_NATIVE=ON (-march=native), CPU only, static libraries.
cmake_flags=(
  -DCMAKE_BUILD_TYPE=Release
  -DGGML_NATIVE=ON
  -DBUILD_SHARED_LIBS=OFF
  -DGGML_CUDA=OFF
  -DGGML_VULKAN=OFF
  -DGGML_METAL=OFF
  -DGGML_BLAS=OFF
  -DGGML_CCACHE=OFF
  -DWHISPER_SDL2=OFF
  -DWHISPER_CURL=OFF
  -DWHISPER_CPP_SOURCE="$out/src"
)
generator=()
command -v ninja >/dev/null && [ ! -f "$out/build/Makefile" ] && generator=(-G Ninja)
say "configuring: ${cmake_flags[*]}"
nice -n 10 cmake -S "$here" -B "$out/build" "${generator[@]}" "${cmake_flags[@]}" >"$out/cmake-configure.log" 2>&1 ||
  {
    tail -30 "$out/cmake-configure.log" >&2
    die "cmake configure failed (log: $out/cmake-configure.log)"
  }
say "building whisper-cli and dw-whisper-bench with -j$jobs (log: $out/cmake-build.log)"
nice -n 10 cmake --build "$out/build" -j "$jobs" --target whisper-cli dw-whisper-bench >"$out/cmake-build.log" 2>&1 ||
  {
    tail -30 "$out/cmake-build.log" >&2
    die "build failed (log: $out/cmake-build.log)"
  }
mkdir -p "$out/bin"
for b in whisper-cli dw-whisper-bench; do
  f="$(find "$out/build" -type f -name "$b" -perm -u+x | head -1)"
  [ -n "$f" ] || die "built, but $b is not in $out/build"
  cp -f "$f" "$out/bin/$b.tmp" && mv -f "$out/bin/$b.tmp" "$out/bin/$b"
done
# The flags the sources were compiled with (build.ninja, or flags.make with Makefiles), for the record.
cpu_flags="$({
  [ -f "$out/build/build.ninja" ] && cat "$out/build/build.ninja"
  find "$out/build" -name flags.make -exec cat {} +
} 2>/dev/null | grep -oE -- '-march=[a-z0-9-]+|-mcpu=[a-z0-9-]+|-fopenmp' | sort -u | tr '\n' ' ' || true)"

# 3. Models: HF checkpoint -> ggml f16 with whisper.cpp's models/convert-h5-to-ggml.py. It reads
# vocab.json and added_tokens.json (our HF folders hold tokenizer.json only: both are written from
# it into a staging folder beside links to the checkpoint) and openai-whisper's
# whisper/assets/mel_filters.npz under the folder given as its second argument: the pyref venv's
# site-packages, where the openai-whisper package puts it.
[ -x "$py" ] || die "python $py not found (DW_PYTHON)"
whisper_pkg_root="$("$py" -c 'import importlib.util as u, os; s = u.find_spec("whisper"); print(os.path.dirname(list(s.submodule_search_locations)[0]))' 2>/dev/null)" ||
  die "$py has no openai-whisper package (pip install openai-whisper): the converter needs its whisper/assets/mel_filters.npz"
[ -f "$whisper_pkg_root/whisper/assets/mel_filters.npz" ] || die "no whisper/assets/mel_filters.npz under $whisper_pkg_root"
mkdir -p "$out/models"
model_records=()
for name in $models; do
  hf="$cache/real-weights/hf/$name"
  [ -f "$hf/model.safetensors" ] || die "$hf missing: bash tools/real-weights/fetch.sh $name"
  dst="$out/models/ggml-$name-f16.bin"
  input_hash="$(cat "$hf/config.json" "$hf/model.safetensors" "$hf/tokenizer.json" | sha256sum | cut -d' ' -f1)"
  if [ -f "$dst" ] && [ -f "$dst.source" ] && [ "$(cat "$dst.source")" = "$input_hash $commit" ]; then
    say "models/ggml-$name-f16.bin up to date"
  else
    say "converting $hf -> $dst (convert-h5-to-ggml.py, f16)"
    stage="$out/models/.stage-$name"
    rm -rf "$stage" && mkdir -p "$stage/hf" "$stage/out"
    for f in config.json generation_config.json preprocessor_config.json tokenizer.json model.safetensors; do
      [ -e "$hf/$f" ] && ln -s "$hf/$f" "$stage/hf/$f"
    done
    "$py" - "$hf/tokenizer.json" "$stage/hf" <<'PY'
import json, sys
tok = json.load(open(sys.argv[1], encoding="utf8"))
vocab = tok["model"]["vocab"]
added = {t["content"]: t["id"] for t in tok.get("added_tokens", []) if t["content"] not in vocab}
json.dump(vocab, open(f"{sys.argv[2]}/vocab.json", "w", encoding="utf8"), ensure_ascii=False)
json.dump(added, open(f"{sys.argv[2]}/added_tokens.json", "w", encoding="utf8"), ensure_ascii=False)
PY
    nice -n 10 "$py" "$out/src/models/convert-h5-to-ggml.py" "$stage/hf" "$whisper_pkg_root" "$stage/out" \
      >"$out/models/convert-$name.log" 2>&1 ||
      {
        tail -20 "$out/models/convert-$name.log" >&2
        die "conversion of $name failed (log: $out/models/convert-$name.log)"
      }
    mv -f "$stage/out/ggml-model.bin" "$dst"
    echo "$input_hash $commit" >"$dst.source"
    rm -rf "$stage"
  fi
done
# Every converted model there is (also those of earlier runs with other DW_WHISPER_CPP_MODELS).
for dst in "$out"/models/ggml-*-f16.bin; do
  [ -f "$dst" ] || continue
  name="$(basename "$dst" -f16.bin)"
  name="${name#ggml-}"
  model_records+=("{\"name\":\"$name\",\"file\":\"$dst\",\"bytes\":$(stat -c %s "$dst"),\"sha256\":\"$(sha256sum "$dst" | cut -d' ' -f1)\",\"from\":\"$cache/real-weights/hf/$name\"}")
done

# 4. The record.
cxx="$(c++ --version | head -1)"
info_tmp="$out/BUILD_INFO.json.tmp"
{
  printf '{\n  "commit": "%s",\n  "source": "%s",\n' "$commit" "$source_desc"
  printf '  "cmake_flags": "%s",\n' "${cmake_flags[*]}"
  printf '  "cpu_compile_flags": "%s",\n' "${cpu_flags% }"
  printf '  "compiler": "%s",\n  "built": "%s",\n' "$cxx" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "bin": ["%s", "%s"],\n' "$out/bin/whisper-cli" "$out/bin/dw-whisper-bench"
  printf '  "models": [%s]\n}\n' "$(
    IFS=,
    echo "${model_records[*]}"
  )"
} >"$info_tmp"
mv -f "$info_tmp" "$out/BUILD_INFO.json"
say "done: $out/BUILD_INFO.json"
cat "$out/BUILD_INFO.json"
