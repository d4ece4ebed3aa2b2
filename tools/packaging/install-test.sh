#!/usr/bin/env bash
# Install test: the packages as a user gets them. Packs every package (npm pack), installs the
# tarballs into an empty project outside the repository (third-party dependencies from the
# registry; @distil-whisper/kernels builds its addon from the C++ sources in its tarball), then
# runs each package's README Quick start there — its first ```ts block, with the README's
# placeholder paths pointed at real files — and the two CLIs. The facade's example is a real
# transcription of jfk.wav by the real Whisper base model.
#
#   tools/packaging/install-test.sh MODEL_DIR
#     MODEL_DIR: Hugging Face Whisper base directory (tools/real-weights/fetch.sh base prints it)
#   env: DW_REFERENCE_DIR (jfk.wav, jfk.flac, english.json; default ../shared/reference),
#        DW_INSTALL_TEST_DIR (default: a new mktemp dir, removed afterwards unless KEEP=1),
#        DW_BUILD_JOBS (default 2), DW_INSTALL_TEST_CUDA: DW_CUDA of the kernels build (default OFF: CUDA
#        is built and tested by the main suite, and would take most of the time here).
# Needs the packages built (npm run build).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
model="$(cd "${1:?usage: install-test.sh MODEL_DIR}" && pwd)"
ref="$(cd "${DW_REFERENCE_DIR:-$repo/../shared/reference}" && pwd)"
work="${DW_INSTALL_TEST_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dw-install-test-XXXXXX")}"
case "$work" in "$repo"/*) echo "error: $work is inside the repository" >&2; exit 1 ;; esac
mkdir -p "$work"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
started=$(date +%s)
step() { echo "=== [install-test $(($(date +%s) - started))s] $*"; }

step "pack (into $work/tarballs)"
node "$repo/tools/packaging/pack.mjs" "$work/tarballs" > "$work/tarballs.tsv"
cut -f2 "$work/tarballs.tsv" | xargs -n1 basename

step "install the tarballs into an empty project"
app="$work/app"
mkdir -p "$app"
cat > "$app/package.json" <<'JSON'
{
  "name": "dw-install-test",
  "private": true,
  "type": "module",
  "allowScripts": { "@distil-whisper/kernels": true }
}
JSON
(
  cd "$app"
  # Every tarball at once, so each package's dependency on another of ours is the tarball.
  DW_CUDA="${DW_INSTALL_TEST_CUDA:-OFF}" DW_BUILD_JOBS="${DW_BUILD_JOBS:-2}" \
    npm install --no-audit --no-fund --loglevel=error --foreground-scripts $(cut -f2 "$work/tarballs.tsv" | tr '\n' ' ')
  # Runs the TypeScript examples; a tool of this test, not a dependency of the packages.
  npm install --no-audit --no-fund --loglevel=error --save-dev tsx@^4.20.0
)
test -f "$app/node_modules/@distil-whisper/kernels/build/Release/dw_native.node" ||
  { echo "error: the kernels addon was not built at install" >&2; exit 1; }
step "installed"

# The first ```ts block after "## Quick start" in a README, placeholders replaced.
example() { # package file [sed expressions...]
  local pkg="$1" out="$app/$2"; shift 2
  awk '/^## Quick start/{q=1} q&&/^```ts$/{f=1;next} f&&/^```$/{exit} f' "$repo/packages/$pkg/README.md" > "$out"
  [ -s "$out" ] || { echo "error: no Quick start example in packages/$pkg/README.md" >&2; exit 1; }
  for e in "$@"; do sed -i "$e" "$out"; done
}
run() { # file [expected output regex]
  step "run $1"
  local log="$work/$1.log"
  (cd "$app" && NODE_OPTIONS= npx tsx "$1") 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "error: $1 failed" >&2; exit 1; }
  if [ -n "${2:-}" ] && ! grep -Eq "$2" "$log"; then
    echo "error: $1 printed nothing matching /$2/" >&2
    exit 1
  fi
}

example kernels kernels.ts
run kernels.ts '\[ 1, 1500, 768 \]'

example audio audio.ts "s#'speech.flac'#'$ref/assets/jfk.flac'#" "s#'./distil-large-v3'#'$model'#"
echo "console.log(audio.length, shape, mel.data.length);" >> "$app/audio.ts"
run audio.ts '^176000 \[ 1, 80, 3000 \] 240000$'

example tokenizer tokenizer.ts "s#'./distil-large-v3'#'$model'#"
echo "console.log(prompt, ids, tok.decode([...prompt, ...ids, tok.special.eot], { skipSpecialTokens: true }));" >> "$app/tokenizer.ts"
run tokenizer.ts "Hello world\\."

example metrics metrics.ts "s#'./distil-large-v3'#'$ref/assets/english.json'#" \
  "1a const references = ['The colour is red.'];\nconst hypotheses = ['the color is read'];"
run metrics.ts '^WER 25\.00 %'

example model model.ts "s#/tmp/distil-small-random#$work/random-distil-small#g"
echo "console.log('tokens', tokens);" >> "$app/model.ts"
run model.ts '^tokens'

example distill distill.ts "s#'./whisper-base'#'$model'#" "s#'./student'#'$work/student'#"
run distill.ts '\[ 0, 5 \]'

example distil-whisper facade.ts "s#'./distil-small.en'#'$model'#" "s#'speech.wav'#'$ref/assets/jfk.wav'#"
run facade.ts 'ask not what your country can do for you'

step "CLIs"
(
  cd "$app"
  npx distil-whisper transcribe "$ref/assets/jfk.wav" -m "$model" | tee "$work/cli.log"
  grep -q 'ask not what your country can do for you' "$work/cli.log"
  npx distil-whisper create-random --preset tiny --dtype f16 --tokenizer "$model" --out "$work/random-tiny"
  test -f "$work/random-tiny/tokenizer.json"
  # Outside the repository there is no reference tokenizer: the command must say so.
  env -u DW_REFERENCE_DIR npx distil-whisper create-random --preset tiny --out "$work/random-no-tokenizer" 2>&1 |
    tee "$work/create-random.log"
  grep -q 'has no tokenizer.*--tokenizer DIR' "$work/create-random.log"
  printf 'the cat sat\nhello world\n' > refs.txt
  printf 'the cat sat down\nhello world\n' > hyps.txt
  npx distil-whisper-wer --ref refs.txt --hyp hyps.txt | tee "$work/wer.log"
  grep -Eq 'WER' "$work/wer.log"
)
step "passed in $(($(date +%s) - started))s"
