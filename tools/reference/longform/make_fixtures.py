#!/usr/bin/env python3
"""Long-form parity fixtures: transformers' sequential generate() and chunked ASR pipeline on real weights.

For each Hugging Face Whisper directory given (tools/real-weights/fetch.sh output), runs

* `WhisperForConditionalGeneration.generate()` on > 30 s of features (transformers' sequential
  long-form algorithm), with its defaults and with temperature fallback + conditioning + prompt;
* the `automatic-speech-recognition` pipeline with `chunk_length_s` / `batch_size` (chunked
  long-form), with and without timestamps, recording every generate() call it makes (the tokens of
  each chunk) and its merged output (text and timestamped chunks);

and writes the token ids, segment times and texts as JSON. The TypeScript tests
(packages/model/test/longform-real.test.ts, packages/distil-whisper/test/longform-real.test.ts) must
reproduce them token for token.

Audio tiers:

* `ci` (committed, `fixtures/<model>.json`): built from ../shared/reference/assets/jfk.wav only, by
  a recipe the tests implement too (`jfk_joined`): 11 copies joined by 0.5 s of digital silence
  (126.0 s), and a 60.2 s variant with gains and 1.3 s gaps (`jfk_varied`).
* `real` (local only, `--real`, written to ~/.cache/distil-whisper/longform-fixtures/<model>.json):
  the long recordings of ~/.cache/distil-whisper/eval-real/long.jsonl and the manifest's clips
  joined (in file order, 0.5 s gaps) up to 180 s. Third-party recordings' transcripts are never
  committed, so this tier stays in the cache.

Weights are stored in float16 and loaded in float32, as our CPU graph computes. Greedy decoding
only (sampling draws from torch's generator, which we do not reproduce): a case whose fallback
sampled is marked `sampled: true` and compared only up to its first sampled window.

Usage: python tools/reference/longform/make_fixtures.py HF_DIR [HF_DIR...] [--real] [--threads 2]
"""
import argparse
import json
import os
import time
import wave

import numpy as np
import torch
import transformers
from transformers import (
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperTokenizerFast,
    pipeline,
)
from transformers.generation.utils import GenerationMixin

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
JFK = os.path.normpath(os.path.join(REPO, "..", "shared", "reference", "assets", "jfk.wav"))
EVAL = os.path.expanduser("~/.cache/distil-whisper/eval-real")
LOCAL_OUT = os.path.expanduser("~/.cache/distil-whisper/longform-fixtures")
SR = 16000
# Cases per audio (each runs transformers once on the whole recording; kept few, the CPU is shared).
FULL_CASES = {"defaults", "detect-language", "fallback-conditioned", "prompt-conditioned",
              "chunk30-bs1-text", "chunk30-bs4-timestamps", "chunk25-bs8-timestamps"}
SHORT_CASES = {"defaults", "chunk15-stride3-bs4-text"}
REAL_CASES = {"defaults", "chunk30-bs4-timestamps"}


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        assert w.getframerate() == SR and w.getsampwidth() == 2, f"{path}: need 16 kHz s16"
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)
        ch = w.getnchannels()
    if ch > 1:
        pcm = pcm.reshape(-1, ch).mean(axis=1)
    return (pcm / 32768.0).astype(np.float32)


