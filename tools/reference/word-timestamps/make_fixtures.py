"""Record openai-whisper's word timings on real weights, for the word-timestamp parity tests.

openai-whisper (PyPI) is the reference for word-level timestamps: cross-attention of the alignment
heads, median filter, DTW, word splitting, punctuation merging and its duration heuristics
(whisper/timing.py). This script runs `whisper.transcribe(..., word_timestamps=True)` on clips and
stores, per clip: the decoded segments (tokens, seek, start, end), the final words (rounded to
0.01 s as openai-whisper returns them), and the raw alignment of the window's text tokens
(`find_alignment`, before merging and heuristics, unrounded) so the core can be checked alone.

Usage (torch limited to 2 threads):
    python make_fixtures.py --model OUT.pt --name base --jfk ../shared/reference/assets/jfk.wav \
        --out tools/reference/word-timestamps/fixtures/openai-base-jfk.json
    python make_fixtures.py --model OUT.pt --name base \
        --manifest ~/.cache/distil-whisper/eval-real/manifest.jsonl --skip 0 --limit 41 \
        --out ~/.cache/distil-whisper/word-timestamps/eval-real-0.jsonl   # (and 41, 82: in parallel)

    python make_fixtures.py --core tools/reference/word-timestamps/fixtures/core-cases.json

OUT.pt comes from hf_to_openai.py. Audio must be 16 kHz mono 16-bit WAV (read here with the
standard library, the same samples our loader yields). --core writes small random cases of the
median filter, DTW and add_word_timestamps (punctuation merging and duration heuristics over
synthetic alignments) for exact unit checks; it needs no model.
"""

from __future__ import annotations

import argparse
import json
import sys
import wave
from pathlib import Path

import numpy as np
import torch

torch.set_num_threads(2)

