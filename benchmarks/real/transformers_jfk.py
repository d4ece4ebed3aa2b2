#!/usr/bin/env python3
"""transformers (torch CPU) baseline for benchmarks/real/jfk.ts: times one Hugging Face Whisper
checkpoint on a 16 kHz mono WAV and prints one JSON object on stdout.

Measures (median of --repeats runs after one warm-up): features (WhisperFeatureExtractor), encoder
(model.model.encoder on the padded 30 s window), generate (greedy, whole call incl. encoder) and
derives ms/token = (generate - encoder) / generated tokens and RTF = (features + generate) / audio s.

Usage: python benchmarks/real/transformers_jfk.py HF_DIR WAV [--threads 2] [--repeats 3]
"""
import argparse
import json
import statistics
import time
import wave

import numpy as np
import torch
import transformers
from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("hf_dir")
    ap.add_argument("wav")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    model = WhisperForConditionalGeneration.from_pretrained(args.hf_dir, torch_dtype=torch.float32).eval()
    load_s = time.perf_counter() - t0
    fe = WhisperFeatureExtractor.from_pretrained(args.hf_dir)
    with wave.open(args.wav, "rb") as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    audio_s = len(samples) / 16000
    kw = {"language": "en"} if getattr(model.generation_config, "is_multilingual", False) else {}

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return time.perf_counter() - t, out

    feats_t, enc_t, gen_t = [], [], []
    tokens = 0
    for i in range(args.repeats + 1):
        ft, feats = timed(lambda: fe(samples, sampling_rate=16000, return_tensors="pt").input_features)
        with torch.no_grad():
            et, _ = timed(lambda: model.model.encoder(feats))
            gt, seq = timed(lambda: model.generate(feats, **kw))
        tokens = int((seq[0] != model.generation_config.eos_token_id).sum())
        if i > 0:
            feats_t.append(ft)
            enc_t.append(et)
            gen_t.append(gt)
    med = statistics.median
    print(json.dumps({
        "engine": f"transformers {transformers.__version__} / torch {torch.__version__} (CPU, {args.threads} threads, f32)",
        "load_s": load_s,
        "audio_s": audio_s,
        "features_s": med(feats_t),
        "encoder_s": med(enc_t),
        "generate_s": med(gen_t),
        "tokens": tokens,
        "ms_per_token": 1000 * (med(gen_t) - med(enc_t)) / max(1, tokens),
        "rtf": (med(feats_t) + med(gen_t)) / audio_s,
    }))


if __name__ == "__main__":
    main()