def jfk_joined(jfk: np.ndarray) -> np.ndarray:
    """11 copies of jfk.wav, 0.5 s of zeros between them: 126.0 s (the tests build the same)."""
    gap = np.zeros(SR // 2, dtype=np.float32)
    parts = []
    for i in range(11):
        if i:
            parts.append(gap)
        parts.append(jfk)
    return np.concatenate(parts)


def jfk_varied(jfk: np.ndarray) -> np.ndarray:
    """5 copies at gains 1, 0.5, 0.8, 0.35, 1 (float32 products), 1.3 s of zeros between: 60.2 s."""
    gains = [1.0, 0.5, 0.8, 0.35, 1.0]
    gap = np.zeros(int(SR * 1.3), dtype=np.float32)
    parts = []
    for i, g in enumerate(gains):
        if i:
            parts.append(gap)
        parts.append((jfk * np.float32(g)).astype(np.float32))
    return np.concatenate(parts)


def strip(seq, eos):
    seq = [int(t) for t in seq]
    while seq and seq[-1] == eos:
        seq.pop()
    return seq


class SampleWatch:
    """Records whether any generate() attempt sampled (temperature fallback)."""

    def __init__(self):
        self.sampled = 0
        self.calls = 0
        self._orig = GenerationMixin.generate
        watch = self

        def wrapped(model_self, *args, **kwargs):
            cfg = kwargs.get("generation_config")
            watch.calls += 1
            if cfg is not None and cfg.do_sample:
                watch.sampled += 1
            return watch._orig(model_self, *args, **kwargs)

        GenerationMixin.generate = wrapped

    def reset(self):
        self.sampled = 0
        self.calls = 0


def sequential_cases(model, fe, tokenizer, audio, multilingual, names, cases, save):
    eos = model.generation_config.eos_token_id
    feats = fe(audio, sampling_rate=SR, return_tensors="pt", truncation=False, padding="longest",
               return_attention_mask=True)
    lang = {"language": "en"} if multilingual else {}
    prompt_text = "President Kennedy's inaugural address, January 1961."
    prompt_ids = tokenizer.get_prompt_ids(prompt_text, return_tensors="pt")
    ladder = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    setups = [
        ("defaults", dict(), {}),
        ("detect-language", dict(), {"detect": True}),
        (
            "fallback-conditioned",
            dict(temperature=ladder, compression_ratio_threshold=1.35, logprob_threshold=-1.0,
                 no_speech_threshold=0.6, condition_on_prev_tokens=True),
            {},
        ),
        (
            "openai-thresholds",
            dict(temperature=ladder, compression_ratio_threshold=2.4, logprob_threshold=-1.0,
                 no_speech_threshold=0.6, condition_on_prev_tokens=True),
            {},
        ),
        ("prompt-conditioned", dict(prompt_ids=prompt_ids, condition_on_prev_tokens=True), {"prompt": prompt_text}),
        ("prompt-only", dict(prompt_ids=prompt_ids), {"prompt": prompt_text}),
    ]
    done = {c["name"] for c in cases}
    for name, kw, extra in setups:
        if name not in names or name in done or (extra.get("detect") and not multilingual):
            continue
        call = dict(kw)
        if not extra.get("detect"):
            call.update(lang)
        WATCH.reset()
        t0 = time.time()
        with torch.no_grad():
            out = model.generate(feats.input_features, return_timestamps=True, return_segments=True, **call)
        segs = [
            {"start": float(s["start"]), "end": float(s["end"]), "tokens": [int(t) for t in s["tokens"].tolist()]}
            for s in out["segments"][0]
        ]
        options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in call.items() if k != "prompt_ids"}
        if "prompt" in extra:
            options["prompt"] = extra["prompt"]
            options["prompt_ids"] = [int(t) for t in prompt_ids.tolist()]
        case = {
            "name": name,
            "options": options,
            "sequences": strip(out["sequences"][0].tolist(), eos),
            "segments": segs,
            "text": tokenizer.decode(out["sequences"][0], skip_special_tokens=True),
            "sampled": WATCH.sampled > 0,
            "generate_calls": WATCH.calls,
        }
        print(f"  sequential {name}: {time.time() - t0:.1f}s, {len(segs)} segments, {WATCH.calls} calls,"
              f" sampled={case['sampled']}", flush=True)
        cases.append(case)
        save()


def chunked_cases(model, fe, tokenizer, audio, multilingual, names, cases, save):
    eos = model.generation_config.eos_token_id
    if tokenizer.pad_token is None:
        # Batched chunks are collated with the pad token (Whisper's is <|endoftext|>); converted
        # checkpoints may lack the declaration.
        tokenizer.pad_token = tokenizer.eos_token
    asr = pipeline("automatic-speech-recognition", model=model, tokenizer=tokenizer, feature_extractor=fe,
                   device="cpu")
    calls = []
    orig = model.generate

    def recording_generate(*args, **kwargs):
        out = orig(*args, **kwargs)
        seqs = out["sequences"] if isinstance(out, dict) else out
        calls.append([strip(row.tolist(), eos) for row in seqs])
        return out

    model.generate = recording_generate
    lang = {"language": "en"} if multilingual else {}
    setups = [
        ("chunk30-bs1-text", dict(chunk_length_s=30, batch_size=1), dict(return_timestamps=False)),
        ("chunk30-bs4-timestamps", dict(chunk_length_s=30, batch_size=4), dict(return_timestamps=True)),
        ("chunk25-bs8-timestamps", dict(chunk_length_s=25, batch_size=8), dict(return_timestamps=True)),
        ("chunk15-stride3-bs4-text", dict(chunk_length_s=15, stride_length_s=3, batch_size=4),
         dict(return_timestamps=False)),
    ]
    try:
        done = {c["name"] for c in cases}
        for name, call_kw, gen_kw in setups:
            if name not in names or name in done:
                continue
            calls.clear()
            WATCH.reset()
            t0 = time.time()
            with torch.no_grad():
                out = asr({"raw": audio.copy(), "sampling_rate": SR}, num_beams=1, generate_kwargs=dict(lang),
                          **call_kw, **gen_kw)
            case = {
                "name": name,
                "options": {**call_kw, **gen_kw, "num_beams": 1, **lang},
                "chunk_tokens": [row for call in calls for row in call],
                "batches": [len(call) for call in calls],
                "text": out["text"],
                "sampled": WATCH.sampled > 0,
            }
            if "chunks" in out:
                case["chunks"] = [
                    {"timestamp": [None if t is None else float(t) for t in c["timestamp"]], "text": c["text"]}
                    for c in out["chunks"]
                ]
            print(f"  chunked {name}: {time.time() - t0:.1f}s, {len(case['chunk_tokens'])} chunks", flush=True)
            cases.append(case)
            save()
    finally:
        model.generate = orig


