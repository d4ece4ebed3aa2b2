#!/usr/bin/env python3
"""Token fixtures from Hugging Face transformers' WhisperForConditionalGeneration.generate() on real weights.

Runs the converted checkpoint (tools/real-weights/fetch.sh output: a Hugging Face directory made by
`distil-whisper convert --from ct2`) on jfk.wav and records, per decoding setup, the ids generate()
returns (end of text and padding removed), plus timestamp segments and the detected language. The
TypeScript `model` test tier (packages/model/test/real-model.test.ts) must reproduce them exactly.

Weights are stored in float16 and loaded here in float32, as our CPU graph computes: both sides see
the same weight values. Features come from transformers' WhisperFeatureExtractor on the 16 kHz PCM of
jfk.wav (read with the standard library), padded to 30 s.

Usage: python tools/real-weights/transformers_reference.py HF_DIR NAME [--audio PATH]
  writes tools/real-weights/fixtures/NAME.json
Needs: torch, transformers, numpy (CPU).
"""
import argparse
import json
import os
import time
import wave

import numpy as np
import torch
import transformers
from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_AUDIO = os.path.join(HERE, "..", "..", "..", "shared", "reference", "assets", "jfk.wav")


def read_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2, "need 16 kHz mono s16"
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def strip(seq, eos):
    seq = [int(t) for t in seq]
    while seq and seq[-1] == eos:
        seq.pop()
    return seq


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("hf_dir")
    ap.add_argument("name")
    ap.add_argument("--audio", default=os.path.normpath(DEFAULT_AUDIO))
    args = ap.parse_args()
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration.from_pretrained(args.hf_dir, torch_dtype=torch.float32).eval()
    fe = WhisperFeatureExtractor.from_pretrained(args.hf_dir)
    samples = read_wav(args.audio)
    feats = fe(samples, sampling_rate=16000, return_tensors="pt").input_features
    gen = model.generation_config
    eos = gen.eos_token_id
    multilingual = bool(getattr(gen, "is_multilingual", False))
    lang = {"language": "en"} if multilingual else {}

    cases = []

    def run(name, **kw):
        t0 = time.time()
        with torch.no_grad():
            out = model.generate(feats, **kw)
        seqs = out["sequences"] if isinstance(out, dict) else out
        case = {"name": name, "options": kw, "sequences": strip(seqs[0].tolist(), eos)}
        if isinstance(out, dict) and "segments" in out:
            case["segments"] = [
                {"start": float(s["start"]), "end": float(s["end"]), "tokens": strip(s["tokens"].tolist(), eos)}
                for s in out["segments"][0]
            ]
        print(f"{name}: {time.time() - t0:.2f}s {case['sequences']}")
        cases.append(case)

    detected = None
    if multilingual:
        with torch.no_grad():
            lang_ids = model.detect_language(feats)
        id_to_lang = {v: k for k, v in gen.lang_to_id.items()}
        detected = id_to_lang[int(lang_ids[0])].strip("<|>")
        print("detected language:", detected)
        run("greedy-detect")
    run("greedy", **lang)
    run("beam5", num_beams=5, **lang)
    run("timestamps", return_timestamps=True, force_unique_generate_call=True, return_segments=True, **lang)

    fixture = {
        "description": "transformers generate() on real Whisper weights converted from CTranslate2 (tools/real-weights/transformers_reference.py)",
        "model": args.name,
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__},
        "audio": os.path.basename(args.audio),
        "dims": {
            "d_model": model.config.d_model,
            "encoder_layers": model.config.encoder_layers,
            "decoder_layers": model.config.decoder_layers,
            "vocab_size": model.config.vocab_size,
        },
        "detected_language": detected,
        "cases": cases,
    }
    out_path = os.path.join(HERE, "fixtures", f"{args.name}.json")
    with open(out_path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print("wrote", out_path)


if __name__ == "__main__":
    main()