import whisper  # noqa: E402
from whisper.audio import N_FRAMES, log_mel_spectrogram  # noqa: E402
from whisper.timing import dtw_cpu, find_alignment, median_filter  # noqa: E402
from whisper.tokenizer import get_tokenizer  # noqa: E402


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise SystemExit(f"{path}: expected 16 kHz mono 16-bit PCM")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def load_model(path: Path) -> whisper.Whisper:
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    model = whisper.model.Whisper(whisper.model.ModelDimensions(**ckpt["dims"]))
    model.load_state_dict(ckpt["model_state_dict"])
    heads = ckpt.get("alignment_heads")
    if heads:
        mask = torch.zeros(model.dims.n_text_layer, model.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return model.eval()


def clip_record(model: whisper.Whisper, clip_id: str, audio: np.ndarray) -> dict:
    result = whisper.transcribe(
        model,
        audio,
        language="en",
        task="transcribe",
        temperature=0.0,
        word_timestamps=True,
        fp16=False,
        condition_on_previous_text=False,
    )
    segments = result["segments"]
    # The raw alignment of the first window's text tokens (every clip here is one window).
    tokenizer = get_tokenizer(model.is_multilingual, num_languages=model.num_languages, language="en", task="transcribe")
    mel = log_mel_spectrogram(audio, model.dims.n_mels, padding=16000 * 30)
    num_frames = mel.shape[-1] - N_FRAMES
    window = [s for s in segments if s["seek"] == 0]
    text_tokens = [t for s in window for t in s["tokens"] if t < tokenizer.eot]
    mel_window = whisper.audio.pad_or_trim(mel[:, : min(num_frames, N_FRAMES)], N_FRAMES)
    raw = find_alignment(model, tokenizer, text_tokens, mel_window, min(num_frames, N_FRAMES))
    return {
        "id": clip_id,
        "samples": int(audio.shape[0]),
        "num_frames": int(num_frames),
        "text": result["text"],
        "segments": [
            {
                "seek": s["seek"],
                "start": s["start"],
                "end": s["end"],
                "tokens": s["tokens"],
                "avg_logprob": s["avg_logprob"],
                "no_speech_prob": s["no_speech_prob"],
                "words": [
                    {"word": w["word"], "start": w["start"], "end": w["end"], "probability": w["probability"]}
                    for w in s.get("words", [])
                ],
            }
            for s in segments
        ],
        "alignment": {
            "text_tokens": text_tokens,
            "words": [
                {
                    "word": w.word,
                    "tokens": w.tokens,
                    "start": float(w.start),
                    "end": float(w.end),
                    "probability": float(w.probability),
                }
                for w in raw
            ],
        },
    }


def core_cases(seed: int = 0) -> dict:
    """Random inputs through openai-whisper's median_filter and dtw_cpu (exact integer paths)."""
    rng = np.random.default_rng(seed)
    med = []
    for shape in [(3, 5, 12), (2, 9, 40), (1, 4, 3), (2, 3, 7)]:
        x = rng.standard_normal(shape).astype(np.float32)
        y = median_filter(torch.from_numpy(x), 7).numpy()
        med.append({"shape": list(shape), "x": x.ravel().tolist(), "y": y.ravel().tolist()})
    dtws = []
    for shape in [(4, 10), (12, 60), (1, 5), (6, 6), (20, 35)]:
        x = rng.standard_normal(shape)
        # Ties matter for the tie rules: quantise half the cases.
        if shape[0] % 2 == 0:
            x = np.round(x * 2) / 2
        ti, ji = dtw_cpu(x.astype(np.float64))
        dtws.append({"shape": list(shape), "x": x.ravel().tolist(), "text": ti.tolist(), "time": ji.tolist()})
    return {"median_filter": med, "dtw": dtws, "words": word_cases(rng)}


POOL = [" the", " cat", ",", ".", ' "', "Hello", "?", " (", "ok", ")", " -", "'s", "。", " sat", "!", " ¿"]


def word_cases(rng: np.random.Generator) -> list:
    """Synthetic alignments through openai-whisper's add_word_timestamps (merge + heuristics)."""
    import whisper.timing as timing

    tokenizer = get_tokenizer(True, num_languages=99, language="en", task="transcribe")
    eot = tokenizer.eot
    cases = []
    for case in range(24):
        n = int(rng.integers(1, 14))
        t = float(rng.integers(0, 40)) * 0.02
        words = []
        token = 100
        for _ in range(n):
            text = POOL[int(rng.integers(0, len(POOL)))]
            ntok = int(rng.integers(1, 3))
            # Mostly short words; now and then a long one or a pause before a word.
            if rng.random() < 0.2:
                t += float(rng.integers(20, 120)) * 0.02
            dur = float(rng.integers(0, 20 if rng.random() < 0.8 else 120)) * 0.02
            words.append({"word": text, "tokens": list(range(token, token + ntok)), "start": t, "end": t + dur,
                          "probability": float(rng.random())})
            token += ntok
            t += dur
        # Split the words into 1-3 segments, each with a leading timestamp token.
        cuts = sorted(set(int(x) for x in rng.integers(1, n + 1, size=int(rng.integers(0, 3))))) if n > 1 else []
        bounds = [0] + [c for c in cuts if c < n] + [n]
        segments = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            toks = [eot + 1 + a] + [tk for w in words[a:b] for tk in w["tokens"]]
            jitter = float(rng.integers(-40, 40)) * 0.02
            segments.append({"seek": 0, "start": max(0.0, words[a]["start"] + jitter),
                             "end": words[b - 1]["end"] + float(rng.integers(-40, 40)) * 0.02, "tokens": toks})
        last_speech = float(rng.integers(0, 20)) * 0.02
        inputs = {"words": [dict(w) for w in words], "segments": [dict(s, tokens=list(s["tokens"])) for s in segments],
                  "last_speech_timestamp": last_speech}
        original = timing.find_alignment
        timing.find_alignment = lambda *a, **k: [timing.WordTiming(w["word"], list(w["tokens"]), w["start"], w["end"], w["probability"]) for w in words]
        try:
            timing.add_word_timestamps(segments=segments, model=None, tokenizer=tokenizer, mel=None, num_frames=0,
                                       last_speech_timestamp=last_speech)
        finally:
            timing.find_alignment = original
        cases.append({"eot": eot, **inputs, "expected": [
            {"start": s["start"], "end": s["end"], "words": s["words"]} for s in segments]})
    return cases


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path)
    ap.add_argument("--name", default="base")
    ap.add_argument("--jfk", type=Path)
    ap.add_argument("--manifest", type=Path)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--skip", type=int, default=0, help="start at this clip (for parallel runs)")
    ap.add_argument("--core", type=Path, help="also write median-filter/DTW cases here")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    if args.core:
        args.core.write_text(json.dumps(core_cases()) + "\n")
        print(f"wrote {args.core}")
    if not args.out:
        return
    if not args.model:
        sys.exit("--model is required with --out")
    model = load_model(args.model)
    clips: list[tuple[str, Path]] = []
    if args.jfk:
        clips.append(("jfk", args.jfk))
    if args.manifest:
        root = args.manifest.parent
        for line in args.manifest.read_text().splitlines():
            if line.strip():
                rec = json.loads(line)
                clips.append((rec["id"], root / rec["audio"]))
    clips = clips[args.skip :]
    if args.limit:
        clips = clips[: args.limit]
    # A .jsonl output gets one clip per line as soon as it is done (parallel runs, partial results).
    incremental = args.out.suffix == ".jsonl"
    if incremental:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("")
    records = []
    for i, (clip_id, path) in enumerate(clips):
        with torch.no_grad():
            records.append(clip_record(model, clip_id, read_wav(path)))
        print(f"[{i + 1}/{len(clips)}] {clip_id}: {records[-1]['text'][:60]!r}", file=sys.stderr)
        if incremental:
            with args.out.open("a") as f:
                f.write(json.dumps(records[-1]) + "\n")
    if incremental:
        return
    out = {
        "reference": f"openai-whisper {whisper.__version__} (PyPI), whisper.transcribe(word_timestamps=True, temperature=0, fp16=False)",
        "model": args.name,
        "alignment_heads": torch.load(args.model, map_location="cpu", weights_only=True).get("alignment_heads"),
        "clips": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out} ({len(records)} clips)")


if __name__ == "__main__":
    main()