def run_model(hf_dir, audios, out_dir):
    model = WhisperForConditionalGeneration.from_pretrained(hf_dir, torch_dtype=torch.float32).eval()
    fe = WhisperFeatureExtractor.from_pretrained(hf_dir)
    tokenizer = WhisperTokenizerFast.from_pretrained(hf_dir)
    multilingual = bool(getattr(model.generation_config, "is_multilingual", False))
    c = model.config
    result = {
        "generator": f"tools/reference/longform/make_fixtures.py (transformers {transformers.__version__}, torch {torch.__version__})",
        "model": os.path.basename(os.path.normpath(hf_dir)),
        "dims": {"d_model": c.d_model, "encoder_layers": c.encoder_layers, "decoder_layers": c.decoder_layers,
                 "vocab_size": c.vocab_size},
        "audios": [],
    }
    path = os.path.join(out_dir, f"whisper-{result['model']}.json")
    previous = {}
    if os.path.exists(path):
        # Resume: cases already recorded (same model, same audio) are kept, not run again.
        with open(path) as f:
            old = json.load(f)
        if old.get("dims") == result["dims"]:
            previous = {a["name"]: a for a in old.get("audios", [])}

    def save():
        # Written after every case: a long run can be checked while it goes on.
        with open(path + ".tmp", "w") as f:
            json.dump(result, f, separators=(",", ":"))
            f.write("\n")
        os.replace(path + ".tmp", path)

    for audio_name, recipe, audio, names in audios:
        print(f"{result['model']} / {audio_name}: {len(audio) / SR:.2f} s", flush=True)
        entry = {
            "name": audio_name,
            "recipe": recipe,
            "samples": int(len(audio)),
            "frames": int(len(audio)) // fe.hop_length,
            "sequential": [],
            "chunked": [],
        }
        if audio_name in previous and previous[audio_name]["samples"] == entry["samples"]:
            entry["sequential"] = previous[audio_name]["sequential"]
            entry["chunked"] = previous[audio_name]["chunked"]
        result["audios"].append(entry)
        # Most telling cases first: one of each algorithm, then the rest.
        sequential_cases(model, fe, tokenizer, audio, multilingual, names & {"defaults"}, entry["sequential"], save)
        chunked_cases(model, fe, tokenizer, audio, multilingual, names & {"chunk30-bs4-timestamps"}, entry["chunked"], save)
        sequential_cases(model, fe, tokenizer, audio, multilingual, names - {"defaults"}, entry["sequential"], save)
        chunked_cases(model, fe, tokenizer, audio, multilingual, names - {"chunk30-bs4-timestamps"}, entry["chunked"], save)
    print(f"wrote {path}")


def real_audios():
    out = []
    with open(os.path.join(EVAL, "long.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            out.append((d["id"], {"file": d["audio"]}, read_wav(os.path.join(EVAL, d["audio"])), REAL_CASES))
    parts, ids, total = [], [], 0.0
    gap = np.zeros(SR // 2, dtype=np.float32)
    with open(os.path.join(EVAL, "manifest.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            a = read_wav(os.path.join(EVAL, d["audio"]))
            if parts:
                parts.append(gap)
            parts.append(a)
            ids.append(d["id"])
            total += len(a) / SR
            if total >= 180:
                break
    out.append(("manifest-joined-180s", {"join": ids, "gap_s": 0.5}, np.concatenate(parts), REAL_CASES))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hf_dirs", nargs="+")
    ap.add_argument("--real", action="store_true", help="the local-only tier on ~/.cache/distil-whisper/eval-real")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    global WATCH
    WATCH = SampleWatch()
    jfk = read_wav(JFK)
    if args.real:
        audios = real_audios()
        os.makedirs(LOCAL_OUT, exist_ok=True)
        out_dir = LOCAL_OUT
    else:
        audios = [
            ("jfk-joined-126s", {"recipe": "jfk_joined"}, jfk_joined(jfk), FULL_CASES),
            ("jfk-varied-60s", {"recipe": "jfk_varied"}, jfk_varied(jfk), SHORT_CASES),
        ]
        out_dir = os.path.join(HERE, "fixtures")
        os.makedirs(out_dir, exist_ok=True)
    for d in args.hf_dirs:
        run_model(d, audios, out_dir)


if __name__ == "__main__":
    main()
