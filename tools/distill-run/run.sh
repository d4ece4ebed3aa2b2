#!/usr/bin/env bash
# Our own distilled student, end to end (issue "our own distilled student"): real whisper base as
# teacher → synthetic training speech → pseudo-labels (teacher greedy, packed to 30 s, timestamps)
# → WER filter (λ) → create-student (2 decoder layers from teacher layers [0, 5]) → distill →
# export the trained layers as a shipped student delta → the results table.
#
#   bash tools/distill-run/run.sh [step...]     steps: fetch corpus label filter student train export results
#                                               (default: all, in order; each is skipped when its output exists)
#
# Settings (environment): RUN (name, default base-2l-v1), CORPUS (synth-v1), HOURS (3), SEED (1),
# LAMBDA (10), STEPS (435), BATCH (8), LR (1e-4), WARMUP (50), EVAL_STEPS (100), SAVE_STEPS (50),
# THREADS (2), TS_PROB (0.2), PROMPT_PROB (0.2), FREEZE ("--freeze-embed-positions --freeze-embed-tokens").
# Everything large goes under ~/.cache/distil-whisper (never the repository); the training run
# resumes from its last checkpoint when re-run. Progress goes to $WORK/<step>.log.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${DW_CACHE:-$HOME/.cache/distil-whisper}"
RUN="${RUN:-base-2l-v1}"
CORPUS="${CORPUS:-synth-v1}"
HOURS="${HOURS:-3}"
SEED="${SEED:-1}"
LAMBDA="${LAMBDA:-10}"
STEPS="${STEPS:-435}"
BATCH="${BATCH:-8}"
LR="${LR:-1e-4}"
WARMUP="${WARMUP:-50}"
EVAL_STEPS="${EVAL_STEPS:-100}"
SAVE_STEPS="${SAVE_STEPS:-50}"
THREADS="${THREADS:-2}"
TS_PROB="${TS_PROB:-0.2}"
PROMPT_PROB="${PROMPT_PROB:-0.2}"
FREEZE="${FREEZE:---freeze-embed-positions --freeze-embed-tokens}"
WORK="$cache/runs/$RUN"
corpus_dir="$cache/corpus/$CORPUS"
mkdir -p "$WORK"

dw() { node --conditions=@distil-whisper/source --import tsx "$repo/packages/distil-whisper/src/cli.ts" "$@"; }
log() { echo "[$(date +%H:%M:%S)] $*"; }

teacher="$cache/real-weights/hf/base"
step_fetch() {
  teacher="$(bash "$repo/tools/real-weights/fetch.sh" base | tail -1)"
  log "teacher: $teacher"
}
step_corpus() {
  if grep -q '"complete": true' "$corpus_dir/stats.json" 2>/dev/null; then
    log "corpus $CORPUS is complete"
    return
  fi
  local py="$cache/corpus-venv/bin/python"
  [ -x "$py" ] || { echo "run: sudo bash tools/corpus/install.sh first" >&2; exit 1; }
  mkdir -p "$corpus_dir"
  "$py" "$repo/tools/corpus/synthesize.py" --name "$CORPUS" --hours "$HOURS" --seed "$SEED" \
    > "$corpus_dir/synthesize.log" 2>&1
}
step_label() {
  # Resumable: ids already in the output are skipped.
  dw pseudo-label --teacher "$teacher" --manifest "$corpus_dir/train.jsonl" \
    --out "$WORK/labels.jsonl" --language en --timestamps --concatenate-audio --max-duration 30 \
    --batch-size 8 --threads "$THREADS" 2>&1 | tee -a "$WORK/label.log"
}
step_filter() {
  if [ -f "$WORK/train.jsonl" ]; then log "filtered manifest exists"; return; fi
  dw filter --manifest "$WORK/labels.jsonl" --out "$WORK/train.jsonl" --wer-threshold "$LAMBDA" \
    --language en --spelling-map "$repo/../shared/reference/assets/english.json" --sweep \
    2>&1 | tee "$WORK/filter.log"
}
step_student() {
  if [ -f "$WORK/student-init/config.json" ]; then log "initial student exists"; return; fi
  dw create-student --teacher "$teacher" --decoder-layers 2 --out "$WORK/student-init"
}
step_train() {
  local resume=()
  [ -d "$WORK/train" ] && resume=(--resume)
  # shellcheck disable=SC2086
  dw distill --teacher "$teacher" --student "$WORK/student-init" \
    --train-manifest "$WORK/train.jsonl" --eval-manifest "$corpus_dir/eval.jsonl" \
    --output-dir "$WORK/train" --max-steps "$STEPS" --batch-size "$BATCH" --learning-rate "$LR" \
    --lr-scheduler constant --warmup-steps "$WARMUP" --max-grad-norm 1.0 --temperature 2 \
    --ce-weight 0.8 --kl-weight 1.0 --timestamp-probability "$TS_PROB" \
    --condition-on-prev-probability "$PROMPT_PROB" $FREEZE --seed "$SEED" \
    --save-steps "$SAVE_STEPS" --eval-steps "$EVAL_STEPS" --threads "$THREADS" "${resume[@]}" \
    2>&1 | tee -a "$WORK/train.log"
}
step_export() {
  dw export-student --student "$WORK/train" --teacher "$teacher" --out "$WORK/delta" --force
}
step_results() {
  node --conditions=@distil-whisper/source --import tsx "$repo/benchmarks/distill/results.ts" \
    --teacher "$teacher" --student "init=$WORK/student-init" --student "distilled=$WORK/train" \
    --synthetic-eval "$corpus_dir/eval.jsonl" --real-eval "$cache/eval-real/manifest.jsonl" \
    --exclude-source mfa-disfluent --labels "$WORK/labels.jsonl" --threads "$THREADS" \
    --out "$WORK" 2>&1 | tee "$WORK/results.log"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(fetch corpus label filter student train export results)
for s in "${steps[@]}"; do
  log "== $s"
  "step_$s"
done
